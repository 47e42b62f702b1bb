//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// binary runs the real patchbay binary, built once per test, against the
// stand-ins and a fast vault, with no OS keyring reachable.
type binary struct {
	t    *testing.T
	path string
	env  []string
}

func buildBinary(t *testing.T) *binary {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "patchbay")
	build := exec.Command(goTool, "build", "-tags", testBuildTag, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		// Nothing may reach for a real keyring.
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "no-bus"),
		secrets.VaultPassphraseEnv + "=" + testVaultPW,
		vaultWorkFactorEnv + "=10",
	}
	env = append(env, srv.Env()...)
	return &binary{t: t, path: bin, env: env}
}

type exitInfo struct {
	code     int
	signal   syscall.Signal // non-zero when the process was killed
	out, err string
}

// run runs the binary on the database db with extra environment variables.
func (b *binary) run(db, stdin string, extraEnv []string, args ...string) exitInfo {
	b.t.Helper()
	cmd := exec.Command(b.path, append([]string{"--db", db}, args...)...)
	cmd.Env = append(slices.Clone(b.env), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	info := exitInfo{out: out.String(), err: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		info.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			info.signal = ws.Signal()
		}
	default:
		b.t.Fatalf("running patchbay: %v", err)
	}
	return info
}

func (b *binary) must(db, stdin string, args ...string) exitInfo {
	b.t.Helper()
	r := b.run(db, stdin, nil, args...)
	if r.code != 0 || r.signal != 0 {
		b.t.Fatalf("%v: exit %d signal %v\n%s%s", args, r.code, r.signal, r.out, r.err)
	}
	return r
}

func (b *binary) status(db string) statusJSON {
	b.t.Helper()
	r := b.run(db, "", nil, "status", "--json")
	var s statusJSON
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		b.t.Fatalf("status --json: %v\n%s%s", err, r.out, r.err)
	}
	return s
}

// vaultEntries reads every entry of the default profile from the vault
// beside db.
func vaultEntries(t *testing.T, db string) map[string]string {
	t.Helper()
	return vaultEntriesOf(t, db, "default/")
}

