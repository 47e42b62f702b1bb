package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets/secretstest"
)

// cli runs patchbay in-process with buffers instead of a terminal.
type cli struct {
	t   *testing.T
	db  string
	env map[string]string
}

type result struct {
	code     int
	out, err string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	return &cli{t: t, db: filepath.Join(t.TempDir(), "state", "patchbay.db"), env: map[string]string{}}
}

// withStandins points the vendor clients at fresh stand-ins.
func (c *cli) withStandins() *standin.Servers {
	c.t.Helper()
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { srv.Close() })
	for _, line := range srv.Env() {
		k, v, _ := strings.Cut(line, "=")
		c.env[k] = v
	}
	return srv
}

// makeProfile creates a profile in the database, as an earlier command
// that wrote would have.
func (c *cli) makeProfile(name string) {
	c.t.Helper()
	db, err := store.Open(context.Background(), c.db)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.EnsureProfile(context.Background(), name); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	var out, errOut bytes.Buffer
	io := &IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	getenv := func(k string) string { return c.env[k] }
	code := Main(context.Background(), append([]string{"--db", c.db}, args...), io, getenv)
	return result{code: code, out: out.String(), err: errOut.String()}
}

func TestVersionAndHelp(t *testing.T) {
	c := newCLI(t)
	if r := c.run("", "--version"); r.code != 0 || !strings.HasPrefix(r.out, "patchbay ") {
		t.Fatalf("--version: %d %q %q", r.code, r.out, r.err)
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Error("--version created the database")
	}
	r := c.run("", "--help")
	for _, cmd := range []string{"setup", "run", "status", "demo", "doctor"} {
		if !strings.Contains(r.out, cmd) {
			t.Errorf("--help does not list %s", cmd)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	c := newCLI(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "nosuch/step"}, "unknown integration"},
		{[]string{"run", "certn-lever/nosuch"}, "unknown step"},
		{[]string{"setup", "nosuch"}, "unknown integration"},
		{[]string{"--profile", "a/b", "status"}, "profile"},
		{[]string{"--secrets", "plaintext", "status"}, "keyring or vault"},
		{[]string{"status", "--bogus"}, "unknown flag"},
	}
	for _, tc := range cases {
		r := c.run("", tc.args...)
		if r.code != exitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

func TestDoctorWithoutSecretService(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	c := newCLI(t)
	start := time.Now()
	r := c.run("", "doctor", "--offline")
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("doctor took %s without a Secret Service; it must answer within seconds", took)
	}
	if r.code != exitError {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.out)
	}
	for _, want := range []string{"integrity ok", "FAIL  secrets", "--secrets vault"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, r.out)
		}
	}
}

func TestDoctorWithKeyring(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	r := c.run("", "doctor", "--offline")
	if r.code != 0 || !strings.Contains(r.out, "ok    secrets   keyring") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.err)
	}
}

func TestNonInteractiveRunWithRealKeyring(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	c.withStandins()
	const key = "lever-key-from-stdin-7f3e9a"

	// Without a terminal or answers: a clear message, exit 2.
	r := c.run("", "run", "certn-lever/lever-key")
	if r.code != exitUsage || !strings.Contains(r.err, "--set") {
		t.Fatalf("no answers: exit %d, %q", r.code, r.err)
	}
	// A literal secret is refused without being repeated.
	r = c.run("", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key="+key)
	if r.code != exitUsage || strings.Contains(r.err+r.out, key) || !strings.Contains(r.err, "@-") {
		t.Fatalf("literal secret: exit %d, %q", r.code, r.err)
	}
	r = c.run(key+"\n", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	if r.code != 0 || !strings.Contains(r.out, "verified") {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if strings.Contains(r.out+r.err, key) {
		t.Error("the key was printed")
	}
	// Setup resumes at the next step.
	r = c.run("", "setup", "certn-lever")
	if r.code != exitUsage || !strings.Contains(r.err, "lever-signing-token") {
		t.Fatalf("setup: exit %d, %q", r.code, r.err)
	}

	r = c.run("", "status", "--json")
	var report struct {
		Profile      string `json:"profile"`
		Integrations []struct {
			ID        string `json:"id"`
			State     string `json:"state"`
			StepsDone int    `json:"steps_done"`
			Secrets   []struct {
				Key, Backend, Last4 string
			} `json:"secrets"`
		} `json:"integrations"`
	}
	if err := json.Unmarshal([]byte(r.out), &report); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.out)
	}
	if r.code != 0 {
		t.Errorf("status exit %d, want 0 (in progress is healthy)", r.code)
	}
	in := report.Integrations[1]
	if in.ID != "certn-lever" || in.State != "in_progress" || in.StepsDone != 1 || len(in.Secrets) != 1 ||
		in.Secrets[0].Backend != "keyring" || in.Secrets[0].Last4 != "3e9a" {
		t.Errorf("status: %+v", in)
	}
	assertSecretNotInDir(t, filepath.Dir(c.db), key)
}

func assertSecretNotInDir(t *testing.T, dir, secret string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret", e.Name())
		}
	}
}

