//go:build unix

package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// vaultEntriesOf reads every vault entry under prefix beside db.
func vaultEntriesOf(t *testing.T, db, prefix string) map[string]string {
	t.Helper()
	v := secrets.NewVault(vaultPath(db), func() (string, error) { return testVaultPW, nil }, secrets.VaultOptions{WorkFactor: 10})
	ctx := context.Background()
	accounts, err := v.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range accounts {
		if out[a], err = v.Get(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A rename or removal of a profile killed at each of its points: the next
// patchbay finds the old profile whole (before the database changed) or
// the new state whole (after), its secrets where the database says, never
// a mix.
func TestProfileMovesSurviveSIGKILL(t *testing.T) {
	b := buildBinary(t)
	template := filepath.Join(t.TempDir(), "template", "patchbay.db")
	b.must(template, cliLeverKey1, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	b.must(template, cliSigning, "run", "certn-lever/lever-signing-token", "--set", "signing_token=@-")
	fresh := func(t *testing.T) string {
		db := filepath.Join(t.TempDir(), "state", "patchbay.db")
		copyDir(t, filepath.Dir(template), filepath.Dir(db))
		return db
	}
	profiles := func(t *testing.T, db string) (names []string, stderr string) {
		t.Helper()
		r := b.run(db, "", nil, "profiles", "--json")
		var rows []app.ProfileSummary
		if err := json.Unmarshal([]byte(r.out), &rows); err != nil {
			t.Fatalf("profiles --json: %v\n%s%s", err, r.out, r.err)
		}
		for _, row := range rows {
			names = append(names, row.Name)
		}
		return names, r.err
	}
	whole := func(t *testing.T, db, profile string) {
		t.Helper()
		e := vaultEntriesOf(t, db, profile+"/")
		if e[profile+"/certn-lever/api_key"] != cliLeverKey1 || e[profile+"/certn-lever/signing_token"] != cliSigning || len(e) != 2 {
			t.Errorf("%s's entries: %v", profile, keys(e))
		}
		if s := b.run(db, "", nil, "--profile", profile, "status", "--json"); s.code != 0 || !strings.Contains(s.out, `"lever-key"`) {
			t.Errorf("%s's status: exit %d\n%s", profile, s.code, s.err)
		}
	}
	none := func(t *testing.T, db, profile string) {
		t.Helper()
		if e := vaultEntriesOf(t, db, profile+"/"); len(e) != 0 {
			t.Errorf("entries left under %s: %v", profile, keys(e))
		}
	}
	points := []string{app.PointMoveRecorded, app.PointMoveCopied, app.PointMoveCommitted}
	for _, point := range points {
		t.Run("rename killed at "+point, func(t *testing.T) {
			db := fresh(t)
			r := b.run(db, "", []string{crashAtEnv + "=" + point}, "profiles", "rename", "default", "acme")
			if r.signal != syscall.SIGKILL {
				t.Fatalf("not killed at %s: exit %d\n%s%s", point, r.code, r.out, r.err)
			}
			names, stderr := profiles(t, db)
			if !strings.Contains(stderr, "interrupted rename of profile default to acme was") {
				t.Errorf("the recovery was not said: %q", stderr)
			}
			if point == app.PointMoveCommitted {
				if len(names) != 1 || names[0] != "acme" {
					t.Fatalf("after a committed rename: profiles %v", names)
				}
				whole(t, db, "acme")
				none(t, db, "default")
				return
			}
			if len(names) != 1 || names[0] != "default" {
				t.Fatalf("after an uncommitted rename: profiles %v", names)
			}
			whole(t, db, "default")
			none(t, db, "acme")
		})
	}
	for _, point := range []string{app.PointMoveRecorded, app.PointMoveCommitted} {
		t.Run("remove killed at "+point, func(t *testing.T) {
			db := fresh(t)
			r := b.run(db, "", []string{crashAtEnv + "=" + point}, "profiles", "remove", "default", "--remove-secrets", "--yes")
			if r.signal != syscall.SIGKILL {
				t.Fatalf("not killed at %s: exit %d\n%s%s", point, r.code, r.out, r.err)
			}
			names, stderr := profiles(t, db)
			if !strings.Contains(stderr, "interrupted removal of profile default was") {
				t.Errorf("the recovery was not said: %q", stderr)
			}
			if point == app.PointMoveCommitted {
				if len(names) != 0 {
					t.Fatalf("after a committed removal: profiles %v", names)
				}
				none(t, db, "default")
				return
			}
			if len(names) != 1 {
				t.Fatalf("after an uncommitted removal: profiles %v", names)
			}
			whole(t, db, "default")
		})
	}
}
