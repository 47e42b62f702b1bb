package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A setup carried from one customer to the next: export writes no secret
// and no attested step; apply to a new profile ends with the same steps
// done (attested ones listed for the admin); a second apply is a no-op.
func TestExportApplyCarriesSetupToNewProfile(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)

	file := filepath.Join(t.TempDir(), "acme.yaml")
	r := c.must("", "export", "-o", file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, secret := range cliSecrets {
		if strings.Contains(doc+r.out+r.err, secret) {
			t.Fatalf("export wrote a secret:\n%s", doc)
		}
	}
	for _, want := range []string{
		"version: 1", "certn-lever:", "lever-key:", "region: us",
		"api_key: env:PATCHBAY_SECRET_CERTN_LEVER_API_KEY",
		"signing_token: env:PATCHBAY_SECRET_CERTN_LEVER_SIGNING_TOKEN",
		"stage: Background Check",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("export lacks %q:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, "certn-credentials") || strings.Contains(doc, "confirmed") {
		t.Errorf("export carries an attested step:\n%s", doc)
	}

	// Without the secrets in the environment, apply refuses before anything runs.
	r = c.run("", "--profile", "globex", "--secrets", "vault", "apply", file)
	if r.code != exitUsage || !strings.Contains(r.err, "PATCHBAY_SECRET_CERTN_LEVER_API_KEY is not set") {
		t.Fatalf("apply without secrets: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if s := c.statusOf("globex"); s.step("certn-lever", "lever-key") == "done" {
		t.Fatal("a refused apply recorded a step")
	}

	c.env["PATCHBAY_SECRET_CERTN_LEVER_API_KEY"] = cliLeverKey2
	c.env["PATCHBAY_SECRET_CERTN_LEVER_SIGNING_TOKEN"] = cliSigning
	r = c.must("", "--profile", "globex", "--secrets", "vault", "apply", file, "--dry-run")
	if !strings.Contains(r.out, "5 to run, 0 unchanged, 1 to do by hand") || !strings.Contains(r.out, "manual    certn-lever/certn-credentials") ||
		!strings.Contains(r.out, "api_key from env:PATCHBAY_SECRET_CERTN_LEVER_API_KEY") {
		t.Fatalf("dry run plan:\n%s", r.out)
	}
	if s := c.statusOf("globex"); s.step("certn-lever", "lever-key") == "done" {
		t.Fatal("--dry-run recorded a step")
	}
	// A dry run of a profile that does not exist creates none.
	c.must("", "--profile", "hooli", "apply", file, "--dry-run")
	if r := c.run("", "--profile", "hooli", "status"); r.code != exitUsage {
		t.Fatalf("a dry run created profile hooli: status exit %d", r.code)
	}

	r = c.must("", "--profile", "globex", "--secrets", "vault", "apply", file)
	for _, secret := range cliSecrets {
		if strings.Contains(r.out+r.err, secret) {
			t.Fatalf("apply printed a secret:\n%s%s", r.out, r.err)
		}
	}
	s := c.statusOf("globex")
	for _, st := range []string{"lever-key", "lever-signing-token", "certn-packages", "certn-enable", "lever-trigger-stage"} {
		if got := s.step("certn-lever", st); got != "done" {
			t.Errorf("after apply, %s is %q, want done\n%s", st, got, r.out)
		}
	}
	if got := s.step("certn-lever", "certn-credentials"); got == "done" {
		t.Error("apply confirmed an attested step for the admin")
	}
	if last4, _, _ := s.secret("certn-lever", "api_key"); last4 != cliLeverKey2[len(cliLeverKey2)-4:] {
		t.Errorf("globex's Lever key ends %q, want the one from the environment", last4)
	}

	events := c.run("", "--profile", "globex", "history", "--json", "--limit", "0").out
	r = c.must("", "--profile", "globex", "--secrets", "vault", "apply", file)
	if !strings.Contains(r.out, "0 to run, 5 unchanged") || !strings.Contains(r.out, "Nothing to change.") {
		t.Fatalf("second apply is not a no-op:\n%s", r.out)
	}
	if again := c.run("", "--profile", "globex", "history", "--json", "--limit", "0").out; again != events {
		t.Error("a second apply recorded events")
	}

	// A changed secret in the environment is a change: that step runs again.
	c.env["PATCHBAY_SECRET_CERTN_LEVER_API_KEY"] = cliLeverKey1
	r = c.must("", "--profile", "globex", "--secrets", "vault", "apply", file, "--dry-run")
	if !strings.Contains(r.out, "run       certn-lever/lever-key — answers differ") {
		t.Fatalf("a changed secret was not planned:\n%s", r.out)
	}

	// A key the vendor refuses stops the apply at that step: nothing of it,
	// or of the steps after it, is recorded.
	c.env["PATCHBAY_SECRET_CERTN_LEVER_API_KEY"] = "lever-invalid-key-0000-gg77"
	r = c.run("", "--profile", "initech", "--secrets", "vault", "apply", file)
	if r.code != exitError || !strings.Contains(r.err, "apply stopped at certn-lever/lever-key") || strings.Contains(r.out+r.err, "lever-invalid-key-0000-gg77") {
		t.Fatalf("refused key: exit %d\n%s%s", r.code, r.out, r.err)
	}
	s = c.statusOf("initech")
	for _, st := range []string{"lever-key", "lever-signing-token", "certn-packages"} {
		if got := s.step("certn-lever", st); got == "done" {
			t.Errorf("after a refused apply, %s is done", st)
		}
	}
}

func TestApplyRefusesLiteralSecretsAndForeignShapes(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	dir := t.TempDir()
	cases := []struct {
		name, doc, want string
	}{
		{"literal secret", "version: 1\ncertn-lever:\n  lever-key:\n    region: us\n    api_key: lever-literal-key-0000-ff66\n", "must be a reference"},
		{"other env", "version: 1\ncertn-lever:\n  lever-key:\n    region: us\n    api_key: env:HOME\n", "only PATCHBAY_SECRET_"},
		{"attested step", "version: 1\ncertn-lever:\n  certn-credentials:\n    confirmed: \"true\"\n", "attested"},
		{"unknown step", "version: 1\ncertn-lever:\n  nosuch: {}\n", "unknown step"},
		{"unknown field", "version: 1\ncertn-lever:\n  lever-key:\n    colour: blue\n", `no field "colour"`},
		{"no version", "certn-lever: {}\n", "no version"},
		{"newer version", "version: 9\n", "version 9"},
		{"not a mapping", "- a\n- b\n", "expected a mapping"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(file, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			r := c.run("", "--profile", "newco", "--secrets", "vault", "apply", file)
			if r.code != exitUsage || !strings.Contains(r.err, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", r.code, r.err, tc.want)
			}
			if strings.Contains(r.out+r.err, "lever-literal-key-0000-ff66") {
				t.Fatal("the literal secret was repeated")
			}
			if strings.Contains(r.err, "created profile") {
				t.Fatal("a refused file created the profile")
			}
		})
	}
}

// statusOf is status --json of another profile; a profile that does not
// exist (yet) has no steps.
func (c *cli) statusOf(profile string) statusJSON {
	c.t.Helper()
	var s statusJSON
	r := c.run("", "--profile", profile, "status", "--json")
	if r.code == exitUsage {
		return s
	}
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		c.t.Fatalf("status --json: %v\n%s%s", err, r.out, r.err)
	}
	return s
}