func TestDoctorWithLockedKeyring(t *testing.T) {
	secretstest.LockedKeyring(t)
	c := newCLI(t)
	r := c.run("", "doctor", "--offline")
	if r.code != exitError || !strings.Contains(r.out, "FAIL  secrets") || !strings.Contains(r.out, "fix: unlock the keyring") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.err)
	}
}

func TestOfflineVendorCompletesUnverified(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	c.env["PATCHBAY_LEVER_URL"] = "http://127.0.0.1:1/v1" // nothing listens there
	r := c.run("lever-key-offline-0123456", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	if r.code != 0 || !strings.Contains(r.out, "done, unverified") || !strings.Contains(r.out, "status --live") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.err)
	}
	// Unverified is no verdict: status says the result is unknown (exit 3).
	r = c.run("", "status", "--json")
	if r.code != exitUnknown || !strings.Contains(r.out, `"proof": "unverified"`) {
		t.Fatalf("status: exit %d\n%s", r.code, r.out)
	}
}

// A prompt waiting for an answer gives up as soon as the command is
// interrupted, instead of waiting for Enter.
func TestPromptGivesUpWhenInterrupted(t *testing.T) {
	pr, pw := io.Pipe() // an answer that never comes
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	f := newFactory(&IOStreams{In: pr, Out: io.Discard, ErrOut: io.Discard}, func(string) string { return "" })
	f.ctx = ctx
	done := make(chan error, 1)
	go func() {
		_, err := f.yes("Forget this progress?")
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the prompt kept waiting after the interrupt")
	}
	if code := exitCode(fmt.Errorf("reading: %w", context.Canceled), io.Discard); code != exitInterrupted {
		t.Errorf("exit code %d, want %d", code, exitInterrupted)
	}
}

// Switching a profile's secrets backend is refused while secrets live in the
// old one, and a command that fails never switches it.
func TestSecretsBackendSwitchIsGuarded(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.env["PATCHBAY_VAULT_WORK_FACTOR"] = "10"

	// No passphrase and no terminal: the vault cannot open, nothing is remembered.
	r := c.run("", "--secrets", "vault", "run", "certn-lever/certn-enable", "--set", "webhook_url=https://api.certn.co/x")
	if r.code != exitUsage || !strings.Contains(r.err, "PATCHBAY_VAULT_PASSPHRASE") {
		t.Fatalf("vault without a passphrase: exit %d, %q", r.code, r.err)
	}
	if r = c.run("", "status"); !strings.Contains(r.out, "secrets in (not chosen yet)") {
		t.Fatalf("a failed command switched the backend:\n%s", r.out)
	}

	c.env["PATCHBAY_VAULT_PASSPHRASE"] = "correct horse"
	r = c.run("vault-held-key-0000-1111", "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	if r.code != 0 {
		t.Fatalf("run with the vault: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = c.run("", "--secrets", "keyring", "run", "certn-lever/certn-enable", "--set", "webhook_url=https://api.certn.co/x")
	if r.code != exitUsage || !strings.Contains(r.err, "certn-lever/api_key") || !strings.Contains(r.err, "leave them behind") {
		t.Fatalf("switch with a secret in the vault: exit %d, %q", r.code, r.err)
	}
	if r = c.run("", "status"); !strings.Contains(r.out, "secrets in vault") {
		t.Fatalf("the refused switch changed the backend:\n%s", r.out)
	}
}

// Every way of calling patchbay wrongly exits 2, cobra's own argument
// errors included, and every command's help lists the exit codes.
func TestArgumentErrorsExitTwoAndHelpListsExitCodes(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"nosuch"}, {"status", "extra"}, {"history", "certn-lever", "extra"}} {
		if r := c.run("", args...); r.code != exitUsage || !strings.Contains(r.err, "--help") {
			t.Errorf("%v: exit %d, %q; want 2 and a pointer to --help", args, r.code, r.err)
		}
	}
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"--db", "", "history"}, &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
	if code != exitUsage || !strings.Contains(errOut.String(), "--db") {
		t.Errorf("--db '': exit %d, %q", code, errOut.String())
	}
	for _, args := range [][]string{{"--help"}, {"status", "--help"}, {"run", "--help"}} {
		r := c.run("", args...)
		for _, want := range []string{"Exit codes:", "3    unknown", "130  interrupted"} {
			if r.code != 0 || !strings.Contains(r.out, want) {
				t.Errorf("%v: exit %d, help lacks %q", args, r.code, want)
			}
		}
	}
}

