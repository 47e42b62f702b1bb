package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// ErrNotOrphan: RemoveOrphan was asked to delete an entry the database knows.
var ErrNotOrphan = errors.New("not an orphaned entry")

// Orphan is a secrets-store entry of the profile that the database does not
// account for: a staging leftover, a previous copy no rotation keeps, or a
// secret with no metadata (its record was removed, or the database replaced).
type Orphan struct {
	Account     string // the store account, never the value
	Integration string
	Key         string // the secret's key, without the .staging/.previous suffix
	Kind        string // "staging", "previous" or "secret"
	Reason      string
}

// Kinds of orphaned entries.
const (
	OrphanStaging  = "staging"
	OrphanPrevious = "previous"
	OrphanSecret   = "secret"
)

// splitEntry parses a store account of this profile into the integration,
// the secret key and the kind of entry.
func splitEntry(account string) (integration, key, kind string, err error) {
	_, integration, part, err := secrets.ParseAccount(account)
	if err != nil {
		return "", "", "", err
	}
	if k, ok := strings.CutSuffix(part, ".staging"); ok {
		return integration, k, OrphanStaging, nil
	}
	if k, ok := strings.CutSuffix(part, ".previous"); ok {
		return integration, k, OrphanPrevious, nil
	}
	return integration, part, OrphanSecret, nil
}

// known is what the database accounts for.
type known struct {
	metas   map[string]store.SecretMeta // "integration/key"
	pending map[string]bool             // "integration/key" with an operation in flight
}

func (s *Service) knownSecrets(ctx context.Context) (known, error) {
	k := known{metas: map[string]store.SecretMeta{}, pending: map[string]bool{}}
	metas, err := s.DB.Secrets(ctx, s.Profile, "")
	if err != nil {
		return k, err
	}
	for _, m := range metas {
		k.metas[m.Integration+"/"+m.Key] = m
	}
	ops, err := s.DB.PendingOps(ctx, s.Profile)
	if err != nil {
		return k, err
	}
	for _, op := range ops {
		k.pending[op.Integration+"/"+op.Key] = true
	}
	return k, nil
}

// orphanReason returns why an entry is orphaned, or "" when the database
// accounts for it.
func (k known) orphanReason(integration, key, kind string) string {
	in, ok := steps.Lookup(integration)
	if !ok || !slices.Contains(in.SecretKeys(), key) {
		return "not a secret of any integration patchbay knows"
	}
	id := integration + "/" + key
	if k.pending[id] {
		return "" // a write in flight, or one recovery will finish
	}
	meta, stored := k.metas[id]
	switch kind {
	case OrphanStaging:
		return "a leftover of an interrupted write; the value in use is elsewhere"
	case OrphanPrevious:
		if stored && meta.Previous != nil {
			return ""
		}
		return "a previous value no rotation keeps any more"
	default:
		if stored {
			return ""
		}
		return "the database has no record of this secret (its step was reset, or the database was replaced)"
	}
}

// Orphans lists the profile's secrets-store entries that the database does
// not account for. Stores that can list their entries (vault, memory) are
// listed whole; the OS keyring cannot be listed, so every entry patchbay
// could have written for this profile is looked up by name instead.
func (s *Service) Orphans(ctx context.Context) ([]Orphan, error) {
	k, err := s.knownSecrets(ctx)
	if err != nil {
		return nil, err
	}
	var accounts []string
	listed := false
	if l, ok := s.Secrets.(secrets.Lister); ok {
		accounts, err = l.List(ctx, s.Profile+"/")
		switch {
		case err == nil:
			listed = true
		case !errors.Is(err, secrets.ErrListUnsupported):
			return nil, fmt.Errorf("listing the %s: %w", s.Secrets.Backend().Name, err)
		}
	}
	if !listed {
		accounts, err = s.probeAccounts(ctx, k)
		if err != nil {
			return nil, err
		}
	}
	var out []Orphan
	for _, a := range accounts {
		if a == secrets.FingerprintKeyAccount {
			continue // the store's own fingerprint key, not a secret of a profile
		}
		integration, key, kind, err := splitEntry(a)
		if err != nil {
			out = append(out, Orphan{Account: a, Kind: OrphanSecret, Reason: "not an account patchbay writes"})
			continue
		}
		if reason := k.orphanReason(integration, key, kind); reason != "" {
			out = append(out, Orphan{Account: a, Integration: integration, Key: key, Kind: kind, Reason: reason})
		}
	}
	return out, nil
}

// probeAccounts looks up, by name, each entry that would be an orphan if it
// existed, and returns those that do.
func (s *Service) probeAccounts(ctx context.Context, k known) ([]string, error) {
	var found []string
	for _, in := range steps.Catalog() {
		for _, key := range in.SecretKeys() {
			base := secrets.Account(s.Profile, in.ID, key)
			for _, e := range []struct{ account, kind string }{
				{base, OrphanSecret}, {stagingAccount(base), OrphanStaging}, {previousAccount(base), OrphanPrevious},
			} {
				if k.orphanReason(in.ID, key, e.kind) == "" {
					continue
				}
				_, err := s.Secrets.Get(ctx, e.account)
				switch {
				case err == nil:
					found = append(found, e.account)
				case !errors.Is(err, secrets.ErrNotFound):
					return found, fmt.Errorf("looking for leftovers in the %s: %w", s.Secrets.Backend().Name, err)
				}
			}
		}
	}
	return found, nil
}

// RemoveOrphan deletes one orphaned entry, after checking again that the
// database does not account for it, and records the removal (with the
// value's last 4 characters) in the history.
func (s *Service) RemoveOrphan(ctx context.Context, account string) error {
	integration, key, kind, err := splitEntry(account)
	if err != nil {
		return err
	}
	if prof, _, _, _ := secrets.ParseAccount(account); prof != s.Profile {
		return fmt.Errorf("%w: %s belongs to another profile", ErrNotOrphan, account)
	}
	k, err := s.knownSecrets(ctx)
	if err != nil {
		return err
	}
	reason := k.orphanReason(integration, key, kind)
	if reason == "" {
		return fmt.Errorf("%w: the database accounts for %s", ErrNotOrphan, account)
	}
	v, err := s.Secrets.Get(ctx, account)
	if err != nil {
		return fmt.Errorf("reading %s: %w", account, err)
	}
	if err := s.Secrets.Delete(ctx, account); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return fmt.Errorf("deleting %s: %w", account, err)
	}
	last4 := Last4(v)
	return s.DB.AddEvent(ctx, store.Event{
		At: s.now(), Profile: s.Profile, Integration: integration, Kind: store.EventSecretRemoved,
		Summary: fmt.Sprintf("Removed the orphaned entry %s %s from the %s (%s; with your consent)", account, Ending(last4), s.Secrets.Backend().Name, reason),
		Detail:  map[string]string{"account": account, "last4": last4, "reason": "orphan"},
	})
}
