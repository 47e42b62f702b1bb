package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Profile is one customer company's set of integrations.
type Profile struct {
	Name string
	// SecretsBackend is the secrets store chosen for this profile ("" until
	// one is chosen); the values are store/secrets' backend names.
	SecretsBackend string
	CreatedAt      time.Time
	// LegacySecrets: the profile's secrets still sit where patchbay versions
	// before database identities kept them, until they are moved on first open.
	LegacySecrets bool
}

// EnsureProfile returns the profile, creating it first when it is missing
// (on purpose: a name renamed or removed earlier is taken again).
func (o ops) EnsureProfile(ctx context.Context, name string) (Profile, error) {
	var p Profile
	err := o.write(ctx, func(o ops) error {
		if err := checkProfileName(name); err != nil {
			return err
		}
		if err := o.createProfile(ctx, name); err != nil {
			return err
		}
		var err error
		p, err = o.getProfile(ctx, name)
		return err
	})
	return p, err
}

// GetProfile returns the profile, or ErrNotFound.
func (o ops) GetProfile(ctx context.Context, name string) (Profile, error) {
	return o.getProfile(ctx, name)
}

func (o ops) getProfile(ctx context.Context, name string) (Profile, error) {
	var p Profile
	var created sql.NullInt64
	err := o.q.QueryRowContext(ctx,
		"SELECT name, secrets_backend, created_at, legacy_secrets FROM profiles WHERE name = ?", name).
		Scan(&p.Name, &p.SecretsBackend, &created, &p.LegacySecrets)
	if errors.Is(err, sql.ErrNoRows) {
		return Profile{}, fmt.Errorf("profile %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Profile{}, fmt.Errorf("read profile %q: %w", name, err)
	}
	p.CreatedAt = fromMillis(created)
	return p, nil
}

// ListProfiles returns every profile, by name.
func (o ops) ListProfiles(ctx context.Context) ([]Profile, error) {
	rows, err := o.q.QueryContext(ctx, "SELECT name, secrets_backend, created_at FROM profiles ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	var out []Profile
	for rows.Next() {
		var p Profile
		var created sql.NullInt64
		if err := rows.Scan(&p.Name, &p.SecretsBackend, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list profiles: %w", err)
		}
		p.CreatedAt = fromMillis(created)
		out = append(out, p)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	return out, nil
}

// SetSecretsBackend remembers the secrets store chosen for a profile,
// creating the profile when it is missing.
func (o ops) SetSecretsBackend(ctx context.Context, profile, backend string) error {
	return o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, profile); err != nil {
			return err
		}
		_, err := o.q.ExecContext(ctx, "UPDATE profiles SET secrets_backend = ? WHERE name = ?", backend, profile)
		if err != nil {
			return fmt.Errorf("set secrets backend of %q: %w", profile, err)
		}
		return nil
	})
}

// ClearLegacySecrets records that the profile's secrets have been moved under
// the database identity.
func (o ops) ClearLegacySecrets(ctx context.Context, profile string) error {
	_, err := o.q.ExecContext(ctx, "UPDATE profiles SET legacy_secrets = 0 WHERE name = ?", profile)
	if err != nil {
		return fmt.Errorf("record the move of %q's secrets: %w", profile, err)
	}
	return nil
}

// ID is the database's random identity, made when it was created. Secrets
// stores file this database's entries under it.
func (db *DB) ID(ctx context.Context) (string, error) {
	var id string
	if err := db.sql.QueryRowContext(ctx, "SELECT id FROM database_identity").Scan(&id); err != nil {
		return "", fmt.Errorf("read the database identity: %w", err)
	}
	return id, nil
}

// ProfileNames lists the profiles of the database at path, for shell
// completion: it opens the file read-only, never creates or migrates it, and
// a missing file has none.
func ProfileNames(ctx context.Context, path string) ([]string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	sqlDB, err := sql.Open("sqlite", dsn(abs, true)+"&mode=ro")
	if err != nil {
		return nil, err
	}
	defer sqlDB.Close()
	rows, err := sqlDB.QueryContext(ctx, "SELECT name FROM profiles ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list profiles: %w", err)
		}
		names = append(names, n)
	}
	return names, closeRows(rows)
}
