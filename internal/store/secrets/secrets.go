// Package secrets keeps patchbay's secrets (vendor API keys, signing tokens) out of the database: in the OS
// keyring, in an age-encrypted file vault chosen explicitly by the admin, or in memory for the demo and tests.
// There is deliberately no plaintext backend and no silent fallback from one backend to another.
package secrets

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Backend names, as shown to the admin and remembered per profile.
const (
	BackendKeyring = "keyring"
	BackendVault   = "vault"
	BackendMemory  = "memory"
)

// Store holds one secret per account. Implementations are safe for concurrent use.
// Errors never contain a secret.
type Store interface {
	// Set stores secret under account, replacing any previous value.
	Set(ctx context.Context, account, secret string) error
	// Get returns the secret stored under account, or an error wrapping ErrNotFound.
	Get(ctx context.Context, account string) (string, error)
	// Delete removes account; an error wrapping ErrNotFound when there is nothing to delete.
	Delete(ctx context.Context, account string) error
	// Backend says which kind of store this is, for the dashboard, doctor and status --json.
	Backend() Info
}

// Lister is implemented by stores that can enumerate their accounts (vault, memory, and the OS keyring where
// it is the Secret Service). It is used to find secrets no longer referenced by any step.
type Lister interface {
	// List returns the accounts starting with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}

// Mover is implemented by stores that can move a value to another account in one write: for the vault that
// is one encryption instead of two. Move replaces what to held and removes from; ErrNotFound when from is
// absent (then nothing changes).
type Mover interface {
	Move(ctx context.Context, from, to string) error
}

// Legacy is implemented by stores that can reach what patchbay versions before database identities stored
// (unscoped keyring entries, the shared secrets.age vault), so it can be moved under the identity.
type Legacy interface {
	// LegacyGet reads account as earlier versions stored it; ErrNotFound when absent.
	LegacyGet(ctx context.Context, account string) (string, error)
	// LegacyDelete removes those accounts from where earlier versions stored them; absent ones are skipped.
	LegacyDelete(ctx context.Context, accounts []string) error
}

// Info describes a backend.
type Info struct {
	Name   string // BackendKeyring, BackendVault or BackendMemory
	Detail string // e.g. the vault's path, or which OS keyring
}

func (i Info) String() string {
	if i.Detail == "" {
		return i.Name
	}
	return i.Name + " (" + i.Detail + ")"
}

var (
	// ErrNotFound: no secret under that account.
	ErrNotFound = errors.New("secret not found")
	// ErrTimeout: the backend did not answer in time (typically a locked or stuck OS keyring).
	ErrTimeout = errors.New("secret store did not answer in time")
	// ErrUnavailable: the backend cannot be used here at all (e.g. no Secret Service on a headless server).
	ErrUnavailable = errors.New("secret store unavailable")
	// ErrBadPassphrase: the vault passphrase is wrong or empty.
	ErrBadPassphrase = errors.New("wrong vault passphrase")
	// ErrLocked: the OS keyring is locked and the unlock prompt was dismissed or failed.
	ErrLocked = errors.New("keyring is locked")
	// ErrCorrupt: the vault file exists but is not a vault this version of patchbay can read.
	ErrCorrupt = errors.New("secret vault is unreadable")
	// ErrInvalidAccount: the account is not PROFILE/INTEGRATION/KEY.
	ErrInvalidAccount = errors.New("invalid secret account")
	// ErrEmptySecret: storing an empty secret is refused; Delete removes a secret.
	ErrEmptySecret = errors.New("refusing to store an empty secret")
	// ErrListUnsupported: this OS keyring cannot list its entries.
	ErrListUnsupported = errors.New("this keyring cannot list its entries")
)

// storeError carries a sentinel for errors.Is, an optional cause for errors.As, and a message written for
// the admin. The message is complete on its own, so it is not followed by the sentinel's text.
type storeError struct {
	kind  error
	msg   string
	cause error
}

func (e *storeError) Error() string { return e.msg }

func (e *storeError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// Account names the secret KEY of INTEGRATION in PROFILE: "PROFILE/INTEGRATION/KEY". It does not fail; every
// Store rejects a malformed account (empty part or a '/' inside a part) with ErrInvalidAccount, and callers
// taking names from the admin (such as --profile) check them first with ValidateAccountPart.
func Account(profile, integration, key string) string {
	return profile + "/" + integration + "/" + key
}

// ValidateAccountPart checks one part of an account: non-empty, no '/', no control characters.
func ValidateAccountPart(part string) error {
	switch {
	case part == "":
		return fmt.Errorf("%w: an empty name", ErrInvalidAccount)
	case strings.Contains(part, "/"):
		return fmt.Errorf("%w: %q contains '/'", ErrInvalidAccount, part)
	case strings.ContainsFunc(part, unicode.IsControl):
		return fmt.Errorf("%w: %q contains a control character", ErrInvalidAccount, part)
	}
	return nil
}

// ParseAccount splits an account made by Account back into its parts.
func ParseAccount(account string) (profile, integration, key string, err error) {
	parts := strings.Split(account, "/")
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("%w: %q is not PROFILE/INTEGRATION/KEY", ErrInvalidAccount, account)
	}
	for _, p := range parts {
		if err := ValidateAccountPart(p); err != nil {
			return "", "", "", fmt.Errorf("%w (in %q)", err, account)
		}
	}
	return parts[0], parts[1], parts[2], nil
}

func validAccount(account string) error {
	_, _, _, err := ParseAccount(account)
	return err
}

// Probe checks that s answers by reading an account that cannot exist: ErrNotFound means the backend works.
// It proves no vault passphrase (a missing entry needs no key): Vault.Unlock does.
func Probe(ctx context.Context, s Store) error {
	_, err := s.Get(ctx, Account("patchbay-probe", "probe", rand.Text()))
	if err == nil || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
