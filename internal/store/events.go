package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Event kinds recorded by patchbay. Kind is free text; these are the ones
// the store itself writes or that the history view knows how to label.
const (
	EventStepRun       = "step_run"
	EventVerification  = "verification"
	EventRotation      = "rotation"
	EventRevocation    = "revocation"
	EventReset         = "reset"
	EventDisconnect    = "disconnect"
	EventSecretRemoved = "secret_removed"
	EventNeedsRerun    = "needs_rerun"
	EventRecovery      = "recovery"  // an interrupted write finished or undone
	EventProfile       = "profile"   // a profile renamed
	EventMigration     = "migration" // secrets moved from an earlier layout
)

// EventKinds lists every kind patchbay records, for views that lay them
// out before reading any (the history table's column).
func EventKinds() []string {
	return []string{EventStepRun, EventVerification, EventRotation, EventRevocation, EventReset,
		EventDisconnect, EventSecretRemoved, EventNeedsRerun, EventRecovery, EventProfile, EventMigration}
}

// Event is one entry of the audit log.
type Event struct {
	ID          int64 // set by the store
	At          time.Time
	Profile     string
	Integration string // "" for profile-wide events
	Step        string // "" when the event is not about one step
	Kind        string
	Summary     string
	// Detail is non-secret structured context; never nil when read back.
	Detail map[string]string
}

func (e *Event) validate() error {
	if err := checkProfileName(e.Profile); err != nil {
		return err
	}
	return requireNonEmpty("event kind", e.Kind, "event summary", e.Summary)
}

// EventFilter selects audit events. Empty fields match everything.
type EventFilter struct {
	Profile     string
	Integration string
	Limit       int   // <= 0: no limit
	BeforeID    int64 // > 0: only events older than this one (paging)
}

// AddEvent records an audit event. A zero At means now.
func (o ops) AddEvent(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		e.At = o.nowUTC()
	}
	if err := e.validate(); err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	err := o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, e.Profile); err != nil {
			return err
		}
		_, err := o.addEvent(ctx, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
}

// addEvent inserts a validated event and returns its ID.
func (o ops) addEvent(ctx context.Context, e Event) (int64, error) {
	detail, err := encodeMap(e.Detail)
	if err != nil {
		return 0, fmt.Errorf("encode event detail: %w", err)
	}
	step := sql.NullString{String: e.Step, Valid: e.Step != ""}
	res, err := o.q.ExecContext(ctx, `INSERT INTO events (at, profile, integration, step, kind, summary, detail_json)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.At.UnixMilli(), e.Profile, e.Integration, step, e.Kind, e.Summary, detail)
	if err != nil {
		return 0, fmt.Errorf("insert event: %w", err)
	}
	return res.LastInsertId()
}

// where builds the filter's WHERE clause; each shape has an index
// (profile, id) or (profile, integration, id) so that newest-first paging
// over a large log reads only the rows it returns.
func (f EventFilter) where() (string, []any) {
	clause := " WHERE 1 = 1"
	var args []any
	if f.Profile != "" {
		clause += " AND profile = ?"
		args = append(args, f.Profile)
	}
	if f.Integration != "" {
		clause += " AND integration = ?"
		args = append(args, f.Integration)
	}
	if f.BeforeID > 0 {
		clause += " AND id < ?"
		args = append(args, f.BeforeID)
	}
	return clause, args
}

// query is the SELECT behind Events.
func (f EventFilter) query() (string, []any) {
	where, args := f.where()
	query := "SELECT id, at, profile, integration, step, kind, summary, detail_json FROM events" +
		where + " ORDER BY id DESC"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return query, args
}

// countQuery is the SELECT behind CountEvents.
func (f EventFilter) countQuery() (string, []any) {
	where, args := f.where()
	return "SELECT count(*) FROM events" + where, args
}

// Events returns the matching audit events, newest first.
func (o ops) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	var out []Event
	err := o.EachEvent(ctx, f, func(e Event) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// EachEvent calls fn with each matching audit event, newest first, as it
// reads them, so a caller can write out a log of any length in constant
// memory. An error from fn stops the reading and is returned as is.
func (o ops) EachEvent(ctx context.Context, f EventFilter, fn func(Event) error) error {
	query, args := f.query()
	rows, err := o.q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	for rows.Next() {
		var e Event
		var at sql.NullInt64
		var step sql.NullString
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.Profile, &e.Integration, &step, &e.Kind, &e.Summary, &detail); err != nil {
			rows.Close()
			return fmt.Errorf("read events: %w", err)
		}
		e.At, e.Step = fromMillis(at), step.String
		if e.Detail, err = decodeMap(detail); err != nil {
			rows.Close()
			return fmt.Errorf("read event %d: %w", e.ID, err)
		}
		if err := fn(e); err != nil {
			rows.Close()
			return err
		}
	}
	if err := closeRows(rows); err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	return nil
}

// CountEvents counts the matching audit events; Limit is ignored.
func (o ops) CountEvents(ctx context.Context, f EventFilter) (int, error) {
	query, args := f.countQuery()
	var n int
	if err := o.q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}
