package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// completeCertnLeverFor sets up certn-lever for another profile, with its
// own Lever key and trigger stage.
func (c *cli) completeCertnLeverFor(profile, key, stage string) {
	c.t.Helper()
	p := []string{"--profile", profile}
	c.must(key, append(p, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")...)
	c.must(cliSigning, append(p, "run", "certn-lever/lever-signing-token", "--set", "signing_token=@-")...)
	c.must("", append(p, "run", "certn-lever/certn-packages", "--set", "packages=Standard:criminal+identity", "--set", "default_package=Standard")...)
	c.must("", append(p, "run", "certn-lever/certn-credentials", "--set", "confirmed=true")...)
	c.must("", append(p, "run", "certn-lever/certn-enable", "--set", "webhook_url=https://api.certn.co/lever/webhook/abc123")...)
	c.must("", append(p, "run", "certn-lever/lever-trigger-stage", "--set", "stage="+stage)...)
}

type fleetJSON struct {
	GeneratedAt string       `json:"generated_at"`
	Profiles    []statusJSON `json:"profiles"`
}

// Every customer at once: the JSON wraps each profile's own status object,
// and the exit code is the worst over them — 1 (attention) over 3
// (unknown) over 0.
func TestStatusAllProfiles(t *testing.T) {
	c := newCLI(t)
	srv := c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)
	c.completeCertnLeverFor("globex", cliLeverKey2, "Phone screen")

	r := c.run("", "status", "--all-profiles", "--live", "--json")
	if r.code != 0 {
		t.Fatalf("healthy fleet: exit %d\n%s%s", r.code, r.out, r.err)
	}
	var f fleetJSON
	if err := json.Unmarshal([]byte(r.out), &f); err != nil || f.GeneratedAt == "" || len(f.Profiles) != 2 {
		t.Fatalf("all-profiles JSON: %v\n%s", err, r.out)
	}
	var one statusJSON
	_ = json.Unmarshal([]byte(c.run("", "--profile", "globex", "status", "--json").out), &one)
	if len(f.Profiles[1].Integrations) != len(one.Integrations) || f.Profiles[1].step("certn-lever", "lever-trigger-stage") != "done" {
		t.Fatalf("a profile in --all-profiles differs from its own status object:\n%s", r.out)
	}

	// Lever renames globex's trigger stage: that customer needs attention,
	// the other stays healthy, and the fleet exits 1.
	srv.Lever.RenameStage("Phone screen", "Phone interview")
	r = c.run("", "status", "--all-profiles", "--live")
	if r.code != exitError {
		t.Fatalf("one customer drifted: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.out, "globex                   NEEDS ATTENTION") || !strings.Contains(r.out, "default                  healthy") {
		t.Fatalf("fleet summary:\n%s", r.out)
	}

	// No vendor answers: nothing is known to need attention any more, but
	// nothing could be checked either: unknown, exit 3.
	srv.Close()
	r = c.run("", "status", "--all-profiles", "--live", "--timeout", "20s")
	if r.code != exitUnknown || !strings.Contains(r.out, "unknown (") {
		t.Fatalf("no vendor reachable: exit %d\n%s%s", r.code, r.out, r.err)
	}

	// Usage: --all-profiles speaks for every profile; the format is checked.
	if r := c.run("", "--profile", "globex", "status", "--all-profiles"); r.code != exitUsage {
		t.Errorf("--profile with --all-profiles: exit %d", r.code)
	}
	if r := c.run("", "status", "--format", "xml"); r.code != exitUsage || !strings.Contains(r.err, "text, json or prometheus") {
		t.Errorf("--format xml: exit %d %q", r.code, r.err)
	}
}

// --format prometheus --output FILE: the Prometheus parser reads the file
// back, and the file is replaced whole (no temporary file is left behind).
func TestStatusPrometheusOutputFile(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)
	dir := t.TempDir()
	out := filepath.Join(dir, "patchbay.prom")
	if err := os.WriteFile(out, []byte("stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "status", "--all-profiles", "--live", "--format", "prometheus", "--output", out)
	if r.code != 0 || r.out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("the Prometheus parser refuses the file: %v\n%s", err, b)
	}
	tags := fams["patchbay_certn_tag_candidates"]
	if tags == nil || len(tags.Metric) == 0 {
		t.Fatalf("no CERTN tag counts in\n%s", b)
	}
	for _, m := range tags.Metric {
		for _, l := range m.Label {
			if l.GetName() == "tag" && !strings.HasPrefix(l.GetValue(), "CERTN - ") {
				t.Errorf("a tag that is not Certn's: %q", l.GetValue())
			}
		}
	}
	if fams["patchbay_steps_done"] == nil || fams["patchbay_integration_state"] == nil || fams["patchbay_check_age_seconds"] == nil {
		t.Fatalf("families missing:\n%s", b)
	}
	for _, secret := range cliSecrets {
		if strings.Contains(string(b), secret) || strings.Contains(string(b), secret[len(secret)-4:]) {
			t.Fatalf("the metrics carry a secret or its last 4:\n%s", b)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}
