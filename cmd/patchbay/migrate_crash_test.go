//go:build unix

package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"filippo.io/age"
	"github.com/patchbay/patchbay/internal/app"
)

// legacyVault writes a vault as patchbay versions before database
// identities did: one scrypt-encrypted JSON map, secrets.age, shared by the
// folder.
func legacyVault(t *testing.T, path string, entries map[string]string) {
	t.Helper()
	r, err := age.NewScryptRecipient(testVaultPW)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewEncoder(w).Encode(map[string]any{"version": 1, "secrets": entries}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationSurvivesSIGKILL prepares a database as an upgrade from a
// version without database identities finds it (its secrets in the shared
// secrets.age, no fingerprints), then kills the move of its secrets at each
// point: the next start finishes it, the secrets are this database's, and
// another database's legacy entry stays where it was.
func TestMigrationSurvivesSIGKILL(t *testing.T) {
	b := buildBinary(t)
	template := filepath.Join(t.TempDir(), "template", "patchbay.db")
	b.must(template, cliLeverKey1, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	b.must(template, cliSigning, "run", "certn-lever/lever-signing-token", "--set", "signing_token=@-")
	const (
		keyAccount   = "default/certn-lever/api_key"
		tokenAccount = "default/certn-lever/signing_token"
		otherAccount = "other/vetty-chattr/api_key" // another database's, in the same shared file
		otherValue   = "vetty-key-of-another-database-0000"
	)
	// Back to the earlier layout: no vault of its own, no fingerprints, the
	// profile marked as migration 0002 marks an upgraded one.
	if err := os.Remove(vaultPath(template)); err != nil {
		t.Fatal(err)
	}
	legacyVault(t, legacyVaultPath(template), map[string]string{keyAccount: cliLeverKey1, tokenAccount: cliSigning, otherAccount: otherValue})
	sqlDB, err := sql.Open("sqlite", template)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec("UPDATE profiles SET legacy_secrets = 1; UPDATE secrets SET fingerprint = NULL"); err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()

	for _, point := range []string{"", app.PointMigrationRecorded, app.PointMigrationCopied, app.PointMigrationRemoved} {
		name := "SIGKILL at " + point
		if point == "" {
			name = "uninterrupted"
		}
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "state", "patchbay.db")
			copyDir(t, filepath.Dir(template), filepath.Dir(db))
			if point != "" {
				r := b.run(db, "", []string{crashAtEnv + "=" + point}, "status", "--live", "--json")
				if r.signal != syscall.SIGKILL {
					t.Fatalf("not killed at %s: exit %d signal %v\n%s%s", point, r.code, r.signal, r.out, r.err)
				}
			}
			d := b.run(db, "", nil, "doctor", "--offline")
			if d.code != 0 || !strings.Contains(d.out, "ok    entries   all 2 recorded secret(s) are in the vault, as recorded") {
				t.Fatalf("doctor after the move: exit %d\n%s%s", d.code, d.out, d.err)
			}
			if d = b.must(db, "", "doctor", "--offline"); !strings.Contains(d.out, "ok    pending") || !strings.Contains(d.out, "ok    orphans") {
				t.Errorf("second doctor:\n%s", d.out)
			}
			entries := vaultEntries(t, db)
			if len(entries) != 2 || entries[keyAccount] != cliLeverKey1 || entries[tokenAccount] != cliSigning {
				t.Errorf("the database's vault holds %d entries, want its key and token", len(entries))
			}
			// The other database's entry is still in the shared file, and only it.
			left := map[string]string{}
			if err := readLegacy(filepath.Dir(db), left); err != nil {
				t.Fatal(err)
			}
			if len(left) != 1 || left[otherAccount] != otherValue {
				t.Errorf("the shared vault holds %d entries after the move, want only the other database's", len(left))
			}
			r := b.run(db, "", nil, "status", "--live", "--json")
			if res, detail := parseBinaryCheck(t, r, "certn-lever", "secret.api_key"); res == "drift" {
				t.Errorf("after the move the key is drift: %s", detail)
			}
			assertNoSecretPrinted(t, d.out, r.out, r.err)
		})
	}
}

func readLegacy(dir string, into map[string]string) error {
	data, err := os.ReadFile(filepath.Join(dir, "secrets.age"))
	if err != nil {
		return err
	}
	id, _ := age.NewScryptIdentity(testVaultPW)
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		return err
	}
	var f struct{ Secrets map[string]string }
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return err
	}
	for k, v := range f.Secrets {
		into[k] = v
	}
	return nil
}

func parseBinaryCheck(t *testing.T, r exitInfo, integration, name string) (string, string) {
	t.Helper()
	var s liveStatusJSON
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		t.Fatalf("status --live --json: %v\n%s%s", err, r.out, r.err)
	}
	return s.check(integration, name)
}
