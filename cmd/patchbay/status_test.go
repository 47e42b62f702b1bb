package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/store/secrets/secretstest"
)

// liveStatusJSON is the part of `status --json` these tests read.
type liveStatusJSON struct {
	Integrations []struct {
		ID      string `json:"id"`
		State   string `json:"state"`
		Secrets []struct {
			Key  string `json:"key"`
			Live string `json:"live"`
		} `json:"secrets"`
		Checks []struct {
			Name       string `json:"name"`
			Result     string `json:"result"`
			Detail     string `json:"detail"`
			AgeSeconds int64  `json:"age_seconds"`
		} `json:"checks"`
	} `json:"integrations"`
}

func parseLiveStatus(t *testing.T, r result) liveStatusJSON {
	t.Helper()
	var s liveStatusJSON
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.out, r.err)
	}
	return s
}

// check returns one integration's check result, "" when there is none.
func (s liveStatusJSON) check(integration, name string) (result, detail string) {
	for _, in := range s.Integrations {
		if in.ID != integration {
			continue
		}
		for _, c := range in.Checks {
			if c.Name == name {
				return c.Result, c.Detail
			}
		}
	}
	return "", ""
}

// setUpCertnLever walks certn-lever without a terminal, as a script would.
func scriptCertnLever(t *testing.T, c *cli) {
	t.Helper()
	runs := []struct {
		stdin string
		args  []string
	}{
		{"lever-key-for-certn-0123456789\n", []string{"certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-"}},
		{"sig-token-0123456789abcdef\n", []string{"certn-lever/lever-signing-token", "--set", "signing_token=@-"}},
		{"", []string{"certn-lever/certn-packages", "--set", "packages=Standard:criminal+identity", "--set", "default_package=Standard"}},
		{"", []string{"certn-lever/certn-credentials", "--set", "confirmed=true"}},
		{"", []string{"certn-lever/certn-enable", "--set", "webhook_url=https://api.certn.co/lever/webhook/abc123"}},
		{"", []string{"certn-lever/lever-trigger-stage", "--set", "stage=Background Check"}},
	}
	for _, run := range runs {
		if r := c.run(run.stdin, append([]string{"run"}, run.args...)...); r.code != 0 {
			t.Fatalf("run %s: exit %d\n%s%s", run.args[0], r.code, r.out, r.err)
		}
	}
}

// status exits 0 while healthy and 1 while anything needs attention; --live
// finds what changed at the vendor and records it for the next plain status.
func TestStatusLiveExitCodes(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	srv := c.withStandins()
	scriptCertnLever(t, c)

	r := c.run("", "status", "--live", "--json")
	if r.code != 0 {
		t.Fatalf("healthy --live: exit %d\n%s%s", r.code, r.out, r.err)
	}
	s := parseLiveStatus(t, r)
	for _, name := range []string{"secret.api_key", "secret.signing_token", "lever.trigger_stage", "lever.certn_tags"} {
		if res, detail := s.check("certn-lever", name); res != "valid" {
			t.Errorf("%s: %q %q", name, res, detail)
		}
	}
	if _, detail := s.check("certn-lever", "lever.certn_tags"); !strings.Contains(detail, "Complete (Clear) 9") {
		t.Errorf("tag counts: %q", detail)
	}

	// The trigger stage disappears from Lever: plain status still reports
	// the last known state; --live finds the drift; status then remembers it.
	srv.Lever.RemoveStage("Background Check")
	if r := c.run("", "status"); r.code != 0 {
		t.Errorf("plain status before --live: exit %d", r.code)
	}
	r = c.run("", "status", "--live")
	if r.code != exitError || !strings.Contains(r.out, "check lever.trigger_stage: drift") || !strings.Contains(r.out, "Something needs attention") {
		t.Errorf("--live after the stage was removed: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = c.run("", "status", "--json")
	if res, _ := parseLiveStatus(t, r).check("certn-lever", "lever.trigger_stage"); r.code != exitError || res != "drift" {
		t.Errorf("plain status after --live: exit %d, trigger stage %q", r.code, res)
	}

	// The stage is back: healthy again.
	srv.Lever.AddStage("Background Check")
	if r := c.run("", "status", "--live", "--json"); r.code != 0 {
		t.Errorf("stage back: exit %d\n%s", r.code, r.out)
	}

	// A key replaced in the keyring behind patchbay's back is drift, in
	// status --live and in doctor, until the recorded one is back.
	ks := secrets.NewKeyring(secrets.Options{Timeout: 5 * time.Second, DatabaseID: databaseID(t, c.db)})
	account := secrets.Account("default", "certn-lever", "api_key")
	if err := ks.Set(context.Background(), account, "lever-key-from-elsewhere-0000-9999"); err != nil {
		t.Fatal(err)
	}
	r = c.run("", "status", "--live", "--json")
	s = parseLiveStatus(t, r)
	if res, detail := s.check("certn-lever", "secret.api_key"); r.code != exitError || res != "drift" ||
		!strings.Contains(detail, "the Lever API key in the keyring is not the one patchbay recorded (it ends …9999") {
		t.Errorf("replaced key: exit %d, secret.api_key %q %q", r.code, res, detail)
	}
	r = c.run("", "doctor", "--offline")
	if r.code != exitError || !strings.Contains(r.out, "FAIL  entries") || !strings.Contains(r.out, "not the one patchbay recorded") {
		t.Errorf("doctor with a replaced key: exit %d\n%s", r.code, r.out)
	}
	if err := ks.Set(context.Background(), account, "lever-key-for-certn-0123456789"); err != nil {
		t.Fatal(err)
	}
	if r := c.run("", "status", "--live"); r.code != 0 {
		t.Errorf("key back: exit %d\n%s", r.code, r.out)
	}

	// Vendors down: not a fault of the setup, but not healthy either: the
	// verdict is unknown (exit 3), live and in the plain status after it.
	srv.Close()
	r = c.run("", "status", "--live", "--json")
	s = parseLiveStatus(t, r)
	if res, _ := s.check("certn-lever", "lever.trigger_stage"); r.code != exitUnknown || res != "unreachable" {
		t.Errorf("vendors down: exit %d, trigger stage %q\n%s", r.code, res, r.err)
	}
	if strings.Contains(r.out+r.err, "lever-key-for-certn") || strings.Contains(r.out+r.err, "sig-token-0123") {
		t.Error("a secret was printed")
	}
	for _, args := range [][]string{{"status", "--live"}, {"status"}} {
		r = c.run("", args...)
		if r.code != exitUnknown || strings.Contains(r.out, "Nothing needs attention") || !strings.Contains(r.out, "could not run (3 unreachable)") {
			t.Errorf("%v with vendors down: exit %d\n%s%s", args, r.code, r.out, r.err)
		}
	}

	// Attention (exit 1) wins over unknown (3): the signing token, checked
	// without a vendor, is gone from the keyring.
	stale := secrets.Account("default", "certn-lever", "signing_token")
	if err := ks.Delete(context.Background(), stale); err != nil {
		t.Fatal(err)
	}
	r = c.run("", "status", "--live")
	if r.code != exitError || !strings.Contains(r.out, "Something needs attention (marked !); besides,") {
		t.Errorf("attention and unreachable: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

func TestStatusLiveUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"status", "--timeout", "5s"},
		{"status", "--live", "--timeout", "0s"},
	} {
		if r := c.run("", args...); r.code != exitUsage || !strings.Contains(r.err, "--timeout") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.err)
		}
	}
}

