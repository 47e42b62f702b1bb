package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// SecretCurrent is the status of a secret in use.
const SecretCurrent = "current"

// SecretMeta describes one stored secret. It never holds the secret itself.
// Zero times mean "none": no expiry, never verified.
type SecretMeta struct {
	Profile     string
	Integration string
	Key         string // the secret field's key, e.g. "api_key"
	Backend     string // where the value lives (store/secrets backend name)
	Last4       string // at most 4 characters, to recognize the secret
	CreatedAt   time.Time
	ExpiresAt   time.Time
	// LastVerifiedAt is when a live check last ran against the secret; the
	// check's result is in Status or in the check results.
	LastVerifiedAt time.Time
	Status         string // SecretCurrent unless the caller records otherwise
	// Previous is the secret this one replaced, kept during a rotation until
	// the admin confirms it was revoked; nil when there is none.
	Previous *PreviousSecret
	// Fingerprint is the keyed fingerprint of the stored value ("" when none
	// was recorded yet). UpsertSecret leaves it alone: SetSecretFingerprint
	// records it.
	Fingerprint string
}

// PreviousSecret is the replaced version of a rotated secret.
type PreviousSecret struct {
	Backend     string
	Last4       string
	CreatedAt   time.Time
	Fingerprint string // of the previous value, "" when unknown
}

// validate refuses metadata that is incomplete or could hold a whole secret.
func (s *SecretMeta) validate() error {
	if err := checkProfileName(s.Profile); err != nil {
		return err
	}
	if err := requireNonEmpty("integration", s.Integration, "secret key", s.Key, "secrets backend", s.Backend); err != nil {
		return err
	}
	if utf8.RuneCountInString(s.Last4) > 4 {
		return fmt.Errorf("%w: last4 of %s/%s holds more than 4 characters", ErrInvalid, s.Integration, s.Key)
	}
	if s.CreatedAt.IsZero() {
		return fmt.Errorf("%w: secret %s/%s has no creation time", ErrInvalid, s.Integration, s.Key)
	}
	if s.Status == "" {
		s.Status = SecretCurrent
	}
	if p := s.Previous; p != nil {
		if p.Backend == "" || p.CreatedAt.IsZero() {
			return fmt.Errorf("%w: previous version of %s/%s needs a backend and a creation time", ErrInvalid, s.Integration, s.Key)
		}
		if utf8.RuneCountInString(p.Last4) > 4 {
			return fmt.Errorf("%w: previous last4 of %s/%s holds more than 4 characters", ErrInvalid, s.Integration, s.Key)
		}
	}
	return nil
}

// UpsertSecret stores a secret's metadata, replacing what was there
// (including Previous: nil clears it). A zero CreatedAt means now.
func (o ops) UpsertSecret(ctx context.Context, s SecretMeta) error {
	if s.CreatedAt.IsZero() {
		s.CreatedAt = o.nowUTC()
	}
	if err := s.validate(); err != nil {
		return fmt.Errorf("save secret %s/%s: %w", s.Integration, s.Key, err)
	}
	err := o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, s.Profile); err != nil {
			return err
		}
		return o.upsertSecret(ctx, s)
	})
	if err != nil {
		return fmt.Errorf("save secret %s/%s: %w", s.Integration, s.Key, err)
	}
	return nil
}

// upsertSecret writes validated metadata.
func (o ops) upsertSecret(ctx context.Context, s SecretMeta) error {
	var prevBackend, prevLast4 sql.NullString
	var prevCreated sql.NullInt64
	if p := s.Previous; p != nil {
		prevBackend = sql.NullString{String: p.Backend, Valid: true}
		prevLast4 = sql.NullString{String: p.Last4, Valid: true}
		prevCreated = millis(p.CreatedAt)
	}
	_, err := o.q.ExecContext(ctx, `INSERT INTO secrets
		(profile, integration, key, backend, last4, created_at, expires_at, last_verified_at, status,
		 previous_last4, previous_created_at, previous_backend)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (profile, integration, key) DO UPDATE SET
			backend = excluded.backend, last4 = excluded.last4, created_at = excluded.created_at,
			expires_at = excluded.expires_at, last_verified_at = excluded.last_verified_at,
			status = excluded.status, previous_last4 = excluded.previous_last4,
			previous_created_at = excluded.previous_created_at, previous_backend = excluded.previous_backend`,
		s.Profile, s.Integration, s.Key, s.Backend, s.Last4, millis(s.CreatedAt), millis(s.ExpiresAt),
		millis(s.LastVerifiedAt), s.Status, prevLast4, prevCreated, prevBackend)
	if err != nil {
		return fmt.Errorf("save secret metadata %s/%s: %w", s.Integration, s.Key, err)
	}
	return nil
}

const secretColumns = `profile, integration, key, backend, last4, created_at, expires_at, last_verified_at, status,
	previous_last4, previous_created_at, previous_backend, coalesce(fingerprint, ''), coalesce(previous_fingerprint, '')`

type rowScanner interface{ Scan(dest ...any) error }

