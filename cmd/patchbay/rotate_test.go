package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Test secrets; each has a distinct ending.
const (
	cliLeverKey1 = "lever-key-cli-first-0000-aa11"
	cliLeverKey2 = "lever-key-cli-second-000-bb22"
	cliSigning   = "sig-token-cli-0000000000-cc33"
	cliVettyKey1 = "vetty-key-cli-first-0000-dd44"
	cliVettyKey2 = "vetty-key-cli-second-000-ee55"
	testVaultPW  = "correct horse battery staple"
)

var cliSecrets = []string{cliLeverKey1, cliLeverKey2, cliSigning, cliVettyKey1, cliVettyKey2}

// withVault makes the cli use a fast encrypted vault for the default profile.
func (c *cli) withVault() {
	c.env[secrets.VaultPassphraseEnv] = testVaultPW
	c.env[vaultWorkFactorEnv] = "10"
}

// vault opens the cli's vault directly, to look at what is stored.
func (c *cli) vault() *secrets.Vault {
	return secrets.NewVault(vaultPath(c.db),
		func() (string, error) { return testVaultPW, nil }, secrets.VaultOptions{WorkFactor: 10})
}

// runTTY runs patchbay as if on a terminal, answering prompts from stdin.
func (c *cli) runTTY(stdin string, args ...string) result {
	c.t.Helper()
	var out, errOut bytes.Buffer
	io := &IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut, InTTY: true, OutTTY: true}
	getenv := func(k string) string { return c.env[k] }
	code := Main(context.Background(), append([]string{"--db", c.db}, args...), io, getenv)
	return result{code: code, out: out.String(), err: errOut.String()}
}

func (c *cli) must(stdin string, args ...string) result {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.out, r.err)
	}
	return r
}

