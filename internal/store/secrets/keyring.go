package secrets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"github.com/patchbay/patchbay/internal/scrub"
)

// Service is the keyring service name every patchbay secret is filed under.
const Service = "patchbay"

// DefaultKeyringTimeout bounds every OS keyring call unless Options says otherwise.
const DefaultKeyringTimeout = 3 * time.Second

// Options configures NewKeyring.
type Options struct {
	// Timeout bounds each keyring call; zero or negative means DefaultKeyringTimeout.
	Timeout time.Duration
	// DatabaseID is the identity of the database whose secrets these are. Every entry is filed under it, so
	// two databases with the same profile never touch each other's entries. Required.
	DatabaseID string
}

// osKeyring is the part of go-keyring we use; tests replace it with slow or failing fakes. user is
// scopedUser(database, account) for patchbay's entries, or a bare account for those of earlier versions.
type osKeyring interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
	List(service, prefix string) ([]string, error)
}

// Keyring stores secrets in the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager
// on Windows) under service "patchbay", one entry per account.
//
// go-keyring calls cannot be cancelled: a locked Secret Service waits on its unlock prompt indefinitely. So each
// call runs in its own goroutine and the caller stops waiting after the timeout. The goroutine is then
// abandoned until the OS call returns (possibly never: one parked goroutine per stuck call); its result is
// dropped, so a timed-out call is reported as ErrTimeout and never later as success. Calls are serialised: the
// next call, from any Keyring in the process, waits (within its own timeout) until the abandoned one has really
// finished, so a late-completing Set can never overwrite a newer value or race a later Delete.
type Keyring struct {
	timeout time.Duration
	dbID    string
	api     osKeyring
	// slot holds one token while an OS call is in flight; the goroutine making the call, not the caller,
	// gives it back, so abandoned calls keep later ones waiting.
	slot chan struct{}
}

var _ Store = (*Keyring)(nil)

// osSlot serialises calls to the real OS keyring across every Keyring in the process: the keyring itself is
// process-wide, so an abandoned call from one Keyring must hold back the others too.
var osSlot = make(chan struct{}, 1)

// NewKeyring returns the OS keyring store. It does not touch the keyring; use Probe to check it answers.
func NewKeyring(opts Options) *Keyring {
	k := newKeyring(opts, goKeyring{})
	k.slot = osSlot
	return k
}

func newKeyring(opts Options, api osKeyring) *Keyring {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultKeyringTimeout
	}
	return &Keyring{timeout: opts.Timeout, dbID: opts.DatabaseID, api: api, slot: make(chan struct{}, 1)}
}

// scopedUser is the keyring user name of account in the database dbID: "DBID/PROFILE/INTEGRATION/KEY". It
// is what macOS and Windows file the entry under; on Linux it is the entry's "username" attribute, beside
// separate database, profile, integration and key attributes.
func scopedUser(dbID, account string) string { return dbID + "/" + account }

// user checks account and the database identity and returns the entry's user name.
func (k *Keyring) user(account string) (string, error) {
	if err := validAccount(account); err != nil {
		return "", err
	}
	if k.dbID == "" || strings.Contains(k.dbID, "/") {
		return "", &storeError{kind: ErrUnavailable, msg: "the OS keyring was opened without a database identity"}
	}
	return scopedUser(k.dbID, account), nil
}

// Backend reports "keyring" and which OS keyring it is.
func (k *Keyring) Backend() Info {
	detail := "Secret Service (D-Bus org.freedesktop.secrets)"
	switch runtime.GOOS {
	case "darwin":
		detail = "macOS Keychain"
	case "windows":
		detail = "Windows Credential Manager"
	}
	return Info{Name: BackendKeyring, Detail: detail + `, service "` + Service + `"`}
}

// Set stores secret under account.
func (k *Keyring) Set(ctx context.Context, account, secret string) error {
	user, err := k.user(account)
	if err != nil {
		return err
	}
	if secret == "" {
		return ErrEmptySecret
	}
	_, err = k.call(ctx, opSet, func() (string, error) { return "", k.api.Set(Service, user, secret) })
	return mapKeyringError(opSet, err, secret)
}

// Get returns the secret stored under account.
func (k *Keyring) Get(ctx context.Context, account string) (string, error) {
	user, err := k.user(account)
	if err != nil {
		return "", err
	}
	v, err := k.call(ctx, opGet, func() (string, error) { return k.api.Get(Service, user) })
	if err != nil {
		return "", mapKeyringError(opGet, err, "")
	}
	return v, nil
}

