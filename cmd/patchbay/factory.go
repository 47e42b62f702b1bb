package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// Factory gives commands their dependencies, opened lazily so that
// `--version` and `--help` touch neither the database nor the keyring.
type Factory struct {
	IO      *IOStreams
	Globals Globals
	getenv  func(string) string
	// ctx is the running command's context: prompts give up when it ends.
	ctx context.Context
	// passphrase is the vault's, once asked; vault is the profile's vault
	// when it uses one.
	passphrase string
	vault      *secrets.Vault
	// noPrompt is set while a full-screen view owns the terminal.
	noPrompt bool
	// reportsPerms is set by doctor, which reports the database's
	// permissions itself: no warning about them first.
	reportsPerms bool

	// readOnly is set for commands that only read (status, history,
	// doctor, dashboard): they never create a database or a profile.
	readOnly bool
	// profileReady: the profile was found (or created) once this run.
	profileReady bool
	// switchTo is the profile the admin chose in the TUI to switch to
	// (its dashboard page when switchDash); the command starts again there.
	switchTo   string
	switchDash bool

	// overrides are the checked PATCHBAY_<VENDOR>_URL values (see Overrides).
	overrides     []EndpointOverride
	overridesRead bool

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
	home, _ := os.UserHomeDir() // "" is reported by DefaultPath when it is needed
	return store.DefaultPath(f.getenv("XDG_STATE_HOME"), home)
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
	if f.readOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			// No profile at all yet (whatever --profile says): a read-only
			// command creates neither the database nor a profile.
			return nil, usageError("there is no patchbay database at %s yet, so no profile exists; "+
				"check --db, or start with patchbay setup INTEGRATION", path)
		}
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	f.db = db
	if p := db.ReplaceableByOthers(); p != nil && !f.reportsPerms {
		fmt.Fprintf(termsafe.NewWriter(f.IO.ErrOut), "patchbay: warning: %s; %s\n", p.Detail, p.Fix)
	}
	return db, nil
}

// ensureProfile makes sure the profile exists before a command uses it. A
// command that only reads refuses one that does not, naming the known
// ones: a typo in a cron line must fail, not report a new, empty profile as
// healthy. A command that writes creates it, and says so.
func (f *Factory) ensureProfile(ctx context.Context, db *store.DB) error {
	if f.profileReady {
		return nil
	}
	name := f.Globals.Profile
	_, err := db.GetProfile(ctx, name)
	switch {
	case err == nil:
	case !errors.Is(err, store.ErrNotFound):
		return err
	case f.readOnly:
		return f.unknownProfile(ctx, db, name)
	default:
		if _, err := db.EnsureProfile(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "patchbay: created profile %s\n", name)
	}
	f.profileReady = true
	return nil
}

// unknownProfile is the usage error for a profile that does not exist,
// naming the known ones: a typo must fail, never create or report a profile.
func (f *Factory) unknownProfile(ctx context.Context, db *store.DB, name string) error {
	all, err := db.ListProfiles(ctx)
	if err != nil {
		return err
	}
	known := make([]string, len(all))
	for i, p := range all {
		known[i] = p.Name
	}
	list := "none yet"
	if len(known) > 0 {
		list = strings.Join(known, ", ")
	}
	return usageError("profile %q does not exist (known profiles: %s); check --profile, or create it with a command that writes, such as patchbay setup INTEGRATION", name, list)
}

// takeSwitch moves the factory to the profile chosen in the TUI, if any:
// the next Service is that profile's. It reports whether there was one.
func (f *Factory) takeSwitch() (dashboard, ok bool) {
	if f.switchTo == "" {
		return false, false
	}
	f.Globals.Profile, f.Globals.Secrets = f.switchTo, "" // its own remembered backend
	dashboard = f.switchDash
	f.switchTo, f.switchDash = "", false
	f.svc, f.profileReady = nil, false
	return dashboard, true
}

