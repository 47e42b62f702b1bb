package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Step statuses as stored; they are the values of steps.Status.
const (
	StatusTodo       = "todo"
	StatusDone       = "done"
	StatusNeedsRerun = "needs_rerun"
)

// StepState is what the store remembers of one step.
type StepState struct {
	Integration string
	StepID      string
	Status      string // StatusTodo, StatusDone or StatusNeedsRerun
	Proof       string // steps.Proof values; "" before the step was ever completed
	// Values are the non-secret answers; never nil.
	Values      map[string]string
	CompletedAt time.Time // zero when the step has not been completed
	UpdatedAt   time.Time
}

// StepRun is one run of a step, kept as history.
type StepRun struct {
	ID          int64
	Profile     string
	Integration string
	StepID      string
	StartedAt   time.Time
	FinishedAt  time.Time
	Outcome     string // e.g. "done", "failed", "cancelled"
	Proof       string
	Detail      string // plain words, never a secret
}

// StepCommit is everything one completed (or saved) step writes. CommitStep
// applies it in a single transaction: all of it lands, or none of it.
type StepCommit struct {
	Profile     string
	Integration string
	StepID      string
	// Status is the step's new status, normally StatusDone; StatusTodo saves
	// answers without completing the step.
	Status string
	Proof  string
	// Values are the non-secret answers. The caller must keep secrets out;
	// as a guard, any key listed in SecretKeys is refused.
	Values     map[string]string
	SecretKeys []string
	// StartedAt and FinishedAt time the run; a zero FinishedAt means now and
	// a zero StartedAt means FinishedAt. CompletedAt becomes FinishedAt when
	// Status is StatusDone.
	StartedAt  time.Time
	FinishedAt time.Time
	// Outcome and Detail go to the step_runs history; Outcome defaults to Status.
	Outcome string
	Detail  string
	// Secrets are metadata rows to upsert (the step created or rotated them).
	// Profile and Integration default to the commit's and must match it.
	Secrets []SecretMeta
	// MarkRerun lists other steps of the same integration that must be run
	// again (they handed on a secret this step replaced). Only steps that are
	// done change; a step never done stays to do. RerunReason is recorded.
	MarkRerun   []string
	RerunReason string
	// Events are the audit events to record. Profile, Integration, Step and
	// At default to the commit's. When empty, one EventStepRun is recorded.
	Events []Event
}

// CommitStep writes a step's outcome in one transaction: the step state, a
// step_runs row, the secret metadata, the re-run marks and the audit events.
func (o ops) CommitStep(ctx context.Context, c StepCommit) error {
	if err := c.normalize(o.nowUTC()); err != nil {
		return fmt.Errorf("commit step %s/%s: %w", c.Integration, c.StepID, err)
	}
	err := o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, c.Profile); err != nil {
			return err
		}
		values, err := encodeMap(c.Values)
		if err != nil {
			return err
		}
		completed := sql.NullInt64{}
		if c.Status == StatusDone {
			completed = millis(c.FinishedAt)
		}
		_, err = o.q.ExecContext(ctx, `INSERT INTO step_state
			(profile, integration, step, status, proof, values_json, completed_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (profile, integration, step) DO UPDATE SET
				status = excluded.status, proof = excluded.proof, values_json = excluded.values_json,
				completed_at = excluded.completed_at, updated_at = excluded.updated_at`,
			c.Profile, c.Integration, c.StepID, c.Status, c.Proof, values, completed, c.FinishedAt.UnixMilli())
		if err != nil {
			return fmt.Errorf("save step state: %w", err)
		}
		if err := o.addStepRun(ctx, StepRun{
			Profile: c.Profile, Integration: c.Integration, StepID: c.StepID,
			StartedAt: c.StartedAt, FinishedAt: c.FinishedAt,
			Outcome: c.Outcome, Proof: c.Proof, Detail: c.Detail,
		}); err != nil {
			return err
		}
		for _, s := range c.Secrets {
			if err := o.upsertSecret(ctx, s); err != nil {
				return err
			}
		}
		for _, e := range c.Events {
			if _, err := o.addEvent(ctx, e); err != nil {
				return err
			}
		}
		// After the commit's own events, so the log reads cause then effect.
		return o.markNeedsRerun(ctx, c.Profile, c.Integration, c.MarkRerun, c.RerunReason, c.FinishedAt)
	})
	if err != nil {
		return fmt.Errorf("commit step %s/%s: %w", c.Integration, c.StepID, err)
	}
	return nil
}

