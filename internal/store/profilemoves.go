package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Kinds and phases of a profile move.
const (
	MoveRename = "rename"
	MoveRemove = "remove"

	MoveCopying   = "copying"   // rename: entries being copied to the new name; nothing committed
	MoveCommitted = "committed" // the database changed; the old entries are to be removed
)

// ErrMoveInProgress: the profile is already being renamed or removed.
var ErrMoveInProgress = errors.New("a rename or removal of this profile is in progress")

// ProfileMove is a rename or removal of a profile in flight.
type ProfileMove struct {
	ID        int64
	Kind      string // MoveRename or MoveRemove
	From, To  string // To is "" for a removal
	Backend   string // the secrets backend holding Keys
	Keys      []string
	Phase     string
	OwnerPID  int
	CreatedAt time.Time
}

// AddProfileMove records a move; a second move of the same profile gets
// ErrMoveInProgress.
func (o ops) AddProfileMove(ctx context.Context, m ProfileMove) (int64, error) {
	keys, err := json.Marshal(m.Keys)
	if err != nil {
		return 0, err
	}
	var id int64
	err = o.write(ctx, func(o ops) error {
		var n int
		if err := o.q.QueryRowContext(ctx, "SELECT count(*) FROM profile_moves WHERE from_profile IN (?, ?) OR to_profile IN (?, ?)",
			m.From, m.To, m.From, m.To).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w (%s)", ErrMoveInProgress, m.From)
		}
		res, err := o.q.ExecContext(ctx, `INSERT INTO profile_moves
			(kind, from_profile, to_profile, backend, keys_json, phase, owner_pid, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			m.Kind, m.From, m.To, m.Backend, string(keys), m.Phase, m.OwnerPID, o.nowUTC().UnixMilli())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record the %s of profile %s: %w", m.Kind, m.From, err)
	}
	return id, nil
}

// ProfileMoves lists the moves in flight, oldest first.
func (o ops) ProfileMoves(ctx context.Context) ([]ProfileMove, error) {
	rows, err := o.q.QueryContext(ctx, `SELECT id, kind, from_profile, to_profile, backend, keys_json, phase, owner_pid, created_at
		FROM profile_moves ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read profile moves: %w", err)
	}
	var out []ProfileMove
	for rows.Next() {
		var m ProfileMove
		var keys string
		var created sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Kind, &m.From, &m.To, &m.Backend, &keys, &m.Phase, &m.OwnerPID, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read profile moves: %w", err)
		}
		if err := json.Unmarshal([]byte(keys), &m.Keys); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read profile moves: %w", err)
		}
		m.CreatedAt = fromMillis(created)
		out = append(out, m)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read profile moves: %w", err)
	}
	return out, nil
}

// SetProfileMovePhase moves a recorded move on to phase.
func (o ops) SetProfileMovePhase(ctx context.Context, id int64, phase string) error {
	res, err := o.q.ExecContext(ctx, "UPDATE profile_moves SET phase = ? WHERE id = ?", phase, id)
	if err != nil {
		return fmt.Errorf("update profile move: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update profile move %d: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteProfileMove forgets a finished or undone move.
func (o ops) DeleteProfileMove(ctx context.Context, id int64) error {
	if _, err := o.q.ExecContext(ctx, "DELETE FROM profile_moves WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete profile move: %w", err)
	}
	return nil
}

// profileTables are the tables whose rows belong to a profile.
var profileTables = []string{"step_state", "step_runs", "secrets", "check_results", "events", "pending_ops"}

// RenameProfile gives every row of profile from to profile to, which must
// not exist yet. Run it in a transaction (Tx) with the move's phase change.
func (o ops) RenameProfile(ctx context.Context, from, to string) error {
	if err := checkProfileName(to); err != nil {
		return err
	}
	return o.write(ctx, func(o ops) error {
		if _, err := o.q.ExecContext(ctx, "DELETE FROM profile_tombstones WHERE name = ?", to); err != nil {
			return fmt.Errorf("rename profile %s to %s: %w", from, to, err)
		}
		res, err := o.q.ExecContext(ctx, `INSERT INTO profiles (name, secrets_backend, created_at, legacy_secrets)
			SELECT ?, secrets_backend, created_at, legacy_secrets FROM profiles WHERE name = ?`, to, from)
		if err != nil {
			return fmt.Errorf("rename profile %s to %s: %w", from, to, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("rename profile %s: %w", from, ErrNotFound)
		}
		for _, t := range profileTables {
			if _, err := o.q.ExecContext(ctx, "UPDATE "+t+" SET profile = ? WHERE profile = ?", to, from); err != nil {
				return fmt.Errorf("rename profile %s to %s (%s): %w", from, to, t, err)
			}
		}
		if _, err := o.q.ExecContext(ctx, "DELETE FROM profiles WHERE name = ?", from); err != nil {
			return fmt.Errorf("rename profile %s to %s: %w", from, to, err)
		}
		return o.tombstone(ctx, from, to)
	})
}

// DeleteProfile removes a profile and everything recorded of it.
func (o ops) DeleteProfile(ctx context.Context, name string) error {
	res, err := o.q.ExecContext(ctx, "DELETE FROM profiles WHERE name = ?", name)
	if err != nil {
		return fmt.Errorf("remove profile %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove profile %s: %w", name, ErrNotFound)
	}
	return o.tombstone(ctx, name, "")
}

// tombstone records that a profile was renamed (to replacedBy) or removed,
// so a write of a patchbay still running on it fails instead of bringing
// it back.
func (o ops) tombstone(ctx context.Context, name, replacedBy string) error {
	_, err := o.q.ExecContext(ctx, `INSERT INTO profile_tombstones (name, replaced_by, at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET replaced_by = excluded.replaced_by, at = excluded.at`,
		name, replacedBy, o.nowUTC().UnixMilli())
	if err != nil {
		return fmt.Errorf("record the end of profile %s: %w", name, err)
	}
	return nil
}
