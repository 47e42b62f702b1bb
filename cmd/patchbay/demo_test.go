package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store"
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
		svc, _, err := f.demoService(ctx, srv, c.db, false)
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
	_, _, err = f.demoService(context.Background(), srv, c.db, false)
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

// oldDemoDatabase writes, at path, what `patchbay demo --db PATH` kept
// before the demo kept its keys in the vault (dfc653e and earlier): the
// first schema only, profile demo on the "memory" secrets backend, and the
// secrets its steps stored recorded as held there. The Vetty rows are those
// that version wrote for a walk through the first three Vetty steps; the
// Certn rows are its Lever key and signing token, handed on to Certn.
func oldDemoDatabase(t *testing.T, path string) {
	t.Helper()
	schema, err := os.ReadFile(filepath.Join("..", "..", "internal", "store", "migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const at, expires = 1796125023227, 1859283423227
	for _, q := range []string{
		fmt.Sprintf("PRAGMA application_id = %d", store.ApplicationID),
		`CREATE TABLE IF NOT EXISTS schema_migrations (
		    version    INTEGER NOT NULL PRIMARY KEY,
		    name       TEXT    NOT NULL,
		    applied_at INTEGER NOT NULL
		) STRICT`,
		string(schema),
		fmt.Sprintf("INSERT INTO schema_migrations VALUES (1, '0001_init.sql', %d)", at),
		fmt.Sprintf("INSERT INTO profiles VALUES ('demo', 'memory', %d)", at),
		fmt.Sprintf(`INSERT INTO step_state VALUES
		    ('demo', 'vetty-chattr', 'vetty-key', 'done', 'verified', '{"expiry_months":"24","ip_allowlist":"0.0.0.0/0","user":"admin"}', %[1]d, %[1]d),
		    ('demo', 'vetty-chattr', 'vetty-webhook', 'done', 'attested', '{"confirmed":"true"}', %[1]d, %[1]d),
		    ('demo', 'vetty-chattr', 'chattr-connect', 'done', 'attested', '{"confirmed":"true","token_status":"valid"}', %[1]d, %[1]d),
		    ('demo', 'certn-lever', 'lever-key', 'done', 'verified', '{"region":"us"}', %[1]d, %[1]d),
		    ('demo', 'certn-lever', 'lever-signing-token', 'done', 'checked', '{}', %[1]d, %[1]d),
		    ('demo', 'certn-lever', 'certn-credentials', 'done', 'attested', '{"confirmed":"true"}', %[1]d, %[1]d)`, at),
		fmt.Sprintf(`INSERT INTO secrets VALUES
		    ('demo', 'vetty-chattr', 'api_key', 'memory', '1234', %[1]d, %[2]d, %[1]d, 'current', NULL, NULL, NULL),
		    ('demo', 'certn-lever', 'api_key', 'memory', 'aa11', %[1]d, NULL, %[1]d, 'current', NULL, NULL, NULL),
		    ('demo', 'certn-lever', 'signing_token', 'memory', 'cc33', %[1]d, NULL, NULL, 'current', NULL, NULL, NULL)`, at, expires),
		fmt.Sprintf(`INSERT INTO check_results VALUES
		    ('demo', 'vetty-chattr', 'expiry.api_key', 'valid', 'expires in 730 days, on 2028-12-01', %[1]d),
		    ('demo', 'vetty-chattr', 'secret.api_key', 'valid', 'Vetty accepted the key; it lists 8 package(s)', %[1]d),
		    ('demo', 'certn-lever', 'secret.api_key', 'valid', 'Lever accepted the key', %[1]d)`, at),
		fmt.Sprintf(`INSERT INTO events (at, profile, integration, step, kind, summary, detail_json) VALUES
		    (%[1]d, 'demo', 'vetty-chattr', 'vetty-key', 'step_run', 'Create a Vetty API key for Chattr: done — verified', '{"api_key_last4":"1234","proof":"verified"}'),
		    (%[1]d, 'demo', 'vetty-chattr', 'vetty-webhook', 'step_run', 'Add Chattr''s webhook in Vetty: done — attested', '{"proof":"attested"}'),
		    (%[1]d, 'demo', 'vetty-chattr', 'chattr-connect', 'step_run', 'Connect Vetty in Chattr: done — attested', '{"proof":"attested"}')`, at),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// A demo database kept by an earlier version records secrets its demo held
// in memory, which nothing holds any more. Reopened with demo --db, the demo
// says so plainly; the steps that stored them or handed them on are marked
// needs re-run with the reason (in the history too), the secrets and their
// stale "valid" checks are gone, and a second reopening finds nothing more.
// (Before, the steps stayed done, the secrets were listed as held in memory
// and each one's check read drift.)
func TestDemoReopensAnOldDatabaseWhoseSecretsWereInMemory(t *testing.T) {
	c := newCLI(t)
	oldDemoDatabase(t, c.db)

	// Accessible mode lists the integrations; 4 quits.
	r := c.run("4\n", "--accessible", "demo")
	if r.code != 0 {
		t.Fatalf("demo --db on an old database: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{
		"This demo database was made by an earlier patchbay, whose demo held its\n" +
			"secrets in memory only: they ended with that demo, and nothing kept a copy.\n" +
			"patchbay has forgotten them (vetty-chattr/api_key …1234, certn-lever/api_key\n" +
			"…aa11, certn-lever/signing_token …cc33).\n",
		"These steps of profile demo are marked needs re-run:\n" +
			"  vetty-chattr/vetty-key — Create a Vetty API key for Chattr\n      " + app.ReasonMemoryHeldStored + "\n" +
			"  vetty-chattr/chattr-connect — Connect Vetty in Chattr\n      " + app.ReasonMemoryHeldHanded + "\n" +
			"  certn-lever/lever-key — Generate the Lever API key for Certn\n      " + app.ReasonMemoryHeldStored + "\n" +
			"  certn-lever/lever-signing-token — Generate the Lever webhook signing token\n      " + app.ReasonMemoryHeldStored + "\n" +
			"  certn-lever/certn-credentials — Give Certn the Lever key and signing token\n      " + app.ReasonMemoryHeldHanded + "\n" +
			"Re-run them in the demo: any stand-in key will do.\n",
		"From now on the demo keeps its keys in the vault beside the database\n(passphrase \"demo\").\n",
		"Needs attention: Create a Vetty API key for Chattr needs a re-run.", // the accessible home, after the notice, by the step's title
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the demo does not say %q:\n%s", want, r.out)
		}
	}

	want := map[string]string{
		"vetty-chattr/vetty-key": "needs_rerun", "vetty-chattr/vetty-webhook": "done", "vetty-chattr/chattr-connect": "needs_rerun",
		"certn-lever/lever-key": "needs_rerun", "certn-lever/lever-signing-token": "needs_rerun", "certn-lever/certn-credentials": "needs_rerun",
	}
	check := func() {
		t.Helper()
		st := c.statusOf("demo")
		for ref, status := range want {
			integ, step, _ := strings.Cut(ref, "/")
			if got := st.step(integ, step); got != status {
				t.Errorf("%s is %q, want %q", ref, got, status)
			}
		}
		for _, in := range st.Integrations {
			if len(in.Secrets) > 0 {
				t.Errorf("%s still lists secrets: %+v", in.ID, in.Secrets)
			}
			if (in.ID == "vetty-chattr" || in.ID == "certn-lever") && in.State != "needs_attention" {
				t.Errorf("%s is %s, want needs_attention", in.ID, in.State)
			}
		}
		r := c.run("", "--profile", "demo", "status")
		if r.code != exitError || strings.Contains(r.out, "in memory") || strings.Contains(r.out, "valid") {
			t.Errorf("status: exit %d\n%s", r.code, r.out)
		}
	}
	check()
	history := c.run("", "--profile", "demo", "history", "--limit", "0").out
	for _, want := range []string{"Needs a re-run: vetty-key (" + app.ReasonMemoryHeldStored + ")",
		"Needs a re-run: chattr-connect (" + app.ReasonMemoryHeldHanded + ")",
		"Forgot api_key …1234: an earlier patchbay demo held it in memory, and nothing keeps it"} {
		if !strings.Contains(history, want) {
			t.Errorf("history lacks %q:\n%s", want, history)
		}
	}

	// Opened again, there is nothing more to say or change.
	r = c.run("4\n", "--accessible", "demo")
	if r.code != 0 || strings.Contains(r.out, "earlier patchbay") {
		t.Fatalf("demo reopened a second time: exit %d\n%s%s", r.code, r.out, r.err)
	}
	check()
	if again := c.run("", "--profile", "demo", "history", "--limit", "0").out; again != history {
		t.Errorf("the second reopening recorded events:\n%s", again)
	}
}

// Before the demo reopens it, an old demo database is read by status as it
// is: its secrets held in memory are gone, so status never calls them
// valid or says nothing needs attention (before: exit 0, "live: valid"),
// and it says how to clear them; the database is not changed by reading.
func TestStatusOnAnOldDemoDatabaseSaysItsSecretsAreGone(t *testing.T) {
	c := newCLI(t)
	oldDemoDatabase(t, c.db)
	r := c.run("", "--profile", "demo", "status")
	if r.code != exitError {
		t.Errorf("status: exit %d, want 1\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{
		"secret api_key …1234 was held in memory by an earlier patchbay demo and is gone: open this database with patchbay demo --db",
		"secret signing_token …cc33 was held in memory",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("status does not say %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "valid") || strings.Contains(r.out, "Nothing needs attention") {
		t.Errorf("status vouches for secrets nothing holds:\n%s", r.out)
	}
	if st := c.statusOf("demo"); st.step("vetty-chattr", "vetty-key") != "done" {
		t.Error("reading the database changed it")
	}
}