// requireProfile opens the database and makes sure the profile exists
// (see ensureProfile).
func (f *Factory) requireProfile(ctx context.Context) error {
	db, err := f.DB(ctx)
	if err != nil {
		return err
	}
	return f.ensureProfile(ctx, db)
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
	if err := f.ensureProfile(ctx, db); err != nil {
		return "", err
	}
	p, err := db.GetProfile(ctx, f.Globals.Profile)
	if err != nil {
		return "", err
	}
	if want := f.Globals.Secrets; want != "" {
		if want != p.SecretsBackend {
			if err := f.checkSwitch(ctx, db, want); err != nil {
				return "", err
			}
		}
		return want, nil
	}
	if p.SecretsBackend != "" {
		return p.SecretsBackend, nil
	}
	return "keyring", nil
}

// checkSwitch refuses a change of backend that would strand stored
// secrets in the old one: patchbay would no longer find them.
func (f *Factory) checkSwitch(ctx context.Context, db *store.DB, want string) error {
	metas, err := db.Secrets(ctx, f.Globals.Profile, "")
	if err != nil {
		return err
	}
	var elsewhere []string
	from := ""
	for _, m := range metas {
		if m.Backend != want {
			elsewhere = append(elsewhere, m.Integration+"/"+m.Key)
			from = m.Backend
		}
	}
	if len(elsewhere) == 0 {
		return nil
	}
	return usageError("profile %s keeps %d secret(s) in the %s (%s); switching to the %s would leave them behind. "+
		"Keep --secrets %s, or first remove them (patchbay reset INTEGRATION --remove-secrets) and enter them again",
		f.Globals.Profile, len(elsewhere), from, strings.Join(elsewhere, ", "), want, from)
}

// rememberBackend records an explicit --secrets choice once its store has
// answered, so a failed command never switches the profile.
func (f *Factory) rememberBackend(ctx context.Context, db *store.DB, backend string) error {
	if f.Globals.Secrets == "" {
		return nil
	}
	return db.SetSecretsBackend(ctx, f.Globals.Profile, backend)
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
	p, err := db.GetProfile(ctx, f.Globals.Profile)
	if err != nil {
		return nil, err
	}
	st, err := f.openSecrets(ctx, backend, db, p.LegacySecrets)
	if err != nil {
		return nil, err
	}
	if err := f.unlockVault(ctx, st); err != nil {
		return nil, err
	}
	if f.Globals.Secrets != "" {
		if err := secrets.Probe(ctx, st); err != nil {
			return nil, err
		}
		return st, f.rememberBackend(ctx, db, backend)
	}
	if p.SecretsBackend != "" {
		return st, nil
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
		// The store's message already says what to do instead.
		return nil, probeErr
	}
	path := vaultPath(db.Path())
	fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "There is no OS keyring on this machine (%v).\n", probeErr)
	fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "patchbay can keep secrets in an encrypted vault file instead: %s,\nprotected by a passphrase you choose. It never stores secrets in plain text.\n", path)
	ok, err := f.yes("Use the encrypted vault for profile " + f.Globals.Profile + "?")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no secrets store chosen", probeErr)
	}
	// The passphrase is asked now, before any full-screen view starts, and
	// only then is the choice remembered.
	vst, err := f.openSecrets(ctx, "vault", db, p.LegacySecrets)
	if err != nil {
		return nil, err
	}
	if err := f.unlockVault(ctx, vst); err != nil {
		return nil, err
	}
	if err := db.SetSecretsBackend(ctx, f.Globals.Profile, "vault"); err != nil {
		return nil, err
	}
	return vst, nil
}

// openSecrets opens the store of this database: keyring entries carry the
// database's identity, the vault is the database's own file. legacy says
// the profile's secrets still sit where earlier versions kept them.
func (f *Factory) openSecrets(ctx context.Context, backend string, db *store.DB, legacy bool) (secrets.Store, error) {
	switch backend {
	case "keyring":
		timeout, err := f.keyringTimeout()
		if err != nil {
			return nil, err
		}
		id, err := db.ID(ctx)
		if err != nil {
			return nil, err
		}
		return secrets.NewKeyring(secrets.Options{Timeout: timeout, DatabaseID: id}), nil
	case "vault":
		vopts, err := f.vaultOptions()
		if err != nil {
			return nil, err
		}
		if legacy {
			vopts.LegacyPath = legacyVaultPath(db.Path())
		}
		f.vault = secrets.NewVault(vaultPath(db.Path()), f.vaultPassphrase, vopts)
		return f.vault, nil
	default:
		return nil, fmt.Errorf("profile %q remembers an unknown secrets backend %q; choose again with --secrets keyring or --secrets vault", f.Globals.Profile, backend)
	}
}