// Delete removes account from the keyring.
func (k *Keyring) Delete(ctx context.Context, account string) error {
	user, err := k.user(account)
	if err != nil {
		return err
	}
	_, err = k.call(ctx, opDelete, func() (string, error) { return "", k.api.Delete(Service, user) })
	return mapKeyringError(opDelete, err, "")
}

// LegacyGet reads account as patchbay versions before database identities filed it (user name
// PROFILE/INTEGRATION/KEY, shared by every database).
func (k *Keyring) LegacyGet(ctx context.Context, account string) (string, error) {
	if err := validAccount(account); err != nil {
		return "", err
	}
	v, err := k.call(ctx, opGet, func() (string, error) { return k.api.Get(Service, account) })
	if err != nil {
		return "", mapKeyringError(opGet, err, "")
	}
	return v, nil
}

// LegacyDelete removes the entries earlier versions filed under these accounts; missing ones are skipped.
func (k *Keyring) LegacyDelete(ctx context.Context, accounts []string) error {
	for _, a := range accounts {
		if err := validAccount(a); err != nil {
			return err
		}
		_, err := k.call(ctx, opDelete, func() (string, error) { return "", k.api.Delete(Service, a) })
		if err := mapKeyringError(opDelete, err, ""); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// List returns the accounts starting with prefix, sorted. Only the Secret
// Service (Linux) can be listed; elsewhere it returns ErrListUnsupported.
func (k *Keyring) List(ctx context.Context, prefix string) ([]string, error) {
	if k.dbID == "" {
		return nil, &storeError{kind: ErrUnavailable, msg: "the OS keyring was opened without a database identity"}
	}
	var users []string
	_, err := k.call(ctx, opList, func() (string, error) {
		var err error
		users, err = k.api.List(Service, scopedUser(k.dbID, prefix))
		return "", err
	})
	accounts := make([]string, 0, len(users))
	for _, u := range users {
		accounts = append(accounts, strings.TrimPrefix(u, scopedUser(k.dbID, "")))
	}
	if errors.Is(err, ErrListUnsupported) {
		return nil, err
	}
	if err != nil {
		return nil, mapKeyringError(opList, err, "")
	}
	sort.Strings(accounts)
	return accounts, nil
}

type keyringOp string

const (
	opSet    keyringOp = "save the secret"
	opGet    keyringOp = "read the secret"
	opDelete keyringOp = "delete the secret"
	opList   keyringOp = "list the secrets"
)

// abandonedError marks results of call that come from the timer or the context, not from the OS keyring, so
// mapKeyringError passes them through untouched.
type abandonedError struct{ err error }

func (e *abandonedError) Error() string   { return e.err.Error() }
func (e *abandonedError) Unwrap() error   { return e.err }
func abandoned(err error) *abandonedError { return &abandonedError{err} }

type callResult struct {
	val string
	err error
}

// call runs fn off the caller's goroutine, bounded by k.timeout and ctx (waiting for an earlier call to
// finish counts against the same bound).
func (k *Keyring) call(ctx context.Context, op keyringOp, fn func() (string, error)) (string, error) {
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()

	select {
	case k.slot <- struct{}{}:
	case <-ctx.Done():
		return "", abandoned(fmt.Errorf("keyring: %s: %w", op, ctx.Err()))
	case <-timer.C:
		return "", abandoned(k.timeoutError(op, true))
	}

	// Buffered so the goroutine can always deliver and exit, even when nobody is listening any more.
	done := make(chan callResult, 1)
	go func() {
		defer func() { <-k.slot }()
		defer func() {
			// go-keyring type-asserts D-Bus replies; a misbehaving Secret Service must not crash patchbay.
			if r := recover(); r != nil {
				done <- callResult{err: fmt.Errorf("keyring library failed: %v", r)}
			}
		}()
		v, err := fn()
		done <- callResult{v, err}
	}()

	select {
	case r := <-done:
		return r.val, r.err
	case <-ctx.Done():
		return "", abandoned(fmt.Errorf("keyring: %s: %w", op, ctx.Err()))
	case <-timer.C:
		return "", abandoned(k.timeoutError(op, false))
	}
}

func (k *Keyring) timeoutError(op keyringOp, queued bool) error {
	msg := fmt.Sprintf("the OS keyring did not answer within %s", k.timeout)
	if queued {
		msg += " (an earlier keyring request is still waiting for it)"
	}
	msg += "; it may be locked and waiting for you to unlock it, or the Secret Service is stuck; " +
		"unlock it or use the encrypted vault (--secrets vault)"
	if op == opSet {
		msg += ". The secret was not confirmed as saved: save it again once the keyring answers"
	}
	return &storeError{kind: ErrTimeout, msg: msg}
}

const vaultHint = "use the encrypted vault instead: add --secrets vault once (scripts give its passphrase in " +
	VaultPassphraseEnv + ")"

// mapKeyringError turns go-keyring and D-Bus failures into our sentinels with a plain message. secret, when
// not empty, is scrubbed from any text that reaches the message.
func mapKeyringError(op keyringOp, err error, secret string) error {
	if err == nil {
		return nil
	}
	var ab *abandonedError
	if errors.As(err, &ab) {
		return ab.err
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return &storeError{kind: ErrNotFound, msg: "secret not found in the OS keyring"}
	}
	detail := err.Error()
	if secret != "" {
		detail = scrub.String(detail, secret) // every encoding, as for vendor answers
	}
	// Replace the cause with a scrubbed copy when it carried the secret, so errors.As cannot reach it either.
	cause := err
	if detail != err.Error() {
		cause = errors.New(detail)
	}

	var noBus *noSessionBusError
	var dbusErr dbus.Error
	var netErr *net.OpError
	var execErr *exec.Error
	switch {
	case errors.As(err, &noBus):
		return &storeError{kind: ErrUnavailable, cause: cause, msg: "no OS keyring is available: " + detail +
			", so the Secret Service cannot be reached (normal on a server without a desktop session); " + vaultHint}
	case errors.As(err, &netErr), errors.As(err, &execErr), errors.Is(err, dbus.ErrClosed), busConnectFailure(detail):
		return &storeError{kind: ErrUnavailable, cause: cause, msg: "no OS keyring is available: cannot connect to " +
			"the D-Bus session bus (" + detail + "); " + vaultHint}
	case errors.As(err, &dbusErr):
		switch dbusErr.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
			"org.freedesktop.DBus.Error.NoServer", "org.freedesktop.DBus.Error.Disconnected",
			"org.freedesktop.DBus.Error.UnknownObject", "org.freedesktop.DBus.Error.UnknownMethod":
			return &storeError{kind: ErrUnavailable, cause: cause, msg: "no OS keyring is available: no Secret " +
				"Service (org.freedesktop.secrets) answers on this D-Bus session (" + detail + "); start one " +
				"(e.g. gnome-keyring) or " + vaultHint}
		case "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout":
			return &storeError{kind: ErrTimeout, cause: cause, msg: "the OS keyring did not reply (" + detail +
				"); it may be locked or stuck; unlock it or " + vaultHint}
		case "org.freedesktop.Secret.Error.IsLocked":
			return lockedError(cause)
		}
		if strings.HasPrefix(dbusErr.Name, "org.freedesktop.DBus.Error.Spawn") {
			return &storeError{kind: ErrUnavailable, cause: cause, msg: "no OS keyring is available: the Secret " +
				"Service could not be started (" + detail + "); " + vaultHint}
		}
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		return &storeError{kind: ErrUnavailable, cause: cause, msg: "no OS keyring is available: it is not supported on this platform (" +
			runtime.GOOS + "); " + vaultHint}
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return &storeError{kind: ErrUnavailable, cause: cause, msg: "the secret is too long for the OS keyring; " + vaultHint}
	case strings.Contains(detail, "failed to unlock correct collection"):
		// go-keyring's wording when the unlock prompt was dismissed or could not be shown.
		return lockedError(cause)
	}
	return fmt.Errorf("the OS keyring could not %s: %w", op, cause)
}

// busConnectFailure recognises godbus's own connection-level failures, which are plain errors.
func busConnectFailure(detail string) bool {
	if !strings.HasPrefix(detail, "dbus: ") {
		return false
	}
	for _, s := range []string{"address", "authentication", "transport", "connection closed"} {
		if strings.Contains(detail, s) {
			return true
		}
	}
	return false
}

func lockedError(cause error) error {
	return &storeError{kind: ErrLocked, cause: cause, msg: "the OS keyring is locked and was not unlocked (the " +
		"unlock prompt was dismissed or could not be shown); unlock it and try again, or " + vaultHint}
}

// goKeyring is the real OS keyring through go-keyring.
type goKeyring struct{}

func (goKeyring) Set(service, user, password string) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	return setEntry(service, user, password)
}

func (goKeyring) Get(service, user string) (string, error) {
	if err := checkSessionBus(); err != nil {
		return "", err
	}
	return keyring.Get(service, user)
}

func (goKeyring) List(service, prefix string) ([]string, error) {
	return listAccounts(service, prefix)
}

func (goKeyring) Delete(service, user string) error {
	if err := checkSessionBus(); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}

// noSessionBusError: there is no D-Bus session bus to look for a Secret Service on.
type noSessionBusError struct{ reason string }

func (e *noSessionBusError) Error() string { return e.reason }
