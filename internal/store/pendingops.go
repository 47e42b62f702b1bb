package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Operations of a two-phase secret write.
const (
	OpSet    = "set"
	OpRotate = "rotate"
	OpDelete = "delete"
	// OpMigrate moves a secret from where earlier patchbay versions kept it
	// to its entry under the database identity.
	OpMigrate = "migrate"
)

// PendingOp is a two-phase secret write in flight. It is recorded before the
// secrets store is touched and deleted in the same transaction that records
// the outcome, so after a crash it says exactly what to finish or undo.
type PendingOp struct {
	ID          int64 // set by the store
	Profile     string
	Integration string
	Key         string
	Op          string // OpSet, OpRotate or OpDelete
	// StagingAccount is the secrets-store account holding the new value
	// until it replaces the old one ("" when the operation needs none).
	StagingAccount string
	Phase          string // the protocol's own phase names
	// Meta is non-secret data recovery needs (backend, last4, expiry…).
	Meta      map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AddPendingOp records a pending operation and returns its ID. Only one
// operation per secret may be pending: a second one gets ErrPendingOpExists.
func (o ops) AddPendingOp(ctx context.Context, p PendingOp) (int64, error) {
	if err := checkProfileName(p.Profile); err != nil {
		return 0, fmt.Errorf("record pending operation: %w", err)
	}
	if err := requireNonEmpty("integration", p.Integration, "secret key", p.Key, "phase", p.Phase); err != nil {
		return 0, fmt.Errorf("record pending operation: %w", err)
	}
	switch p.Op {
	case OpSet, OpRotate, OpDelete, OpMigrate:
	default:
		return 0, fmt.Errorf("record pending operation: %w: operation %q", ErrInvalid, p.Op)
	}
	meta, err := encodeMap(p.Meta)
	if err != nil {
		return 0, fmt.Errorf("record pending operation: %w", err)
	}
	var id int64
	err = o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, p.Profile); err != nil {
			return err
		}
		var existing int64
		err := o.q.QueryRowContext(ctx, "SELECT id FROM pending_ops WHERE profile = ? AND integration = ? AND key = ?",
			p.Profile, p.Integration, p.Key).Scan(&existing)
		if err == nil {
			return fmt.Errorf("%w (operation %d on %s/%s)", ErrPendingOpExists, existing, p.Integration, p.Key)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := o.nowUTC().UnixMilli()
		res, err := o.q.ExecContext(ctx, `INSERT INTO pending_ops
			(profile, integration, key, op, staging_account, phase, meta_json, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.Profile, p.Integration, p.Key, p.Op, p.StagingAccount, p.Phase, meta, now, now)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record pending operation on %s/%s: %w", p.Integration, p.Key, err)
	}
	return id, nil
}

const pendingOpColumns = "id, profile, integration, key, op, staging_account, phase, meta_json, created_at, updated_at"

func scanPendingOp(r rowScanner) (PendingOp, error) {
	var p PendingOp
	var meta string
	var created, updated sql.NullInt64
	if err := r.Scan(&p.ID, &p.Profile, &p.Integration, &p.Key, &p.Op, &p.StagingAccount, &p.Phase, &meta,
		&created, &updated); err != nil {
		return PendingOp{}, err
	}
	var err error
	if p.Meta, err = decodeMap(meta); err != nil {
		return PendingOp{}, err
	}
	p.CreatedAt, p.UpdatedAt = fromMillis(created), fromMillis(updated)
	return p, nil
}

// PendingOps lists pending operations of a profile, or of all profiles when
// profile is "", oldest first (the order recovery should replay them).
func (o ops) PendingOps(ctx context.Context, profile string) ([]PendingOp, error) {
	query := "SELECT " + pendingOpColumns + " FROM pending_ops"
	var args []any
	if profile != "" {
		query += " WHERE profile = ?"
		args = append(args, profile)
	}
	rows, err := o.q.QueryContext(ctx, query+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("list pending operations: %w", err)
	}
	var out []PendingOp
	for rows.Next() {
		p, err := scanPendingOp(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list pending operations: %w", err)
		}
		out = append(out, p)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list pending operations: %w", err)
	}
	return out, nil
}

// GetPendingOp returns one pending operation, or ErrNotFound.
func (o ops) GetPendingOp(ctx context.Context, id int64) (PendingOp, error) {
	p, err := scanPendingOp(o.q.QueryRowContext(ctx, "SELECT "+pendingOpColumns+" FROM pending_ops WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return PendingOp{}, fmt.Errorf("pending operation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return PendingOp{}, fmt.Errorf("read pending operation %d: %w", id, err)
	}
	return p, nil
}

// UpdatePendingOpPhase moves a pending operation to its next phase.
// ErrNotFound when it no longer exists.
func (o ops) UpdatePendingOpPhase(ctx context.Context, id int64, phase string) error {
	if err := requireNonEmpty("phase", phase); err != nil {
		return fmt.Errorf("update pending operation %d: %w", id, err)
	}
	return o.changePendingOp(ctx, id, "update",
		"UPDATE pending_ops SET phase = ?, updated_at = ? WHERE id = ?", phase, o.nowUTC().UnixMilli())
}

// DeletePendingOp removes a finished pending operation. ErrNotFound when it
// no longer exists (recovery running twice can treat that as done).
func (o ops) DeletePendingOp(ctx context.Context, id int64) error {
	return o.changePendingOp(ctx, id, "delete", "DELETE FROM pending_ops WHERE id = ?")
}

func (o ops) changePendingOp(ctx context.Context, id int64, verb, query string, args ...any) error {
	res, err := o.q.ExecContext(ctx, query, append(args, id)...)
	if err != nil {
		return fmt.Errorf("%s pending operation %d: %w", verb, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s pending operation %d: %w", verb, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s pending operation %d: %w", verb, id, ErrNotFound)
	}
	return nil
}
