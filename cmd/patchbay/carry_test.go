package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
)

// acmeWebhookURL is the Certn webhook URL completeCertnLever records.
const acmeWebhookURL = "https://api.certn.co/lever/webhook/abc123"

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
	// Certn's webhook URL is acme's own: the file says it is left out and
	// why, and export says so too.
	if strings.Contains(doc+r.out+r.err, acmeWebhookURL) {
		t.Errorf("export carries acme's Certn webhook URL:\n%s", doc)
	}
	if !strings.Contains(doc, "# webhook_url is left out: it is each customer's own (Certn gives each account its own") ||
		!strings.Contains(doc, "--set certn-lever/certn-enable.webhook_url=…\n  certn-enable: {}") ||
		!strings.Contains(r.err, "left out certn-lever/certn-enable.webhook_url, each customer's own") {
		t.Errorf("export does not say the webhook URL is left out:\n%s%s", doc, r.err)
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
	if !strings.Contains(r.out, "3 to run, 0 unchanged, 1 to do by hand, 1 needing globex's own answers, 1 waiting for them") ||
		!strings.Contains(r.out, "manual    certn-lever/certn-credentials") ||
		!strings.Contains(r.out, "answer    certn-lever/certn-enable — needs globex's own webhook_url") ||
		!strings.Contains(r.out, "waits     certn-lever/lever-trigger-stage — runs after certn-lever/certn-enable") ||
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
	for _, st := range []string{"lever-key", "lever-signing-token", "certn-packages"} {
		if got := s.step("certn-lever", st); got != "done" {
			t.Errorf("after apply, %s is %q, want done\n%s", st, got, r.out)
		}
	}
	// Certn's webhook URL is globex's to give: that step is still to do,
	// and the trigger stage, which hands the URL to Lever, waits for it.
	for _, st := range []string{"certn-credentials", "certn-enable", "lever-trigger-stage"} {
		if got := s.step("certn-lever", st); got != "todo" {
			t.Errorf("after apply, %s is %q, want todo\n%s", st, got, r.out)
		}
	}
	if last4, _, _ := s.secret("certn-lever", "api_key"); last4 != cliLeverKey2[len(cliLeverKey2)-4:] {
		t.Errorf("globex's Lever key ends %q, want the one from the environment", last4)
	}
	c.assertProfileLacks("globex", acmeWebhookURL)
	next := "patchbay apply " + file + " --db " + c.db + " --profile globex --secrets vault --set certn-lever/certn-enable.webhook_url=URL"
	if !strings.Contains(r.out, "globex's own answers still needed") || !strings.Contains(r.out, "it is in Certn › Settings › Team › Integrations › Lever") ||
		!strings.Contains(r.out, "To give them and run the 1 step(s) waiting for them:\n  "+next+"\n") {
		t.Fatalf("apply does not say what is left for globex, and how:\n%s", r.out)
	}

	// The command it shows, with globex's own URL, finishes the setup; the
	// hand-off to Lever names globex's URL.
	const globexURL = "https://api.certn.co/lever/webhook/globex-2b2b"
	r = c.must("", "--profile", "globex", "--secrets", "vault", "apply", file, "--set", "certn-lever/certn-enable.webhook_url="+globexURL)
	if !strings.Contains(r.out, "2 to run, 3 unchanged, 1 to do by hand\n") || !strings.Contains(r.out, "webhook_url from --set") ||
		!strings.Contains(r.out, "Certn integration API webhook URL: "+globexURL) || strings.Contains(r.out, "own answers still needed") {
		t.Fatalf("apply with globex's URL:\n%s", r.out)
	}
	s = c.statusOf("globex")
	for _, st := range []string{"lever-key", "lever-signing-token", "certn-packages", "certn-enable", "lever-trigger-stage"} {
		if got := s.step("certn-lever", st); got != "done" {
			t.Errorf("after apply, %s is %q, want done\n%s", st, got, r.out)
		}
	}
	if got := s.step("certn-lever", "certn-credentials"); got == "done" {
		t.Error("apply confirmed an attested step for the admin")
	}
	c.assertProfileLacks("globex", acmeWebhookURL)

	// Applied again without --set, globex keeps its own URL.
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
		{"version with trailing text", "version: 1garbage\n", "version must be a whole number"},
		{"second document", "version: 1\ncertn-lever:\n  lever-key:\n    region: us\n---\ncertn-lever:\n  lever-key:\n    region: eu\n", "more than one YAML document"},
		{"field twice", "version: 1\ncertn-lever:\n  lever-key:\n    region: us\n    region: eu\n", "line 5: certn-lever/lever-key field region is given twice (first on line 4)"},
		{"step twice", "version: 1\ncertn-lever:\n  lever-key: {region: us}\n  lever-key: {region: eu}\n", "certn-lever/lever-key is given twice"},
		{"integration twice", "version: 1\ncertn-lever: {}\ncertn-lever: {}\n", "certn-lever is given twice"},
		{"empty file", "# nothing here\n", "the file is empty: write it with patchbay export"},
		{"closing --- is no second document", "version: 1\ncertn-lever:\n  lever-key:\n    colour: blue\n---\n", `no field "colour"`},
		{"custom tag", "version: 1\ncertn-lever:\n  lever-key:\n    region: !vault us\n", "tagged !vault"},
		{"binary value", "version: 1\ncertn-lever:\n  lever-key:\n    region: !!binary dXM=\n", "tagged !!binary: write the value as plain text"},
		{"thousands of wrong fields", "version: 1\ncertn-lever:\n  lever-key:\n" + manyFields(2000), "and 1990 more problem(s)"},
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
			if len(r.err) > 4096 {
				t.Fatalf("the refusal runs to %d bytes", len(r.err))
			}
		})
	}
}