func scanSecret(r rowScanner) (SecretMeta, error) {
	var s SecretMeta
	var created, expires, verified, prevCreated sql.NullInt64
	var prevLast4, prevBackend sql.NullString
	var prevFingerprint string
	if err := r.Scan(&s.Profile, &s.Integration, &s.Key, &s.Backend, &s.Last4, &created, &expires, &verified,
		&s.Status, &prevLast4, &prevCreated, &prevBackend, &s.Fingerprint, &prevFingerprint); err != nil {
		return SecretMeta{}, err
	}
	s.CreatedAt, s.ExpiresAt, s.LastVerifiedAt = fromMillis(created), fromMillis(expires), fromMillis(verified)
	if prevBackend.Valid {
		s.Previous = &PreviousSecret{Backend: prevBackend.String, Last4: prevLast4.String, CreatedAt: fromMillis(prevCreated),
			Fingerprint: prevFingerprint}
	}
	return s, nil
}

// Secrets lists the secret metadata of a profile, for one integration or for
// all when integration is "", ordered by integration and key.
func (o ops) Secrets(ctx context.Context, profile, integration string) ([]SecretMeta, error) {
	query := "SELECT " + secretColumns + " FROM secrets WHERE profile = ?"
	args := []any{profile}
	if integration != "" {
		query += " AND integration = ?"
		args = append(args, integration)
	}
	rows, err := o.q.QueryContext(ctx, query+" ORDER BY integration, key", args...)
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	var out []SecretMeta
	for rows.Next() {
		s, err := scanSecret(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list secrets: %w", err)
		}
		out = append(out, s)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	return out, nil
}

// Secret returns one secret's metadata, or ErrNotFound.
func (o ops) Secret(ctx context.Context, profile, integration, key string) (SecretMeta, error) {
	s, err := scanSecret(o.q.QueryRowContext(ctx, "SELECT "+secretColumns+
		" FROM secrets WHERE profile = ? AND integration = ? AND key = ?", profile, integration, key))
	if errors.Is(err, sql.ErrNoRows) {
		return SecretMeta{}, fmt.Errorf("secret %s/%s: %w", integration, key, ErrNotFound)
	}
	if err != nil {
		return SecretMeta{}, fmt.Errorf("read secret %s/%s: %w", integration, key, err)
	}
	return s, nil
}

// DeleteSecretMeta forgets a secret's metadata; ErrNotFound when there was none.
func (o ops) DeleteSecretMeta(ctx context.Context, profile, integration, key string) error {
	return o.changeSecret(ctx, profile, integration, key, "delete",
		"DELETE FROM secrets WHERE profile = ? AND integration = ? AND key = ?")
}

// SetSecretVerified records a live check of a secret: when it ran (zero
// means now) and, unless status is "", the secret's new status.
// ErrNotFound when the secret is unknown.
func (o ops) SetSecretVerified(ctx context.Context, profile, integration, key string, at time.Time, status string) error {
	if at.IsZero() {
		at = o.nowUTC()
	}
	return o.changeSecret(ctx, profile, integration, key, "record verification of",
		`UPDATE secrets SET last_verified_at = ?, status = coalesce(nullif(?, ''), status)
		WHERE profile = ? AND integration = ? AND key = ?`, at.UnixMilli(), status)
}

// ClearPreviousSecret forgets the previous version of a rotated secret, once
// the admin confirmed it was revoked. ErrNotFound when the secret is unknown.
func (o ops) ClearPreviousSecret(ctx context.Context, profile, integration, key string) error {
	return o.changeSecret(ctx, profile, integration, key, "clear previous version of",
		`UPDATE secrets SET previous_last4 = NULL, previous_created_at = NULL, previous_backend = NULL,
			previous_fingerprint = NULL
		WHERE profile = ? AND integration = ? AND key = ?`)
}

// SetSecretFingerprint records the fingerprint of a secret's stored value.
// With rotated, the fingerprint recorded so far becomes the previous
// value's; a secret without a previous version keeps no previous
// fingerprint. ErrNotFound when the secret is unknown.
func (o ops) SetSecretFingerprint(ctx context.Context, profile, integration, key, fingerprint string, rotated bool) error {
	return o.changeSecret(ctx, profile, integration, key, "record the fingerprint of",
		`UPDATE secrets SET
			previous_fingerprint = CASE WHEN previous_backend IS NULL THEN NULL
				WHEN ? THEN fingerprint ELSE previous_fingerprint END,
			fingerprint = nullif(?, '')
		WHERE profile = ? AND integration = ? AND key = ?`, rotated, fingerprint)
}

// SetPreviousFingerprint records the fingerprint of a rotated secret's
// previous value (for values kept before fingerprints existed).
func (o ops) SetPreviousFingerprint(ctx context.Context, profile, integration, key, fingerprint string) error {
	return o.changeSecret(ctx, profile, integration, key, "record the previous fingerprint of",
		`UPDATE secrets SET previous_fingerprint = nullif(?, '') WHERE profile = ? AND integration = ? AND key = ?`, fingerprint)
}

// changeSecret runs a statement whose last three arguments are the secret's
// identity and reports ErrNotFound when it touched no row.
func (o ops) changeSecret(ctx context.Context, profile, integration, key, verb, query string, args ...any) error {
	res, err := o.q.ExecContext(ctx, query, append(args, profile, integration, key)...)
	if err != nil {
		return fmt.Errorf("%s secret %s/%s: %w", verb, integration, key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s secret %s/%s: %w", verb, integration, key, err)
	}
	if n == 0 {
		return fmt.Errorf("%s secret %s/%s: %w", verb, integration, key, ErrNotFound)
	}
	return nil
}
