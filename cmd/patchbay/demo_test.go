package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// A demo kept with --db and opened again finds the keys it was given: the
// dashboard must not call every secret drift, nor a re-run offer to keep a key
// that is gone. Other commands reach them with the demo's passphrase.
func TestDemoReopenedKeepsItsSecrets(t *testing.T) {
	c := newCLI(t)
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	const key = "demo-vetty-key-kept-7a1c"

	open := func() *app.Service {
		t.Helper()
		f := newFactory(&IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, func(string) string { return "" })
		f.Globals.DBPath, f.Globals.Profile = c.db, "default"
		svc, err := f.demoService(ctx, srv, c.db, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.DB.Close() })
		return svc
	}
	svc := open()
	sub := app.Submission{Integration: "vetty-chattr", Step: "vetty-key",
		Values:  map[string]string{"user": "admin", "ip_allowlist": "203.0.113.0/24", "expiry_months": "24"},
		Secrets: map[string]string{"api_key": key}}
	out, err := svc.Check(ctx, sub)
	if err != nil || !out.OK {
		t.Fatalf("check: %+v %v", out, err)
	}
	if err := svc.Complete(ctx, sub, out); err != nil {
		t.Fatal(err)
	}
	svc.DB.Close()

	again := open()
	if got, err := again.Secret(ctx, "vetty-chattr", "api_key"); err != nil || got != key {
		t.Fatalf("the reopened demo reads the key ending %q, %v", app.Last4(got), err)
	}

	// Outside the demo: the profile is "demo", the passphrase "demo".
	again.DB.Close()
	for _, line := range srv.Env() {
		k, v, _ := strings.Cut(line, "=")
		c.env[k] = v
	}
	c.env[secrets.VaultPassphraseEnv] = demoVaultPassphrase
	r := c.run("", "--profile", "demo", "status", "--live", "--json")
	st := parseLiveStatus(t, r)
	if res, detail := st.check("vetty-chattr", app.SecretCheckName("api_key")); res != "valid" {
		t.Errorf("status --live on the demo's database: api_key is %s (%s); want valid\n%s", res, detail, r.err)
	}
	assertNoSecretPrinted(t, r.out, r.err)
}

// A vault already beside the database that the demo's passphrase does not
// open is not the demo's: the demo refuses it rather than touch it.
func TestDemoRefusesAnotherVault(t *testing.T) {
	c := newCLI(t)
	c.withVault()
	c.must(cliLeverKey1, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f := newFactory(&IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, func(string) string { return "" })
	f.Globals.DBPath = c.db
	_, err = f.demoService(context.Background(), srv, c.db, false)
	if err == nil || !strings.Contains(err.Error(), "not the demo's") {
		t.Fatalf("the demo opened another vault: %v", err)
	}
	if code := exitCode(err, &bytes.Buffer{}); code != exitUsage {
		t.Errorf("exit %d; want %d (usage)", code, exitUsage)
	}
}

// demo --serve prints lines a shell can source: each sets and exports one
// vendor URL.
func TestDemoServePrintsExportLines(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"demo", "--serve"}, &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, func(string) string { return "" })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), "serving") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo --serve: exit %d\n%s", code, errOut.String())
	}
	env := filepath.Join(t.TempDir(), "stand-ins.env")
	script := out.String()
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		if !strings.HasPrefix(line, "export PATCHBAY_") {
			t.Errorf("line %q is not an export", line)
		}
	}
	if err := os.WriteFile(env, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command("sh", "-c", `. "$1" && sh -c 'echo "$PATCHBAY_LEVER_URL $PATCHBAY_VETTY_URL"'`, "sh", env).Output()
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(string(got)); len(f) != 2 || !strings.HasPrefix(f[0], "http://127.0.0.1:") {
		t.Errorf("after sourcing, a child shell sees %q", got)
	}
}

// lockedBuffer is a bytes.Buffer safe to read while a command writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// doctor on a database in a shared directory such as /tmp never advises
// changing the directory's mode: it suggests a private one.
func TestDoctorNeverAdvisesChmodOfASharedDirectory(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	c := newCLI(t)
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(shared, 0o700) })
	c.db = filepath.Join(shared, "demo.db")
	r := c.run("", "doctor", "--offline")
	if strings.Contains(r.out, "chmod 700 "+shared) || strings.Contains(r.out, "chmod 700 the directory") {
		t.Errorf("doctor advises chmod of a shared directory:\n%s", r.out)
	}
	if !strings.Contains(r.out, "shared with other users") || !strings.Contains(r.out, "mkdir -m 700") {
		t.Errorf("doctor does not suggest a private directory:\n%s", r.out)
	}
}
