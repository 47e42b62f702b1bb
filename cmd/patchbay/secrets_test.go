package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/store/secrets/secretstest"
	"github.com/zalando/go-keyring"
)

// Two databases in one folder, with the same profile, never touch each
// other's secrets: in the keyring (entries carry the database identity)
// and in the vault (one file per database, each with its own passphrase).
func TestTwoDatabasesKeepTheirOwnSecrets(t *testing.T) {
	secretstest.PrivateKeyring(t)
	for _, backend := range []string{"keyring", "vault"} {
		t.Run(backend, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state") // created private by patchbay
			keys := map[string]string{"a": "lever-key-database-a-0000-aaaa", "b": "lever-key-database-b-0000-bbbb"}
			clis := map[string]*cli{}
			for _, name := range []string{"a", "b"} {
				c := newCLI(t)
				c.db = filepath.Join(dir, name+".db")
				c.withStandins()
				c.env[vaultWorkFactorEnv] = "10"
				c.env[secrets.VaultPassphraseEnv] = "passphrase of database " + name
				clis[name] = c
				r := c.run(keys[name], "--secrets", backend, "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
				if r.code != 0 {
					t.Fatalf("%s: run: exit %d\n%s%s", name, r.code, r.out, r.err)
				}
			}
			for name, c := range clis {
				var st secrets.Store
				if backend == "keyring" {
					st = secrets.NewKeyring(secrets.Options{Timeout: 5 * time.Second, DatabaseID: databaseID(t, c.db)})
				} else {
					pass := c.env[secrets.VaultPassphraseEnv]
					st = secrets.NewVault(vaultPath(c.db), func() (string, error) { return pass, nil })
				}
				got, err := st.Get(context.Background(), secrets.Account("default", "certn-lever", "api_key"))
				if err != nil || got != keys[name] {
					t.Errorf("database %s holds %q, %v; want its own key", name, got, err)
				}
				if r := c.run("", "doctor", "--offline"); r.code != 0 || !strings.Contains(r.out, "all 1 recorded secret(s)") {
					t.Errorf("database %s: doctor exit %d\n%s", name, r.code, r.out)
				}
				if r := c.run("", "status", "--live", "--json"); r.code != 0 {
					t.Errorf("database %s: status --live exit %d\n%s%s", name, r.code, r.out, r.err)
				}
			}
		})
	}
}

// A vault secret replaced behind patchbay's back is drift, in doctor and
// in status --live; so is one deleted, which doctor names.
func TestVaultDriftAndMissingEntries(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	if r := c.run(cliLeverKey1, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-"); r.code != 0 {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.out, r.err)
	}
	v := c.vault()
	account := secrets.Account("default", "certn-lever", "api_key")
	if err := v.Set(context.Background(), account, "lever-key-from-elsewhere-1111-2222"); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "status", "--live", "--json")
	if res, detail := parseLiveStatus(t, r).check("certn-lever", "secret.api_key"); r.code != exitError || res != "drift" ||
		!strings.Contains(detail, "the Lever API key in the encrypted vault is not the one patchbay recorded (it ends …2222") {
		t.Errorf("status --live: exit %d, %s %q", r.code, res, detail)
	}
	if r := c.run("", "doctor", "--offline"); r.code != exitError || !strings.Contains(r.out, "not the one patchbay recorded") {
		t.Errorf("doctor: exit %d\n%s", r.code, r.out)
	}
	if err := v.Delete(context.Background(), account); err != nil {
		t.Fatal(err)
	}
	if r := c.run("", "doctor", "--offline"); r.code != exitError ||
		!strings.Contains(r.out, "the Lever API key (certn-lever/api_key …"+cliLeverKey1[len(cliLeverKey1)-4:]+") is recorded but missing from the encrypted vault") {
		t.Errorf("doctor with the entry gone: exit %d\n%s", r.code, r.out)
	}
}

// patchbay vault passphrase re-wraps the vault's key: the new passphrase
// opens it, the old one no longer does, and the secrets are unchanged.
func TestVaultPassphraseChange(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	if r := c.run(cliLeverKey1, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-"); r.code != 0 {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := c.run("a much longer new passphrase\n", "vault", "passphrase"); r.code != 0 || !strings.Contains(r.out, "was changed") {
		t.Fatalf("vault passphrase: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := c.run("", "doctor", "--offline"); r.code != exitError || !strings.Contains(r.out, "passphrase is wrong") {
		t.Errorf("old passphrase: exit %d\n%s", r.code, r.out)
	}
	c.env[secrets.VaultPassphraseEnv] = "a much longer new passphrase"
	if r := c.run("", "doctor", "--offline"); r.code != 0 {
		t.Errorf("new passphrase: exit %d\n%s", r.code, r.out)
	}
}

// Keyring entries of versions before database identities (user name
// PROFILE/INTEGRATION/KEY) move to this database's entries on first open.
// One that holds another database's value (the two shared it) is drift
// after the move, not adopted as this database's.
func TestLegacyKeyringEntriesMove(t *testing.T) {
	secretstest.PrivateKeyring(t)
	for _, tt := range []struct {
		name, legacy, want string
	}{
		{"its own value", cliLeverKey1, "valid"},
		{"another database's value", "lever-key-other-database-0000-9999", "drift"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			c.withStandins()
			if r := c.run(cliLeverKey1, "--secrets", "keyring", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-"); r.code != 0 {
				t.Fatalf("run: exit %d\n%s%s", r.code, r.out, r.err)
			}
			account := secrets.Account("default", "certn-lever", "api_key")
			ks := secrets.NewKeyring(secrets.Options{Timeout: 5 * time.Second, DatabaseID: databaseID(t, c.db)})
			// Back to the earlier layout: the entry unscoped, no fingerprint.
			if err := ks.Delete(context.Background(), account); err != nil {
				t.Fatal(err)
			}
			if err := keyring.Set(secrets.Service, account, tt.legacy); err != nil {
				t.Fatal(err)
			}
			sqlDB, err := sql.Open("sqlite", c.db)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sqlDB.Exec("UPDATE profiles SET legacy_secrets = 1; UPDATE secrets SET fingerprint = NULL"); err != nil {
				t.Fatal(err)
			}
			sqlDB.Close()

			r := c.run("", "status", "--live", "--json")
			if res, detail := parseLiveStatus(t, r).check("certn-lever", "secret.api_key"); res != tt.want {
				t.Fatalf("after the move: exit %d, %s %q\n%s", r.code, res, detail, r.err)
			}
			if !strings.Contains(r.err, "moved 1 secret(s) of profile default to this database's own entries") {
				t.Errorf("the move was not announced: %q", r.err)
			}
			if got, err := ks.Get(context.Background(), account); err != nil || got != tt.legacy {
				t.Errorf("the database's entry holds the legacy value: %v, %v", got == tt.legacy, err)
			}
			if _, err := keyring.Get(secrets.Service, account); err == nil {
				t.Error("the unscoped entry was left behind")
			}
			d := c.run("", "doctor", "--offline")
			if ok := strings.Contains(d.out, "all 1 recorded secret(s) are in the keyring, as recorded"); ok != (tt.want == "valid") {
				t.Errorf("doctor: exit %d\n%s", d.code, d.out)
			}
		})
	}
}