// normalize fills defaults and refuses a commit before anything is written.
func (c *StepCommit) normalize(now time.Time) error {
	// The commit is a copy, but its slices are the caller's: clone before filling defaults.
	c.Secrets = slices.Clone(c.Secrets)
	c.Events = slices.Clone(c.Events)
	if err := checkProfileName(c.Profile); err != nil {
		return err
	}
	if err := requireNonEmpty("integration", c.Integration, "step", c.StepID); err != nil {
		return err
	}
	if c.Status == "" {
		c.Status = StatusDone
	}
	if err := checkStatus(c.Status); err != nil {
		return err
	}
	for _, k := range c.SecretKeys {
		if _, ok := c.Values[k]; ok {
			return fmt.Errorf("%w: answer %q is a secret and belongs in the secrets store", ErrSecretInValues, k)
		}
		for _, e := range c.Events {
			if _, ok := e.Detail[k]; ok {
				return fmt.Errorf("%w: event detail %q is a secret", ErrSecretInValues, k)
			}
		}
	}
	if c.FinishedAt.IsZero() {
		c.FinishedAt = now
	}
	if c.StartedAt.IsZero() {
		c.StartedAt = c.FinishedAt
	}
	if c.Outcome == "" {
		c.Outcome = c.Status
	}
	for i := range c.Secrets {
		s := &c.Secrets[i]
		if s.Profile == "" {
			s.Profile = c.Profile
		}
		if s.Integration == "" {
			s.Integration = c.Integration
		}
		if s.Profile != c.Profile || s.Integration != c.Integration {
			return fmt.Errorf("%w: secret %s/%s/%s is outside step %s/%s/%s",
				ErrInvalid, s.Profile, s.Integration, s.Key, c.Profile, c.Integration, c.StepID)
		}
		if s.CreatedAt.IsZero() {
			s.CreatedAt = c.FinishedAt
		}
		if err := s.validate(); err != nil {
			return err
		}
	}
	if slices.Contains(c.MarkRerun, c.StepID) {
		return fmt.Errorf("%w: step %s cannot mark itself as needing a re-run", ErrInvalid, c.StepID)
	}
	if len(c.Events) == 0 {
		summary := fmt.Sprintf("Step %s completed", c.StepID)
		if c.Proof != "" {
			summary += " (" + c.Proof + ")"
		}
		if c.Status != StatusDone {
			summary = fmt.Sprintf("Step %s saved as %s", c.StepID, c.Status)
		}
		c.Events = []Event{{Kind: EventStepRun, Summary: summary,
			Detail: map[string]string{"status": c.Status, "proof": c.Proof, "outcome": c.Outcome}}}
	}
	for i := range c.Events {
		e := &c.Events[i]
		if e.Profile == "" {
			e.Profile = c.Profile
		}
		if e.Integration == "" {
			e.Integration = c.Integration
		}
		if e.Step == "" {
			e.Step = c.StepID
		}
		if e.At.IsZero() {
			e.At = c.FinishedAt
		}
		if err := e.validate(); err != nil {
			return err
		}
	}
	return nil
}

func checkStatus(s string) error {
	switch s {
	case StatusTodo, StatusDone, StatusNeedsRerun:
		return nil
	}
	return fmt.Errorf("%w: step status %q (want %s, %s or %s)", ErrInvalid, s, StatusTodo, StatusDone, StatusNeedsRerun)
}

const stepStateColumns = "integration, step, status, proof, values_json, completed_at, updated_at"

func scanStepState(rows *sql.Rows) (StepState, error) {
	var s StepState
	var values string
	var completed, updated sql.NullInt64
	if err := rows.Scan(&s.Integration, &s.StepID, &s.Status, &s.Proof, &values, &completed, &updated); err != nil {
		return StepState{}, err
	}
	var err error
	if s.Values, err = decodeMap(values); err != nil {
		return StepState{}, err
	}
	s.CompletedAt = fromMillis(completed)
	s.UpdatedAt = fromMillis(updated)
	return s, nil
}