// Without a keyring or a vault, --live cannot read the secrets: it says
// so and fails, instead of reporting stale results as current.
func TestStatusLiveWithoutSecretsStore(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/patchbay-test-bus")
	c := newCLI(t)
	c.makeProfile("default")
	r := c.run("", "status", "--live")
	if r.code == 0 || !strings.Contains(r.err, "--secrets vault") {
		t.Errorf("exit %d, %q", r.code, r.err)
	}
}

// Every problem is listed once in the text status: a failing check is
// marked on its own line, not repeated as an attention line, and an expired
// key is said by its secret line and one line of what to do.
func TestStatusTextListsEachProblemOnce(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	in, _ := steps.Lookup("vetty-chattr")
	expired := now.AddDate(0, 0, -3)
	refused := "Vetty: the key was refused (401)"
	iv := app.IntegrationView{Integration: in, State: steps.StateNeedsAttention, Done: 1, Total: 4, NextStep: "vetty-webhook",
		Secrets: []app.SecretView{{Key: "api_key", Backend: "keyring", Last4: "9f3c", CreatedAt: now.AddDate(-2, 0, 0), ExpiresAt: expired, Live: "unauthorized"}},
		Checks: []app.CheckView{
			{Name: app.SecretCheckName("api_key"), Result: "unauthorized", Detail: refused, CheckedAt: now},
			{Name: app.ExpiryCheckName("api_key"), Result: "unauthorized", Detail: "expired on 2026-03-07: the vendor refuses it; rotate it (patchbay rotate vetty-chattr/api_key)", CheckedAt: now},
		},
		Attention: []string{
			"secret api_key expired on 2026-03-07: rotate it (patchbay rotate vetty-chattr/api_key)",
			app.SecretCheckName("api_key") + ": " + refused,
		},
	}
	for _, sv := range in.Steps {
		iv.Steps = append(iv.Steps, app.StepView{Step: sv, Status: steps.StatusTodo})
	}
	var b bytes.Buffer
	printStatus(&b, app.StatusFrom(app.Overview{Profile: "acme", SecretsBackend: "keyring", Integrations: []app.IntegrationView{iv}}, now))
	out := b.String()
	for _, once := range []string{"refused (401)", "patchbay rotate vetty-chattr/api_key"} {
		if n := strings.Count(out, once); n != 1 {
			t.Errorf("%q is said %d times:\n%s", once, n, out)
		}
	}
	if !strings.Contains(out, "  ! check secret.api_key: unauthorized") {
		t.Errorf("the refused key's check is not marked:\n%s", out)
	}
}