func (c *cli) completeCertnLever(key string) {
	c.t.Helper()
	c.must(key, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	c.must(cliSigning, "run", "certn-lever/lever-signing-token", "--set", "signing_token=@-")
	c.must("", "run", "certn-lever/certn-packages", "--set", "packages=Standard:criminal+identity", "--set", "default_package=Standard")
	c.must("", "run", "certn-lever/certn-credentials", "--set", "confirmed=true")
	c.must("", "run", "certn-lever/certn-enable", "--set", "webhook_url=https://api.certn.co/lever/webhook/abc123")
	c.must("", "run", "certn-lever/lever-trigger-stage", "--set", "stage=Background Check")
}

func (c *cli) completeVettyChattr(key string) {
	c.t.Helper()
	c.must(key, "--secrets", "vault", "run", "vetty-chattr/vetty-key", "--set", "user=ops@acme.test", "--set", "expiry_months=24", "--set", "api_key=@-")
	c.must("", "run", "vetty-chattr/vetty-webhook", "--set", "confirmed=true")
	c.must("", "run", "vetty-chattr/chattr-connect", "--set", "token_status=valid", "--set", "confirmed=true")
	c.must("", "run", "vetty-chattr/chattr-packages", "--set", "packages=Driver=Driver (MVR)")
}

// statusJSON is the part of status --json these tests read.
type statusJSON struct {
	Integrations []struct {
		ID    string `json:"id"`
		State string `json:"state"`
		Steps []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"steps"`
		Secrets []struct {
			Key          string  `json:"key"`
			Last4        string  `json:"last4"`
			ExpiresAt    *string `json:"expires_at"`
			PreviousKept bool    `json:"previous_kept"`
		} `json:"secrets"`
	} `json:"integrations"`
}

func (c *cli) status() statusJSON {
	c.t.Helper()
	r := c.run("", "status", "--json")
	var s statusJSON
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		c.t.Fatalf("status --json: %v\n%s%s", err, r.out, r.err)
	}
	return s
}

// step returns a step's status in the report.
func (s statusJSON) step(integration, step string) string {
	for _, in := range s.Integrations {
		for _, st := range in.Steps {
			if in.ID == integration && st.ID == step {
				return st.Status
			}
		}
	}
	return ""
}

// secret returns a secret's last4 and whether a previous copy is kept.
func (s statusJSON) secret(integration, key string) (last4 string, previous bool, expires string) {
	for _, in := range s.Integrations {
		for _, sec := range in.Secrets {
			if in.ID == integration && sec.Key == key {
				if sec.ExpiresAt != nil {
					expires = *sec.ExpiresAt
				}
				return sec.Last4, sec.PreviousKept, expires
			}
		}
	}
	return "", false, ""
}

// historyJSON is history --json.
type historyJSON struct {
	Profile string `json:"profile"`
	Events  []struct {
		Kind        string            `json:"kind"`
		Integration string            `json:"integration"`
		Summary     string            `json:"summary"`
		Detail      map[string]string `json:"detail"`
	} `json:"events"`
}

func (c *cli) history(args ...string) (historyJSON, string) {
	c.t.Helper()
	r := c.run("", append([]string{"history", "--json", "--limit", "0"}, args...)...)
	var h historyJSON
	if err := json.Unmarshal([]byte(r.out), &h); err != nil {
		c.t.Fatalf("history --json: %v\n%s%s", err, r.out, r.err)
	}
	return h, r.out
}

func (h historyJSON) kinds() map[string]int {
	out := map[string]int{}
	for _, e := range h.Events {
		out[e.Kind]++
	}
	return out
}

func assertNoSecretPrinted(t *testing.T, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, s := range cliSecrets {
			if strings.Contains(text, s) {
				t.Errorf("a secret was printed: %q", text)
			}
		}
	}
}

func TestRotateCommandWithoutATerminal(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)

	// Without a terminal and without the new secret: a clear message, exit 2.
	r := c.run("", "rotate", "certn-lever/api_key")
	if r.code != exitUsage || !strings.Contains(r.err, "--set api_key=@-") {
		t.Fatalf("no secret: exit %d, %q", r.code, r.err)
	}
	// Literal secrets and unknown secrets are refused.
	r = c.run("", "rotate", "certn-lever/api_key", "--set", "api_key="+cliLeverKey2)
	if r.code != exitUsage || strings.Contains(r.out+r.err, cliLeverKey2) {
		t.Fatalf("literal secret: exit %d, %q", r.code, r.err)
	}
	if r = c.run("", "rotate", "certn-lever/stage"); r.code != exitUsage || !strings.Contains(r.err, "api_key, signing_token") {
		t.Fatalf("unknown secret: exit %d, %q", r.code, r.err)
	}
	if r = c.run("", "rotate", "vetty-chattr/api_key", "--set", "api_key=@-"); r.code != exitError || !strings.Contains(r.err, "run step vetty-key first") {
		t.Fatalf("nothing stored yet: exit %d, %q", r.code, r.err)
	}

	// A key Lever refuses changes nothing.
	before := c.status()
	r = c.run("an-invalid-key-0000-ff66", "rotate", "certn-lever/api_key", "--set", "api_key=@-")
	if r.code != exitError || !strings.Contains(r.out, "Nothing was changed") || !strings.Contains(r.out, "what to do:") {
		t.Fatalf("refused key: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if after := c.status(); !jsonEqual(t, before, after) {
		t.Errorf("a refused rotation changed the status")
	}
	if v, _ := c.vault().Get(context.Background(), "default/certn-lever/api_key"); v != cliLeverKey1 {
		t.Error("a refused rotation changed the stored key")
	}

	// The same key again is refused as such.
	if r = c.run(cliLeverKey1, "rotate", "certn-lever/api_key", "--set", "api_key=@-"); r.code != exitUsage || !strings.Contains(r.err, "already stored") {
		t.Fatalf("same key: exit %d, %q", r.code, r.err)
	}

	// The rotation.
	r = c.run(cliLeverKey2+"\n", "rotate", "certn-lever/api_key", "--set", "api_key=@-")
	if r.code != 0 {
		t.Fatalf("rotate: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{"Rotated certn-lever/api_key: …aa11 → …bb22", "verified",
		"patchbay run certn-lever/certn-credentials", "patchbay rotate --revoked certn-lever/api_key"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("rotate output lacks %q:\n%s", want, r.out)
		}
	}
	st := c.status()
	if got := st.step("certn-lever", "certn-credentials"); got != "needs_rerun" {
		t.Errorf("certn-credentials is %q, want needs_rerun", got)
	}
	if last4, prev, _ := st.secret("certn-lever", "api_key"); last4 != "bb22" || !prev {
		t.Errorf("api_key last4 %q previous_kept %v", last4, prev)
	}

	// A second rotation waits for the revocation.
	if r = c.run("lever-key-cli-third-0000-gg77", "rotate", "certn-lever/api_key", "--set", "api_key=@-"); r.code != exitError || !strings.Contains(r.err, "rotate --revoked") {
		t.Fatalf("second rotation: exit %d, %q", r.code, r.err)
	}
	if r = c.run("", "rotate", "--revoked", "certn-lever/api_key", "--set", "api_key=@-"); r.code != exitUsage {
		t.Errorf("--revoked with --set: exit %d", r.code)
	}
	r = c.must("", "rotate", "--revoked", "certn-lever/api_key")
	if !strings.Contains(r.out, "…aa11") {
		t.Errorf("revoked output: %q", r.out)
	}
	if _, err := c.vault().Get(context.Background(), "default/certn-lever/api_key.previous"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the previous copy is still in the vault: %v", err)
	}
	if r = c.run("", "rotate", "--revoked", "certn-lever/api_key"); r.code != exitUsage {
		t.Errorf("confirming twice: exit %d", r.code)
	}

	h, raw := c.history("certn-lever")
	k := h.kinds()
	if k["rotation"] != 1 || k["revocation"] != 1 || k["verification"] != 1 || k["needs_rerun"] != 1 {
		t.Errorf("history kinds %v", k)
	}
	table := c.must("", "history").out
	if !strings.Contains(table, "TIME (UTC)") || !strings.Contains(table, "rotation") {
		t.Errorf("history table:\n%s", table)
	}
	assertNoSecretPrinted(t, raw, table, r.out, r.err)
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestRotateCommandOnATerminal(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeVettyChattr(cliVettyKey1)

	// Expiry months, the new key, no re-run now, not revoked yet.
	r := c.runTTY("12\n"+cliVettyKey2+"\nn\nn\n", "rotate", "vetty-chattr/api_key")
	if r.code != 0 {
		t.Fatalf("rotate: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{"Vetty › Settings › API Management", "Add New User Key", "Expiration (months) of the new Vetty API key [24]",
		"input hidden", "Rotated vetty-chattr/api_key", "patchbay run vetty-chattr/chattr-connect", "Re-run vetty-chattr/chattr-connect now?",
		"Have you revoked the previous value", "Once you have: patchbay rotate --revoked vetty-chattr/api_key"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	assertNoSecretPrinted(t, r.out, r.err)
	st := c.status()
	if _, prev, expires := st.secret("vetty-chattr", "api_key"); !prev || !strings.HasPrefix(expires, "2") {
		t.Errorf("previous kept %v, expires %q", prev, expires)
	}
	if got := st.step("vetty-chattr", "chattr-connect"); got != "needs_rerun" {
		t.Errorf("chattr-connect is %q", got)
	}

	// Re-running the hand-on step, then confirming the revocation on a terminal.
	c.must("", "run", "vetty-chattr/chattr-connect", "--set", "token_status=valid", "--set", "confirmed=true")
	r = c.runTTY("y\n", "rotate", "--revoked", "vetty-chattr/api_key")
	if r.code != 0 || c.status().step("vetty-chattr", "chattr-connect") != "done" {
		t.Fatalf("revoked: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

func TestResetAndDisconnectCommands(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)
	c.completeVettyChattr(cliVettyKey1)
	ctx := context.Background()
	stored := func(account string) bool {
		_, err := c.vault().Get(ctx, account)
		return err == nil
	}

	if r := c.run("", "reset", "certn-lever/lever-key"); r.code != exitUsage || !strings.Contains(r.err, "--yes") {
		t.Fatalf("reset without a terminal: exit %d, %q", r.code, r.err)
	}
	if r := c.run("", "reset", "nosuch"); r.code != exitUsage {
		t.Fatalf("unknown integration: exit %d", r.code)
	}
	// --yes forgets the progress but keeps the secret.
	r := c.must("", "reset", "certn-lever/lever-key", "--yes")
	if !strings.Contains(r.out, "Forgot: lever-key") || !strings.Contains(r.out, "--remove-secrets") || !stored("default/certn-lever/api_key") {
		t.Fatalf("reset --yes:\n%s", r.out)
	}
	if got := c.status().step("certn-lever", "lever-key"); got != "todo" {
		t.Errorf("lever-key is %q after its reset", got)
	}
	// On a terminal: yes to the progress, no to the secret.
	c.must(cliLeverKey1, "run", "certn-lever/lever-key", "--set", "region=us")
	r = c.runTTY("y\nn\n", "reset", "certn-lever/lever-key")
	if r.code != 0 || !strings.Contains(r.out, "Remove them from the secrets store too?") || !stored("default/certn-lever/api_key") {
		t.Fatalf("interactive reset keeping the secret: exit %d\n%s", r.code, r.out)
	}
	// Saying no to the progress changes nothing.
	r = c.runTTY("n\n", "reset", "certn-lever")
	if r.code != 0 || !strings.Contains(r.out, "Nothing was changed") || c.status().step("certn-lever", "certn-enable") != "done" {
		t.Fatalf("declined reset: exit %d\n%s", r.code, r.out)
	}
	// The secret goes only with explicit consent.
	r = c.must("", "reset", "certn-lever/lever-key", "--yes", "--remove-secrets")
	if !strings.Contains(r.out, "Removed api_key …aa11") || stored("default/certn-lever/api_key") {
		t.Fatalf("reset --remove-secrets:\n%s", r.out)
	}
	if !stored("default/certn-lever/signing_token") {
		t.Error("the signing token of another step was removed")
	}

	// Disconnect.
	if r := c.run("", "disconnect", "certn-lever", "--yes"); r.code != exitUsage {
		t.Errorf("disconnect certn-lever: exit %d", r.code)
	}
	if r := c.run("", "disconnect", "vetty-chattr"); r.code != exitUsage || !strings.Contains(r.err, "--yes") {
		t.Errorf("disconnect without a terminal: exit %d, %q", r.code, r.err)
	}
	r = c.runTTY("n\n", "disconnect", "vetty-chattr")
	if r.code != 0 || !strings.Contains(r.out, "delete the key in Vetty › Settings › API Management") || !stored("default/vetty-chattr/api_key") {
		t.Fatalf("declined disconnect: exit %d\n%s", r.code, r.out)
	}
	r = c.must("", "disconnect", "vetty-chattr", "--yes")
	if !strings.Contains(r.out, "Disconnected") || stored("default/vetty-chattr/api_key") {
		t.Fatalf("disconnect:\n%s", r.out)
	}
	for _, in := range c.status().Integrations {
		if in.ID == "vetty-chattr" && (in.State != "not_started" || len(in.Secrets) != 0) {
			t.Errorf("vetty-chattr after disconnect: %+v", in)
		}
	}
	h, raw := c.history()
	if k := h.kinds(); k["disconnect"] != 1 || k["secret_removed"] != 2 || k["reset"] < 3 {
		t.Errorf("history kinds %v", k)
	}
	assertNoSecretPrinted(t, raw)
}

func TestDoctorReportsAndRemovesOrphans(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)
	ctx := context.Background()
	if err := c.vault().Set(ctx, "default/certn-lever/api_key.staging", "stray-staged-value-0000-hh88"); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "doctor", "--offline")
	if r.code != 0 || !strings.Contains(r.out, "warn  orphans   default/certn-lever/api_key.staging") || !strings.Contains(r.out, "--remove-orphans") ||
		!strings.Contains(r.out, "ok    pending") {
		t.Fatalf("doctor: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = c.must("", "doctor", "--offline", "--remove-orphans")
	if !strings.Contains(r.out, "removed default/certn-lever/api_key.staging") {
		t.Fatalf("doctor --remove-orphans:\n%s", r.out)
	}
	if _, err := c.vault().Get(ctx, "default/certn-lever/api_key.staging"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the orphan is still stored: %v", err)
	}
	if v, _ := c.vault().Get(ctx, "default/certn-lever/api_key"); v != cliLeverKey1 {
		t.Error("the real key was touched")
	}
	if r := c.must("", "doctor", "--offline"); !strings.Contains(r.out, "ok    orphans") {
		t.Errorf("doctor after the removal:\n%s", r.out)
	}
	if h, _ := c.history(); h.kinds()["secret_removed"] != 1 {
		t.Errorf("the removal is not in the history: %v", h.kinds())
	}
}