// copyDir copies the state directory (database, WAL, vault) of a prepared
// profile, so that each crash starts from the same completed integration.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRotateWithTheBinary runs the real binary: the end-to-end rotation of
// certn-lever's Lever key against the stand-ins, and a SIGKILL at every point
// of the rotation's two-phase write, each followed by a restart that must
// find the old key current everywhere or the new one, never a mix.
func TestRotateWithTheBinary(t *testing.T) {
	b := buildBinary(t)
	template := filepath.Join(t.TempDir(), "template", "patchbay.db")
	b.must(template, cliLeverKey1, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	b.must(template, cliSigning, "run", "certn-lever/lever-signing-token", "--set", "signing_token=@-")
	b.must(template, "", "run", "certn-lever/certn-packages", "--set", "packages=Standard:criminal+identity", "--set", "default_package=Standard")
	b.must(template, "", "run", "certn-lever/certn-credentials", "--set", "confirmed=true")
	b.must(template, "", "run", "certn-lever/certn-enable", "--set", "webhook_url=https://api.certn.co/lever/webhook/abc123")
	b.must(template, "", "run", "certn-lever/lever-trigger-stage", "--set", "stage=Background Check")
	fresh := func(t *testing.T) string {
		db := filepath.Join(t.TempDir(), "state", "patchbay.db")
		copyDir(t, filepath.Dir(template), filepath.Dir(db))
		return db
	}
	const account = "default/certn-lever/api_key"

	t.Run("end to end", func(t *testing.T) {
		db := fresh(t)
		if st := b.status(db); st.step("certn-lever", "certn-credentials") != "done" {
			t.Fatalf("before: certn-credentials is %q", st.step("certn-lever", "certn-credentials"))
		}
		r := b.must(db, cliLeverKey2, "rotate", "certn-lever/api_key", "--set", "api_key=@-")
		assertNoSecretPrinted(t, r.out, r.err)
		st := b.status(db)
		if got := st.step("certn-lever", "certn-credentials"); got != "needs_rerun" {
			t.Errorf("status --json: certn-credentials is %q, want needs_rerun", got)
		}
		if last4, prev, _ := st.secret("certn-lever", "api_key"); last4 != "bb22" || !prev {
			t.Errorf("status --json: api_key last4 %q previous_kept %v", last4, prev)
		}
		if e := vaultEntries(t, db); e[account] != cliLeverKey2 || e[account+".previous"] != cliLeverKey1 {
			t.Errorf("vault: new current=%v, old kept=%v", e[account] == cliLeverKey2, e[account+".previous"] == cliLeverKey1)
		}
	})

	for _, point := range []string{app.PointRecorded, app.PointStaged, app.PointCommitted, app.PointPromoted} {
		t.Run("SIGKILL at "+point, func(t *testing.T) {
			db := fresh(t)
			r := b.run(db, cliLeverKey2, []string{crashAtEnv + "=" + point}, "rotate", "certn-lever/api_key", "--set", "api_key=@-")
			if r.signal != syscall.SIGKILL {
				t.Fatalf("rotate was not killed at %s: exit %d signal %v\n%s%s", point, r.code, r.signal, r.out, r.err)
			}
			finished := point == app.PointCommitted || point == app.PointPromoted
			wantLast4, wantCreds := "aa11", "done"
			if finished {
				wantLast4, wantCreds = "bb22", "needs_rerun"
			}
			// The database alone already tells the outcome, before recovery.
			st := b.status(db)
			if last4, prev, _ := st.secret("certn-lever", "api_key"); last4 != wantLast4 || prev != finished {
				t.Errorf("before recovery, status says last4 %q previous_kept %v; want %q, %v", last4, prev, wantLast4, finished)
			}

			// The restart (doctor here; any command that opens the secrets
			// store does the same) finishes or rolls back.
			d := b.run(db, "", nil, "doctor", "--offline")
			action := map[bool]string{true: "finished", false: "rolled back"}[finished]
			if d.code != 0 || !strings.Contains(d.out, "warn  pending   an interrupted write of certn-lever/api_key was "+action) {
				t.Fatalf("doctor after the crash: exit %d\n%s%s", d.code, d.out, d.err)
			}
			if d = b.must(db, "", "doctor", "--offline"); !strings.Contains(d.out, "ok    pending") || !strings.Contains(d.out, "ok    orphans") {
				t.Errorf("second doctor:\n%s", d.out)
			}

			st = b.status(db)
			last4, prev, _ := st.secret("certn-lever", "api_key")
			creds := st.step("certn-lever", "certn-credentials")
			entries := vaultEntries(t, db)
			want := map[string]string{account: cliLeverKey1, "default/certn-lever/signing_token": cliSigning}
			if finished {
				want = map[string]string{account: cliLeverKey2, account + ".previous": cliLeverKey1, "default/certn-lever/signing_token": cliSigning}
			}
			if last4 != wantLast4 || prev != finished || creds != wantCreds {
				t.Errorf("status: last4 %q previous_kept %v certn-credentials %q; want %q, %v, %q", last4, prev, creds, wantLast4, finished, wantCreds)
			}
			if len(entries) != len(want) {
				var names []string
				for a := range entries {
					names = append(names, a)
				}
				t.Errorf("vault holds %v, want %d entries (no staging)", names, len(want))
			}
			for a, v := range want {
				if entries[a] != v {
					t.Errorf("vault %s is not the expected value", a)
				}
			}

			h := b.must(db, "", "history", "--json", "--limit", "0")
			var hist historyJSON
			if err := json.Unmarshal([]byte(h.out), &hist); err != nil {
				t.Fatal(err)
			}
			if n := hist.kinds()["recovery"]; n != 1 {
				t.Errorf("history holds %d recovery events, want 1", n)
			}
			if n := hist.kinds()["rotation"]; (n == 1) != finished {
				t.Errorf("history holds %d rotation events after a crash at %s", n, point)
			}
			assertNoSecretPrinted(t, h.out, d.out, r.out, r.err)
		})
	}
}