// A read-only command never makes a profile: a typo in --profile exits 2
// naming the known profiles, and leaves the database as it was; a command
// that writes creates the profile and says so once.
func TestProfileTypoIsRefused(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	c.withStandins()

	// No database yet: nothing is created.
	for _, args := range [][]string{{"status"}, {"history"}, {"status", "--live"}, {"--profile", "acme", "doctor", "--offline"}, {"profiles"}} {
		if r := c.run("", args...); r.code != exitUsage || !strings.Contains(r.err, "no patchbay database at "+c.db) {
			t.Errorf("%v on no database: exit %d, %q", args, r.code, r.err)
		}
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Fatalf("a read-only command created the database (%v)", err)
	}

	r := c.run("", "--profile", "acme", "run", "certn-lever/certn-packages", "--set", "packages=Standard:criminal", "--set", "default_package=Standard")
	if r.code != 0 || strings.Count(r.err, "created profile acme") != 1 {
		t.Fatalf("first write: exit %d, stderr %q", r.code, r.err)
	}
	r = c.run("", "--profile", "acme", "run", "certn-lever/certn-packages", "--set", "packages=Standard:criminal", "--set", "default_package=Standard")
	if r.code != 0 || strings.Contains(r.err, "created profile") {
		t.Fatalf("second write: exit %d, stderr %q", r.code, r.err)
	}

	before, err := os.ReadFile(c.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"status", "--live"}, {"status", "--json"}, {"history"}, {"doctor", "--offline"}, {"dashboard"}, {"export"}} {
		r := c.run("", append([]string{"--profile", "acmee"}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.err, `profile "acmee" does not exist (known profiles: acme)`) {
			t.Errorf("%v on a typo: exit %d, %q", args, r.code, r.err)
		}
	}
	if r := c.run("", "--profile", "acme", "status"); r.code != 0 && r.code != exitUnknown {
		t.Errorf("status of the real profile: exit %d\n%s%s", r.code, r.out, r.err)
	}
	after, err := os.ReadFile(c.db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the read-only commands changed the database file")
	}
	if r := c.run("", "--profile", "acme", "history", "--json"); strings.Contains(r.out, "acmee") {
		t.Error("the typo left a trace")
	}
}

// --db pointed at a file patchbay did not make exits 2 from every command
// and leaves the file byte for byte as it was.
func TestForeignDatabaseIsLeftAlone(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	c.withStandins()
	if err := os.MkdirAll(filepath.Dir(c.db), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.db, []byte("id,name\n1,not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(c.db)
	for _, args := range [][]string{
		{"run", "certn-lever/certn-packages", "--set", "packages=Standard:criminal", "--set", "default_package=Standard"},
		{"status"}, {"doctor", "--offline"}, {"history"},
	} {
		r := c.run("", args...)
		if r.code != exitUsage || !strings.Contains(r.err, "not a patchbay database") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.err)
		}
	}
	if after, _ := os.ReadFile(c.db); !bytes.Equal(before, after) {
		t.Error("the foreign file was changed")
	}
}
