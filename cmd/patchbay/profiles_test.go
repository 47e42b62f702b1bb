package main

import (
	"context"
	"encoding/json"
	"github.com/patchbay/patchbay/internal/app"
	"strings"
	"testing"
)

// vaultAccounts lists the vault's entries under prefix, with their values.
func (c *cli) vaultAccounts(prefix string) map[string]string {
	c.t.Helper()
	v := c.vault()
	ctx := context.Background()
	accounts, err := v.List(ctx, prefix)
	if err != nil {
		c.t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range accounts {
		if out[a], err = v.Get(ctx, a); err != nil {
			c.t.Fatal(err)
		}
	}
	return out
}

func TestProfilesListRenameRemove(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)
	c.completeCertnLeverFor("globex", cliLeverKey2, "Phone screen")

	r := c.must("", "profiles")
	for _, want := range []string{"PROFILE", "CERTN-LEVER", "default", "globex", "complete", "vault"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("profiles lacks %q:\n%s", want, r.out)
		}
	}
	var rows []app.ProfileSummary
	if err := json.Unmarshal([]byte(c.must("", "profiles", "--json").out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("profiles --json: %v %+v", err, rows)
	}
	if rows[1].Name != "globex" || rows[1].States["certn-lever"] != "complete" || rows[1].SecretsBackend != "vault" {
		t.Errorf("globex row: %+v", rows[1])
	}

	// Rename: progress, history and secrets move; the old name is gone.
	before := c.vaultAccounts("globex/")
	if len(before) != 2 {
		t.Fatalf("globex's vault entries before: %v", keys(before))
	}
	c.must("", "profiles", "rename", "globex", "globex-eu")
	if after := c.vaultAccounts("globex/"); len(after) != 0 {
		t.Errorf("entries left under the old name: %v", keys(after))
	}
	moved := c.vaultAccounts("globex-eu/")
	if moved["globex-eu/certn-lever/api_key"] != cliLeverKey2 || len(moved) != 2 {
		t.Errorf("entries under the new name: %v", keys(moved))
	}
	if s := c.statusOf("globex-eu"); s.step("certn-lever", "lever-trigger-stage") != "done" {
		t.Error("the renamed profile lost its progress")
	}
	if r := c.run("", "--profile", "globex", "status"); r.code != exitUsage {
		t.Errorf("status of the old name: exit %d", r.code)
	}
	// A live check through the new name reads the moved key.
	if r := c.run("", "--profile", "globex-eu", "status", "--live"); r.code != 0 {
		t.Errorf("live status after rename: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if h := c.must("", "--profile", "globex-eu", "history").out; !strings.Contains(h, "renamed from globex to globex-eu") {
		t.Errorf("history lacks the rename:\n%s", h)
	}

	// Refusals: a taken name, an unknown profile, a bad name.
	if r := c.run("", "profiles", "rename", "default", "globex-eu"); r.code != exitUsage || !strings.Contains(r.err, "exists") {
		t.Errorf("rename onto an existing profile: exit %d %q", r.code, r.err)
	}
	if r := c.run("", "profiles", "rename", "nosuch", "x"); r.code != exitUsage || !strings.Contains(r.err, "known profiles") {
		t.Errorf("rename of an unknown profile: exit %d %q", r.code, r.err)
	}
	if r := c.run("", "profiles", "rename", "default", "a/b"); r.code != exitUsage {
		t.Errorf("rename to a bad name: exit %d %q", r.code, r.err)
	}

	// Remove: refused while it keeps secrets unless they go too.
	r = c.run("", "profiles", "remove", "globex-eu", "--yes")
	if r.code != exitUsage || !strings.Contains(r.err, "--remove-secrets") {
		t.Fatalf("remove with secrets: exit %d %q", r.code, r.err)
	}
	if r := c.run("", "profiles", "remove", "globex-eu"); r.code != exitUsage {
		t.Errorf("remove without a terminal or --yes: exit %d", r.code)
	}
	c.must("", "profiles", "remove", "globex-eu", "--remove-secrets", "--yes")
	if left := c.vaultAccounts("globex-eu/"); len(left) != 0 {
		t.Errorf("entries left after remove: %v", keys(left))
	}
	if def := c.vaultAccounts("default/"); def["default/certn-lever/api_key"] != cliLeverKey1 {
		t.Error("removing one profile touched another's secrets")
	}
	if err := json.Unmarshal([]byte(c.must("", "profiles", "--json").out), &rows); err != nil || len(rows) != 1 || rows[0].Name != "default" {
		t.Fatalf("after remove: %v %+v", err, rows)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A scripted run whose answers are refused creates nothing: a typo in
// --set (with a typo in --profile) leaves no profile behind.
func TestRefusedScriptedRunCreatesNoProfile(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)
	r := c.run("", "--profile", "typo-co", "run", "vetty-chattr/chattr-packages", "--set", "mappin=x")
	if r.code != exitUsage || strings.Contains(r.err, "created profile") {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	var rows []app.ProfileSummary
	if err := json.Unmarshal([]byte(c.must("", "profiles", "--json").out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("profiles after the refused run: %v %+v", err, rows)
	}
}
