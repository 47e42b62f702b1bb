package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// querier is what *sql.DB and *sql.Tx have in common; the data methods are
// written once against it and shared by DB and Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ops carries the data methods. On a DB, db is set and each method opens its
// own transaction; on a Tx, db is nil and the methods join the caller's.
type ops struct {
	q   querier
	db  *sql.DB
	now func() time.Time
}

// write runs fn atomically: in a new write transaction, or in the current one.
func (o ops) write(ctx context.Context, fn func(ops) error) error {
	if o.db == nil {
		return fn(o)
	}
	return inTx(ctx, o.db, func(t *sql.Tx) error {
		return fn(ops{q: t, now: o.now})
	})
}

// ensureProfile creates the profile row when missing, so every write can
// satisfy the foreign keys without a separate call. A profile renamed or
// removed meanwhile (a tombstone) is not brought back: the write fails with
// ErrNotFound, saying so. EnsureProfile creates one on purpose.
func (o ops) ensureProfile(ctx context.Context, name string) error {
	if err := checkProfileName(name); err != nil {
		return err
	}
	var exists int
	if err := o.q.QueryRowContext(ctx, "SELECT count(*) FROM profiles WHERE name = ?", name).Scan(&exists); err != nil {
		return fmt.Errorf("read profile %q: %w", name, err)
	}
	if exists > 0 {
		return nil
	}
	var replacedBy string
	err := o.q.QueryRowContext(ctx, "SELECT replaced_by FROM profile_tombstones WHERE name = ?", name).Scan(&replacedBy)
	switch {
	case err == nil && replacedBy != "":
		return fmt.Errorf("profile %q was renamed to %q by another patchbay: %w", name, replacedBy, ErrNotFound)
	case err == nil:
		return fmt.Errorf("profile %q was removed by another patchbay: %w", name, ErrNotFound)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("read profile %q: %w", name, err)
	}
	return o.createProfile(ctx, name)
}

// createProfile creates the profile row, clearing any tombstone of the name.
func (o ops) createProfile(ctx context.Context, name string) error {
	if _, err := o.q.ExecContext(ctx, "DELETE FROM profile_tombstones WHERE name = ?", name); err != nil {
		return fmt.Errorf("create profile %q: %w", name, err)
	}
	_, err := o.q.ExecContext(ctx,
		"INSERT INTO profiles (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
		name, o.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("create profile %q: %w", name, err)
	}
	return nil
}

// checkProfileName refuses names that would break the keyring account
// format PROFILE/INTEGRATION/KEY.
func checkProfileName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty profile name", ErrInvalid)
	}
	if name == reservedProfile {
		return fmt.Errorf("%w: profile name %q is reserved for patchbay's own entries in the secrets store", ErrInvalid, name)
	}
	if strings.ContainsAny(name, "/\\") || strings.IndexFunc(name, isControl) >= 0 {
		return fmt.Errorf("%w: profile name %q may not contain slashes or control characters", ErrInvalid, name)
	}
	return nil
}

// reservedProfile is where secrets stores keep patchbay's own entries (the
// fingerprint key: store/secrets.FingerprintKeyAccount).
const reservedProfile = "_patchbay"

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// requireNonEmpty refuses empty identifiers, naming the first one missing.
func requireNonEmpty(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("%w: empty %s", ErrInvalid, pairs[i])
		}
	}
	return nil
}

// millis converts a time to its stored form; the zero time is NULL.
func millis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMillis is the inverse of millis.
func fromMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// nowUTC is the clock's current time as stored, so that a value written
// and the value returned to the caller agree exactly.
func (o ops) nowUTC() time.Time {
	return o.now().UTC().Truncate(time.Millisecond)
}

// encodeMap stores a string map as a JSON object ("{}" when empty).
func encodeMap(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decodeMap reads a stored JSON object; the result is never nil.
func decodeMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "" || s == "{}" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode stored JSON: %w", err)
	}
	return m, nil
}

// inList returns "?, ?, ?" for n placeholders.
func inList(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
