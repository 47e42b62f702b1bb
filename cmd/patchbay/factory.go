package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchbay/patchbay/app"
	"github.com/patchbay/patchbay/store"
	"github.com/patchbay/patchbay/store/secrets"
	"golang.org/x/term"
)

// Factory gives commands their dependencies, opened lazily so that
// `--version` and `--help` touch neither the database nor the keyring.
type Factory struct {
	IO      *IOStreams
	Globals Globals
	getenv  func(string) string
	// ctx is the running command's context: prompts give up when it ends.
	ctx context.Context

	db  *store.DB
	svc *app.Service
}

func newFactory(io *IOStreams, getenv func(string) string) *Factory {
	if getenv == nil {
		getenv = os.Getenv
	}
	return &Factory{IO: io, getenv: getenv}
}

// Close releases whatever the command opened.
func (f *Factory) Close() {
	if f.db != nil {
		f.db.Close()
	}
}

// DBPath is the database file in use.
func (f *Factory) DBPath() (string, error) {
	if f.Globals.DBPath != "" {
		return f.Globals.DBPath, nil
	}
	if p := f.getenv("PATCHBAY_DB"); p != "" {
		return p, nil
	}
	return store.DefaultPath()
}

// DB opens (once) the database, creating and migrating it as needed.
func (f *Factory) DB(ctx context.Context) (*store.DB, error) {
	if f.db != nil {
		return f.db, nil
	}
	path, err := f.DBPath()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	f.db = db
	return db, nil
}

// keyringTimeout bounds every keyring call; PATCHBAY_KEYRING_TIMEOUT changes it.
func (f *Factory) keyringTimeout() (time.Duration, error) {
	v := f.getenv("PATCHBAY_KEYRING_TIMEOUT")
	if v == "" {
		return 3 * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usageError("PATCHBAY_KEYRING_TIMEOUT=%q: give a duration such as 5s", v)
	}
	return d, nil
}

// SecretsBackend decides which backend the profile uses: an explicit
// --secrets choice (which is then remembered), else the remembered one,
// else the OS keyring.
func (f *Factory) SecretsBackend(ctx context.Context, db *store.DB) (string, error) {
	if _, err := db.EnsureProfile(ctx, f.Globals.Profile); err != nil {
		return "", err
	}
	if f.Globals.Secrets != "" {
		if err := db.SetSecretsBackend(ctx, f.Globals.Profile, f.Globals.Secrets); err != nil {
			return "", err
		}
		return f.Globals.Secrets, nil
	}
	p, err := db.GetProfile(ctx, f.Globals.Profile)
	if err != nil {
		return "", err
	}
	if p.SecretsBackend != "" {
		return p.SecretsBackend, nil
	}
	return "keyring", nil
}

// Secrets opens the profile's secrets store.
func (f *Factory) Secrets(ctx context.Context) (secrets.Store, error) {
	db, err := f.DB(ctx)
	if err != nil {
		return nil, err
	}
	backend, err := f.SecretsBackend(ctx, db)
	if err != nil {
		return nil, err
	}
	st, err := f.openSecrets(backend, db.Path())
	if err != nil {
		return nil, err
	}
	p, err := db.GetProfile(ctx, f.Globals.Profile)
	if err != nil || p.SecretsBackend != "" {
		return st, err
	}
	// First use of this profile: the OS keyring is the default, but only if
	// there is one. Falling back to the vault is the admin's explicit choice.
	probeErr := secrets.Probe(ctx, st)
	switch {
	case probeErr == nil:
		return st, db.SetSecretsBackend(ctx, f.Globals.Profile, backend)
	case !errors.Is(probeErr, secrets.ErrUnavailable):
		return nil, probeErr
	case !f.IO.CanPrompt():
		return nil, fmt.Errorf("%w; choose the encrypted vault explicitly with --secrets vault (and %s for scripts)", probeErr, secrets.VaultPassphraseEnv)
	}
	path := vaultPath(db.Path())
	fmt.Fprintf(f.IO.Out, "There is no OS keyring on this machine (%v).\n", probeErr)
	fmt.Fprintf(f.IO.Out, "patchbay can keep secrets in an encrypted vault file instead: %s,\nprotected by a passphrase you choose. It never stores secrets in plain text.\n", path)
	ok, err := f.yes("Use the encrypted vault for profile " + f.Globals.Profile + "?")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no secrets store chosen", probeErr)
	}
	if err := db.SetSecretsBackend(ctx, f.Globals.Profile, "vault"); err != nil {
		return nil, err
	}
	return f.openSecrets("vault", db.Path())
}

func (f *Factory) openSecrets(backend, dbPath string) (secrets.Store, error) {
	switch backend {
	case "keyring":
		timeout, err := f.keyringTimeout()
		if err != nil {
			return nil, err
		}
		return secrets.NewKeyring(secrets.Options{Timeout: timeout}), nil
	case "vault":
		vopts, err := f.vaultOptions()
		if err != nil {
			return nil, err
		}
		return secrets.NewVault(vaultPath(dbPath), f.vaultPassphrase, vopts), nil
	default:
		return nil, fmt.Errorf("profile %q remembers an unknown secrets backend %q; choose again with --secrets keyring or --secrets vault", f.Globals.Profile, backend)
	}
}

// vaultPath keeps the vault beside the database, in the same private directory.
func vaultPath(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), "secrets.age")
}

// vaultPassphrase comes from PATCHBAY_VAULT_PASSPHRASE or, on a terminal,
// from a prompt that does not echo.
func (f *Factory) vaultPassphrase() (string, error) {
	if p := f.getenv(secrets.VaultPassphraseEnv); p != "" {
		return p, nil
	}
	if !f.IO.CanPrompt() {
		return "", fmt.Errorf("%w: the vault's passphrase is needed; set %s for scripts", errNeedsTerminal, secrets.VaultPassphraseEnv)
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("opening the terminal for the vault passphrase: %w", err)
	}
	defer tty.Close()
	fmt.Fprint(tty, "Vault passphrase: ")
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return "", fmt.Errorf("reading the vault passphrase: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return "", errors.New("an empty vault passphrase is not allowed")
	}
	return p, nil
}