// manyFields is n wrong fields of a step, with long names.
func manyFields(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "    field-%d-%s: x\n", i, strings.Repeat("n", 200))
	}
	return b.String()
}

// A relative file: reference is read beside the file that names it,
// wherever apply is started: a setup kept with its secrets in one folder
// applies from anywhere.
func TestApplyReadsRelativeSecretFilesBesideTheFile(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lever.key"), []byte(cliLeverKey1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "acme.yaml")
	doc := "version: 1\ncertn-lever:\n  lever-key:\n    region: us\n    api_key: file:lever.key\n"
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if wd, _ := os.Getwd(); wd == dir {
		t.Fatal("the test must run apply from another directory")
	}
	r := c.run("", "--profile", "globex", "--secrets", "vault", "apply", file)
	if r.code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if s := c.statusOf("globex"); s.step("certn-lever", "lever-key") != "done" {
		t.Fatalf("lever-key was not applied:\n%s", r.out)
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

// assertProfileLacks fails when anything patchbay keeps of the profile
// (answers, history, runs, status) holds text.
func (c *cli) assertProfileLacks(profile, text string) {
	c.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, c.db)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	all, err := db.AllStepStates(ctx, profile)
	if err != nil {
		c.t.Fatal(err)
	}
	for integ, sts := range all {
		for id, st := range sts {
			for k, v := range st.Values {
				if strings.Contains(v, text) {
					c.t.Errorf("%s: %s/%s recorded %s = %q", profile, integ, id, k, v)
				}
			}
		}
	}
	for _, in := range steps.Catalog() {
		for _, st := range in.Steps {
			runs, err := db.StepRuns(ctx, profile, in.ID, st.ID, 0)
			if err != nil {
				c.t.Fatal(err)
			}
			for _, r := range runs {
				if strings.Contains(r.Detail, text) {
					c.t.Errorf("%s: a run of %s/%s says %q", profile, in.ID, st.ID, r.Detail)
				}
			}
		}
	}
	for _, args := range [][]string{{"history", "--json", "--limit", "0"}, {"status", "--json"}} {
		r := c.run("", append([]string{"--profile", profile}, args...)...)
		if strings.Contains(r.out+r.err, text) {
			c.t.Errorf("%s %v shows %q:\n%s", profile, args, text, r.out)
		}
	}
}

// A file that holds a Certn webhook URL (written by an earlier patchbay, or
// edited) never gives it to another customer: a profile that recorded its
// own keeps it, with its hand-off to Lever still done; a new profile gets
// none, waits for its own, and takes it from --set.
func TestApplyNeverUsesAFilesWebhookURL(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLeverFor("globex", cliLeverKey2, "Phone screen") // records acmeWebhookURL's path as its own
	const otherURL = "https://api.certn.co/lever/webhook/acme-0001"
	file := filepath.Join(t.TempDir(), "old.yaml")
	// As patchbay export wrote it before the webhook URL was left out.
	old := `# patchbay setup: non-secret answers only; secrets are references (env:NAME or file:PATH).
version: 1
certn-lever:
  lever-key:
    region: us
    api_key: env:PATCHBAY_SECRET_CERTN_LEVER_API_KEY
  certn-packages:
    packages: Standard:criminal+identity
    default_package: Standard
  certn-enable:
    webhook_url: ` + otherURL + `
  lever-trigger-stage:
    stage: Phone screen
`
	if err := os.WriteFile(file, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	c.env["PATCHBAY_SECRET_CERTN_LEVER_API_KEY"] = cliLeverKey2

	r := c.must("", "--profile", "globex", "apply", file)
	if !strings.Contains(r.out, "0 to run, 4 unchanged") ||
		!strings.Contains(r.out, "unchanged certn-lever/certn-enable — already done with these answers\n            webhook_url in the file is not used: it is each customer's own, and globex keeps the one it recorded") {
		t.Fatalf("apply of a file with another customer's webhook URL:\n%s", r.out)
	}
	s := c.statusOf("globex")
	if got := s.step("certn-lever", "lever-trigger-stage"); got != "done" {
		t.Errorf("globex's trigger stage is %q: the hand-off to Lever was undone", got)
	}
	c.assertProfileLacks("globex", otherURL)

	// A new customer: the step waits for its own URL, and the file's is
	// nowhere in its profile.
	c.env["PATCHBAY_SECRET_CERTN_LEVER_API_KEY"] = cliLeverKey1
	r = c.must("", "--profile", "initech", "--secrets", "vault", "apply", file)
	if !strings.Contains(r.out, "answer    certn-lever/certn-enable — needs initech's own webhook_url\n            webhook_url in the file is not used: it is each customer's own, and initech's own is needed") ||
		!strings.Contains(r.out, "--profile initech --secrets vault --set certn-lever/certn-enable.webhook_url=URL\n") {
		t.Fatalf("apply to a new customer:\n%s", r.out)
	}
	s = c.statusOf("initech")
	if got := s.step("certn-lever", "certn-enable"); got != "todo" {
		t.Errorf("initech's certn-enable is %q, want todo", got)
	}
	c.assertProfileLacks("initech", otherURL)

	const initechURL = "https://api.certn.co/lever/webhook/initech-3c3c"
	r = c.must("", "--profile", "initech", "apply", file, "--set", "certn-lever/certn-enable.webhook_url="+initechURL)
	if !strings.Contains(r.out, "webhook_url in the file is not used: it is each customer's own, and the one from --set is used") ||
		!strings.Contains(r.out, "Certn integration API webhook URL: "+initechURL) {
		t.Fatalf("apply with initech's URL:\n%s", r.out)
	}
	s = c.statusOf("initech")
	for _, st := range []string{"certn-enable", "lever-trigger-stage"} {
		if got := s.step("certn-lever", st); got != "done" {
			t.Errorf("initech's %s is %q, want done", st, got)
		}
	}
	c.assertProfileLacks("initech", otherURL)
}

// apply --set takes only a customer's own answers, checked before anything
// is opened: the other answers come from the file, secrets from their
// references, never from the command line.
func TestApplySetTakesOnlyOwnAnswers(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)
	file := filepath.Join(t.TempDir(), "acme.yaml")
	c.must("", "export", "-o", file)
	c.env["PATCHBAY_SECRET_CERTN_LEVER_API_KEY"] = cliLeverKey2
	c.env["PATCHBAY_SECRET_CERTN_LEVER_SIGNING_TOKEN"] = cliSigning
	cases := []struct{ set, want string }{
		{"certn-lever/lever-key.region=eu", "certn-lever/lever-key.region: the file carries it (edit it there); --set takes only each customer's own answers: vetty-chattr/vetty-key.user, certn-lever/certn-enable.webhook_url, charthop-lever/lever-key.write_permissions"},
		{"certn-lever/lever-key.api_key=" + cliLeverKey2, "a secret comes from its reference in the file (env:… or file:…), never from the command line"},
		{"certn-lever/certn-enable.webhook_url=http://certn.example/hook", "only https URLs"},
		{"certn-lever/certn-enable.webhook_url=" + acmeWebhookURL + "#a", ""}, // a valid URL: accepted
		{"certn-lever/certn-enable=https://certn.example/hook", "apply --set #1 is not INTEGRATION/STEP.FIELD=VALUE naming an answer of the catalog"},
		{"certn-lever/certn-enable.colour=blue", "apply --set #1 is not INTEGRATION/STEP.FIELD=VALUE"},
		{cliLeverKey2, "(not repeated here, in case it was a secret)"},
		{"certn-lever/certn-enable.webhook_url", "certn-lever/certn-enable.webhook_url: webhook_url: is empty; paste the https URL Certn showed"},
		{"vetty-chattr/vetty-key.user=it@initech.test", "the file carries no vetty-chattr/vetty-key to apply it to; run the step itself: patchbay run vetty-chattr/vetty-key"},
	}
	for _, tc := range cases {
		t.Run(tc.set, func(t *testing.T) {
			r := c.run("", "--profile", "initech", "--secrets", "vault", "apply", file, "--dry-run", "--set", tc.set)
			if tc.want == "" {
				if r.code != 0 || !strings.Contains(r.out, "run       certn-lever/certn-enable — not done yet\n            webhook_url from --set") {
					t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
				}
				return
			}
			if r.code != exitUsage || !strings.Contains(r.err, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", r.code, r.err, tc.want)
			}
			if strings.Contains(r.out+r.err, cliLeverKey2) {
				t.Fatal("the secret given with --set was repeated")
			}
		})
	}
	if r := c.run("", "--profile", "initech", "status"); r.code != exitUsage {
		t.Errorf("a refused apply created profile initech: status exit %d", r.code)
	}
}

// Every per-customer answer of the catalog is left out by export and taken
// from --set by apply: Vetty's managing user and the ChartHop key's write
// permissions, as Certn's webhook URL.
func TestExportLeavesOutEveryPerCustomerAnswer(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeVettyChattr(cliVettyKey1) // managing user ops@acme.test
	const perms = "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"
	c.must(cliLeverKey1, "run", "charthop-lever/lever-key", "--set", "region=us", "--set", "write_permissions="+perms, "--set", "api_key=@-")
	file := filepath.Join(t.TempDir(), "acme.yaml")
	r := c.must("", "export", "-o", file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, gone := range []string{"ops@acme.test", "user:", "write_permissions:", "create_requisitions"} {
		if strings.Contains(doc, gone) {
			t.Errorf("export carries %q:\n%s", gone, doc)
		}
	}
	for _, want := range []string{
		"# user is left out: it is each customer's own (it names the user of this customer's Vetty account",
		"# apply asks for it: --set vetty-chattr/vetty-key.user=…\n  vetty-key:\n    ip_allowlist: 0.0.0.0/0\n    expiry_months: \"24\"\n    api_key: env:PATCHBAY_SECRET_VETTY_CHATTR_API_KEY",
		"# write_permissions is left out: it is each customer's own (it confirms what this customer's Lever key\n",
		"# apply asks for it: --set charthop-lever/lever-key.write_permissions=…\n  lever-key:\n    region: us\n    api_key: env:PATCHBAY_SECRET_CHARTHOP_LEVER_API_KEY",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("export lacks %q:\n%s", want, doc)
		}
	}
	if !strings.Contains(r.err, "left out vetty-chattr/vetty-key.user, charthop-lever/lever-key.write_permissions, each customer's own") {
		t.Errorf("export does not say what it left out: %s", r.err)
	}

	c.env["PATCHBAY_SECRET_VETTY_CHATTR_API_KEY"] = cliVettyKey2
	c.env["PATCHBAY_SECRET_CHARTHOP_LEVER_API_KEY"] = cliLeverKey2
	r = c.must("", "--profile", "globex", "--secrets", "vault", "apply", file)
	for _, want := range []string{
		"answer    vetty-chattr/vetty-key — needs globex's own user",
		"waits     vetty-chattr/chattr-packages — runs after vetty-chattr/vetty-key",
		"answer    charthop-lever/lever-key — needs globex's own write_permissions",
		"--set vetty-chattr/vetty-key.user=USER --set charthop-lever/lever-key.write_permissions=" + perms + "\n",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("apply lacks %q:\n%s", want, r.out)
		}
	}
	c.assertProfileLacks("globex", "ops@acme.test")

	r = c.must("", "--profile", "globex", "apply", file,
		"--set", "vetty-chattr/vetty-key.user=it@globex.test", "--set", "charthop-lever/lever-key.write_permissions="+perms)
	s := c.statusOf("globex")
	for _, ref := range [][2]string{{"vetty-chattr", "vetty-key"}, {"vetty-chattr", "chattr-packages"}, {"charthop-lever", "lever-key"}} {
		if got := s.step(ref[0], ref[1]); got != "done" {
			t.Errorf("globex's %s/%s is %q, want done\n%s", ref[0], ref[1], got, r.out)
		}
	}
	c.assertProfileLacks("globex", "ops@acme.test")
	db, err := store.Open(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.AllStepStates(context.Background(), "globex")
	if err != nil {
		t.Fatal(err)
	}
	if got := all["vetty-chattr"]["vetty-key"].Values["user"]; got != "it@globex.test" {
		t.Errorf("globex's Vetty user is %q", got)
	}
}
