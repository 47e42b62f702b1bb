package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// CheckResult is the latest result of one live check of an integration.
type CheckResult struct {
	Integration string
	Name        string // e.g. "lever.key", "lever.stage"
	Result      string // valid, unauthorized, forbidden, unreachable, rate_limited, drift, unknown
	Detail      string // plain words, never a secret
	CheckedAt   time.Time
	// Counts are numbers the check found (Lever's CERTN tag → candidates);
	// nil when it counts nothing.
	Counts map[string]int
}

// SaveChecks stores the latest result of each check, replacing older ones,
// in one transaction. A zero CheckedAt means now.
func (o ops) SaveChecks(ctx context.Context, profile string, results []CheckResult) error {
	for _, r := range results {
		if err := requireNonEmpty("check name", r.Name, "check result", r.Result); err != nil {
			return fmt.Errorf("save checks: %w", err)
		}
	}
	err := o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, profile); err != nil {
			return err
		}
		now := o.nowUTC()
		for _, r := range results {
			if r.CheckedAt.IsZero() {
				r.CheckedAt = now
			}
			counts := ""
			if len(r.Counts) > 0 {
				b, err := json.Marshal(r.Counts)
				if err != nil {
					return err
				}
				counts = string(b)
			}
			_, err := o.q.ExecContext(ctx, `INSERT INTO check_results
				(profile, integration, name, result, detail, checked_at, counts) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (profile, integration, name) DO UPDATE SET
					result = excluded.result, detail = excluded.detail, checked_at = excluded.checked_at,
					counts = excluded.counts`,
				profile, r.Integration, r.Name, r.Result, r.Detail, r.CheckedAt.UnixMilli(), counts)
			if err != nil {
				return fmt.Errorf("check %s/%s: %w", r.Integration, r.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save checks: %w", err)
	}
	return nil
}

// Checks returns the latest check results of a profile, for one integration
// or for all when integration is "", ordered by integration and name.
func (o ops) Checks(ctx context.Context, profile, integration string) ([]CheckResult, error) {
	query := "SELECT integration, name, result, detail, checked_at, counts FROM check_results WHERE profile = ?"
	args := []any{profile}
	if integration != "" {
		query += " AND integration = ?"
		args = append(args, integration)
	}
	rows, err := o.q.QueryContext(ctx, query+" ORDER BY integration, name", args...)
	if err != nil {
		return nil, fmt.Errorf("read checks: %w", err)
	}
	var out []CheckResult
	for rows.Next() {
		var r CheckResult
		var at sql.NullInt64
		var counts string
		if err := rows.Scan(&r.Integration, &r.Name, &r.Result, &r.Detail, &at, &counts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read checks: %w", err)
		}
		if counts != "" {
			if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read checks: counts of %s/%s: %w", r.Integration, r.Name, err)
			}
		}
		r.CheckedAt = fromMillis(at)
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read checks: %w", err)
	}
	return out, nil
}

// DeleteChecks forgets the check results of one integration (after a
// disconnect or a reset, old results would mislead).
func (o ops) DeleteChecks(ctx context.Context, profile, integration string) error {
	if err := requireNonEmpty("integration", integration); err != nil {
		return fmt.Errorf("delete checks: %w", err)
	}
	if _, err := o.q.ExecContext(ctx, "DELETE FROM check_results WHERE profile = ? AND integration = ?",
		profile, integration); err != nil {
		return fmt.Errorf("delete checks of %s: %w", integration, err)
	}
	return nil
}