// vaultPath keeps each database's vault beside it, in the same private
// directory: NAME.db has NAME.secrets.age.
func vaultPath(dbPath string) string {
	base := filepath.Base(dbPath)
	return filepath.Join(filepath.Dir(dbPath), strings.TrimSuffix(base, filepath.Ext(base))+".secrets.age")
}

// legacyVaultPath is where versions before database identities kept the
// vault of every database of a folder.
func legacyVaultPath(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), "secrets.age")
}

// minPassphraseLen is where the strength hint stops warning.
const minPassphraseLen = 16

// vaultPassphrase comes from PATCHBAY_VAULT_PASSPHRASE or, on a terminal,
// from a prompt that does not echo; a new vault's passphrase is asked twice,
// since a typo would make it unreadable. It is asked at most once per run,
// before any full-screen view starts (see unlockVault).
func (f *Factory) vaultPassphrase() (string, error) {
	if f.passphrase != "" {
		return f.passphrase, nil
	}
	if p := f.getenv(secrets.VaultPassphraseEnv); p != "" {
		return p, nil
	}
	if f.noPrompt {
		return "", errors.New("the vault is locked: quit and start patchbay again to give its passphrase")
	}
	if !f.IO.CanPrompt() {
		return "", fmt.Errorf("%w: the vault's passphrase is needed; set %s for scripts", errNeedsTerminal, secrets.VaultPassphraseEnv)
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("opening the terminal for the vault passphrase: %w", err)
	}
	defer tty.Close()
	isNew := false
	if f.vault != nil {
		if isNew, err = f.vault.IsNew(); err != nil {
			return "", err
		}
	}
	var p string
	if isNew {
		p, err = f.askNewPassphrase(tty, f.vault.Path())
	} else {
		p, err = f.readHidden(tty, "Vault passphrase: ")
	}
	if err != nil {
		return "", err
	}
	f.passphrase = p
	return p, nil
}

// askNewPassphrase asks for a new vault passphrase twice, with a hint on
// its strength.
func (f *Factory) askNewPassphrase(tty *os.File, path string) (string, error) {
	fmt.Fprintf(tty, "Choose a passphrase for the vault %s. Use several unrelated words (%d characters or more):\n"+
		"whoever gets the file can try guesses offline, and a forgotten passphrase cannot be recovered.\n", path, minPassphraseLen)
	p, err := f.readHidden(tty, "New vault passphrase: ")
	if err != nil {
		return "", err
	}
	if n := len([]rune(p)); n < minPassphraseLen {
		fmt.Fprintf(tty, "That passphrase is short (%d characters): a longer one is much harder to guess.\n", n)
	}
	again, err := f.readHidden(tty, "Repeat it: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", errors.New("the two passphrases differ; nothing was changed")
	}
	return p, nil
}

// readHidden reads one line from the terminal without echo.
func (f *Factory) readHidden(tty *os.File, prompt string) (string, error) {
	fmt.Fprint(tty, prompt)
	b, err := f.readHiddenLine(int(tty.Fd()))
	fmt.Fprintln(tty)
	if errors.Is(err, context.Canceled) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("reading the vault passphrase: %w", err)
	}
	p := strings.TrimRight(b, "\r\n")
	if p == "" {
		return "", errors.New("an empty vault passphrase is not allowed")
	}
	return p, nil
}

// unlockVault gets the vault's passphrase now, while prompting is safe: an
// existing vault is opened (a wrong passphrase fails here, changing
// nothing), a new one has its passphrase chosen. Other stores need nothing.
func (f *Factory) unlockVault(ctx context.Context, st secrets.Store) error {
	v, ok := st.(*secrets.Vault)
	if !ok {
		return nil
	}
	if err := v.Unlock(ctx); err != nil {
		f.passphrase = ""
		return err
	}
	return nil
}