// StepStates returns the remembered state of an integration's steps, by step
// ID. Steps never touched are absent (they are to do).
func (o ops) StepStates(ctx context.Context, profile, integration string) (map[string]StepState, error) {
	rows, err := o.q.QueryContext(ctx, "SELECT "+stepStateColumns+
		" FROM step_state WHERE profile = ? AND integration = ?", profile, integration)
	if err != nil {
		return nil, fmt.Errorf("read steps of %s: %w", integration, err)
	}
	out := map[string]StepState{}
	for rows.Next() {
		s, err := scanStepState(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read steps of %s: %w", integration, err)
		}
		out[s.StepID] = s
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read steps of %s: %w", integration, err)
	}
	return out, nil
}

// AllStepStates returns the state of every step of a profile, by integration
// then step ID: one indexed query, for the dashboard.
func (o ops) AllStepStates(ctx context.Context, profile string) (map[string]map[string]StepState, error) {
	rows, err := o.q.QueryContext(ctx, "SELECT "+stepStateColumns+" FROM step_state WHERE profile = ?", profile)
	if err != nil {
		return nil, fmt.Errorf("read steps of profile %q: %w", profile, err)
	}
	out := map[string]map[string]StepState{}
	for rows.Next() {
		s, err := scanStepState(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read steps of profile %q: %w", profile, err)
		}
		if out[s.Integration] == nil {
			out[s.Integration] = map[string]StepState{}
		}
		out[s.Integration][s.StepID] = s
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read steps of profile %q: %w", profile, err)
	}
	return out, nil
}

// MarkNeedsRerun marks the given steps that are done as needing a re-run and
// records why. Steps not done are left alone. An event is recorded when at
// least one step changed.
func (o ops) MarkNeedsRerun(ctx context.Context, profile, integration string, steps []string, reason string) error {
	if err := requireNonEmpty("integration", integration); err != nil {
		return err
	}
	err := o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, profile); err != nil {
			return err
		}
		return o.markNeedsRerun(ctx, profile, integration, steps, reason, o.nowUTC())
	})
	if err != nil {
		return fmt.Errorf("mark steps of %s for a re-run: %w", integration, err)
	}
	return nil
}

func (o ops) markNeedsRerun(ctx context.Context, profile, integration string, steps []string, reason string, at time.Time) error {
	if len(steps) == 0 {
		return nil
	}
	args := []any{at.UnixMilli(), profile, integration}
	for _, s := range steps {
		args = append(args, s)
	}
	args = append(args, StatusDone)
	changed, err := o.returningSteps(ctx, `UPDATE step_state SET status = '`+StatusNeedsRerun+`', updated_at = ?
		WHERE profile = ? AND integration = ? AND step IN (`+inList(len(steps))+`) AND status = ?
		RETURNING step`, args...)
	if err != nil || len(changed) == 0 {
		return err
	}
	summary := "Needs a re-run: " + strings.Join(changed, ", ")
	if reason != "" {
		summary += " (" + reason + ")"
	}
	_, err = o.addEvent(ctx, Event{At: at, Profile: profile, Integration: integration, Kind: EventNeedsRerun,
		Summary: summary, Detail: map[string]string{"steps": strings.Join(changed, ","), "reason": reason}})
	return err
}

// VerifyProof raises a done step's proof from "unverified" to "verified"
// once a live check accepted what it recorded, with an event saying so. A
// step in any other state or with any other proof is left alone; the
// result reports whether the step changed.
func (o ops) VerifyProof(ctx context.Context, profile, integration, step, why string, at time.Time) (bool, error) {
	changed, err := o.returningSteps(ctx, `UPDATE step_state SET proof = 'verified', updated_at = ?
		WHERE profile = ? AND integration = ? AND step = ? AND status = ? AND proof = 'unverified'
		RETURNING step`, at.UnixMilli(), profile, integration, step, StatusDone)
	if err != nil || len(changed) == 0 {
		return false, err
	}
	_, err = o.addEvent(ctx, Event{At: at, Profile: profile, Integration: integration, Step: step, Kind: EventVerification,
		Summary: "unverified → verified: " + why, Detail: map[string]string{"from": "unverified", "to": "verified", "reason": why}})
	return err == nil, err
}

