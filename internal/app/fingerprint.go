package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// fingerprint is the keyed fingerprint of a secret value. Its key lives in
// the secrets store (read once per Service), never in the database.
func (s *Service) fingerprint(ctx context.Context, value string) (string, error) {
	s.fpMu.Lock()
	defer s.fpMu.Unlock()
	if s.fpKey == nil {
		k, err := s.Secrets.Get(ctx, secrets.FingerprintKeyAccount)
		if errors.Is(err, secrets.ErrNotFound) {
			// Created under the database's write lock: two patchbays
			// creating the key at once would otherwise each fingerprint
			// with their own, and one's secrets would read as changed.
			err = s.DB.Tx(ctx, func(*store.Tx) error {
				kb, err := secrets.FingerprintKey(ctx, s.Secrets)
				k = string(kb)
				return err
			})
		}
		if err != nil {
			return "", fmt.Errorf("reading the fingerprint key: %w", err)
		}
		s.fpKey = []byte(k)
	}
	return secrets.Fingerprint(s.fpKey, value), nil
}

// secretLabel names a secret for the admin: "the Vetty API key".
func secretLabel(in steps.Integration, key string) string {
	if f, ok := in.SecretField(key); ok && f.Label != "" {
		return "the " + f.Label
	}
	return key
}

// Drift says how a stored value differs from the one the database
// recorded, or "" when it is the recorded one (or none was recorded yet).
// The ending shown is the stored value's, so the admin recognises what is
// really there.
func (s *Service) drift(ctx context.Context, in steps.Integration, m store.SecretMeta, recorded, value string) (string, error) {
	if recorded == "" {
		// No fingerprint yet (a value kept before fingerprints, whose
		// ending did not match when it moved): the recorded ending is all
		// there is to compare.
		if m.Last4 == "" || Last4(value) == m.Last4 {
			return "", nil
		}
	} else {
		fp, err := s.fingerprint(ctx, value)
		if err != nil {
			return "", err
		}
		if fp == recorded {
			return "", nil
		}
	}
	return fmt.Sprintf("%s in %s is not the one patchbay recorded (it ends %s, patchbay recorded %s): it was changed outside patchbay; "+
		"re-run the step that creates it to enter the right one", secretLabel(in, m.Key), secretsBackendName(m, s.Secrets),
		Ending(Last4(value)), Ending(m.Last4)), nil
}

// StoredProblem is a secret the database records that the secrets store
// does not hold as recorded.
type StoredProblem struct {
	Integration, Key string
	Previous         bool   // the kept previous value, not the current one
	Missing          bool   // absent from the store (else changed outside patchbay)
	Detail           string // for the admin
}

// CheckStored reads every secret the database records for the profile,
// current and previous, and reports each one missing from the store or
// changed outside patchbay. It returns how many entries it read.
func (s *Service) CheckStored(ctx context.Context) (int, []StoredProblem, error) {
	metas, err := s.DB.Secrets(ctx, s.Profile, "")
	if err != nil {
		return 0, nil, err
	}
	n := 0
	var out []StoredProblem
	for _, m := range metas {
		in, _ := steps.Lookup(m.Integration)
		type entry struct {
			account, fingerprint, last4 string
			previous                    bool
		}
		entries := []entry{{secrets.Account(s.Profile, m.Integration, m.Key), m.Fingerprint, m.Last4, false}}
		if p := m.Previous; p != nil {
			entries = append(entries, entry{previousAccount(entries[0].account), p.Fingerprint, p.Last4, true})
		}
		for _, e := range entries {
			n++
			which := secretLabel(in, m.Key)
			if e.previous {
				which = "the previous " + strings.TrimPrefix(which, "the ")
			}
			v, err := s.Secrets.Get(ctx, e.account)
			switch {
			case errors.Is(err, secrets.ErrNotFound):
				out = append(out, StoredProblem{Integration: m.Integration, Key: m.Key, Previous: e.previous, Missing: true,
					Detail: fmt.Sprintf("%s (%s/%s %s) is recorded but missing from %s", which, m.Integration, m.Key,
						Ending(e.last4), secretsBackendName(m, s.Secrets))})
				continue
			case err != nil:
				return n, out, fmt.Errorf("reading %s/%s: %w", m.Integration, m.Key, err)
			}
			mm := m
			mm.Last4 = e.last4
			d, err := s.drift(ctx, in, mm, e.fingerprint, v)
			if err != nil {
				return n, out, err
			}
			if d != "" {
				if e.previous {
					d = "previous value: " + d
				}
				out = append(out, StoredProblem{Integration: m.Integration, Key: m.Key, Previous: e.previous, Detail: d})
			}
		}
	}
	return n, out, nil
}