// ResetSteps forgets the progress of the given steps, or of every step of
// the integration when steps is nil (an empty, non-nil list resets nothing). Secret metadata is kept: the secrets are
// still in their store, and removing them is a separate, explicit act. An
// event is recorded when anything was forgotten.
func (o ops) ResetSteps(ctx context.Context, profile, integration string, steps []string) error {
	if err := requireNonEmpty("integration", integration); err != nil {
		return err
	}
	err := o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, profile); err != nil {
			return err
		}
		query := "DELETE FROM step_state WHERE profile = ? AND integration = ?"
		args := []any{profile, integration}
		if steps != nil {
			if len(steps) == 0 {
				return nil
			}
			query += " AND step IN (" + inList(len(steps)) + ")"
			for _, s := range steps {
				args = append(args, s)
			}
		}
		removed, err := o.returningSteps(ctx, query+" RETURNING step", args...)
		if err != nil || len(removed) == 0 {
			return err
		}
		summary := "Reset " + integration
		if steps != nil {
			summary += ": " + strings.Join(removed, ", ")
		}
		_, err = o.addEvent(ctx, Event{At: o.nowUTC(), Profile: profile, Integration: integration, Kind: EventReset,
			Summary: summary, Detail: map[string]string{"steps": strings.Join(removed, ",")}})
		return err
	})
	if err != nil {
		return fmt.Errorf("reset steps of %s: %w", integration, err)
	}
	return nil
}

// returningSteps runs a statement with RETURNING step and collects the
// steps, sorted (SQLite does not order RETURNING rows).
func (o ops) returningSteps(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := o.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// AddStepRun records a run that changed no state, such as a failed attempt.
func (o ops) AddStepRun(ctx context.Context, r StepRun) error {
	err := o.write(ctx, func(o ops) error {
		if err := o.ensureProfile(ctx, r.Profile); err != nil {
			return err
		}
		if r.FinishedAt.IsZero() {
			r.FinishedAt = o.nowUTC()
		}
		if r.StartedAt.IsZero() {
			r.StartedAt = r.FinishedAt
		}
		return o.addStepRun(ctx, r)
	})
	if err != nil {
		return fmt.Errorf("record run of %s/%s: %w", r.Integration, r.StepID, err)
	}
	return nil
}

func (o ops) addStepRun(ctx context.Context, r StepRun) error {
	if err := requireNonEmpty("integration", r.Integration, "step", r.StepID, "outcome", r.Outcome); err != nil {
		return err
	}
	_, err := o.q.ExecContext(ctx, `INSERT INTO step_runs
		(profile, integration, step, started_at, finished_at, outcome, proof, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Profile, r.Integration, r.StepID, r.StartedAt.UnixMilli(), r.FinishedAt.UnixMilli(), r.Outcome, r.Proof, r.Detail)
	if err != nil {
		return fmt.Errorf("record step run: %w", err)
	}
	return nil
}

// StepRuns returns the runs of one step (or of every step of the integration
// when step is ""), newest first; limit <= 0 means all.
func (o ops) StepRuns(ctx context.Context, profile, integration, step string, limit int) ([]StepRun, error) {
	query := `SELECT id, profile, integration, step, started_at, finished_at, outcome, proof, detail
		FROM step_runs WHERE profile = ? AND integration = ?`
	args := []any{profile, integration}
	if step != "" {
		query += " AND step = ?"
		args = append(args, step)
	}
	query += " ORDER BY id DESC"
	if limit > 0 {
		query += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := o.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read runs of %s: %w", integration, err)
	}
	var out []StepRun
	for rows.Next() {
		var r StepRun
		var started, finished sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Profile, &r.Integration, &r.StepID, &started, &finished,
			&r.Outcome, &r.Proof, &r.Detail); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read runs of %s: %w", integration, err)
		}
		r.StartedAt, r.FinishedAt = fromMillis(started), fromMillis(finished)
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("read runs of %s: %w", integration, err)
	}
	return out, nil
}
