package steps

import (
	"fmt"
	"slices"
	"time"
)

// StepProgress is one step's standing, as the dashboard and status --json
// show it.
type StepProgress struct {
	StepID string
	Status Status
	// Proof is the recorded proof of a done step, kept for a step that
	// needs a re-run (it was proven once); "" for a step still to do.
	Proof       Proof
	CompletedAt time.Time
}

// Progress is an integration's standing.
type Progress struct {
	Integration string
	Steps       []StepProgress // in the integration's order
	Done        int
	Total       int
	// Next is the first step, in order, that is not done ("" when all are).
	Next  string
	State State
	// Attention lists why the state is needs_attention: steps that need a
	// re-run, then the caller's flags, in that order.
	Attention []string
	// Unverified lists done steps whose live check could not reach the
	// vendor; the dashboard offers to verify them later. They count as done.
	Unverified []string
}

// Evaluate computes an integration's progress from its step records (by
// step ID; records of steps no longer in the catalog are ignored) and the
// caller's attention flags: things only the caller can know, such as an
// expired secret or a failed live check, each worded for the admin. Any
// needs_rerun step or any flag makes the state needs_attention, which wins
// over every other state; otherwise all done is complete, none is
// not_started, and anything between is in_progress.
func Evaluate(in Integration, records map[string]StepRecord, attention []string) Progress {
	p := Progress{Integration: in.ID, Total: len(in.Steps)}
	for _, s := range in.Steps {
		r, ok := records[s.ID]
		sp := StepProgress{StepID: s.ID, Status: StatusTodo}
		if ok {
			switch r.Status {
			case StatusDone:
				sp.Status, sp.Proof, sp.CompletedAt = StatusDone, r.Proof, r.CompletedAt
				p.Done++
				if r.Proof == ProofUnverified {
					p.Unverified = append(p.Unverified, s.ID)
				}
			case StatusNeedsRerun:
				sp.Status, sp.Proof, sp.CompletedAt = StatusNeedsRerun, r.Proof, r.CompletedAt
				p.Attention = append(p.Attention, fmt.Sprintf("%s needs a re-run", s.ID))
			}
			// Any other status (todo, or a value this version does not
			// know) is treated as still to do.
		}
		if sp.Status != StatusDone && p.Next == "" {
			p.Next = s.ID
		}
		p.Steps = append(p.Steps, sp)
	}
	p.Attention = append(p.Attention, attention...)
	switch {
	case len(p.Attention) > 0:
		p.State = StateNeedsAttention
	case p.Done == p.Total:
		p.State = StateComplete
	case p.Done == 0:
		p.State = StateNotStarted
	default:
		p.State = StateInProgress
	}
	return p
}

// RerunAfterRotate returns, in order, the steps that handed the secret to
// another system: after a rotation each must be done again, so the other
// system gets the new secret. The step that creates the secret is not in
// the list: the rotation itself re-runs it (the new secret is entered and
// verified there before it replaces the old one).
func RerunAfterRotate(in Integration, secretKey string) []string {
	var ids []string
	for _, s := range in.Steps {
		if slices.Contains(s.HandsOn, secretKey) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// RerunAfterChange returns, in order, the done steps that depend (DependsOn)
// on an answer of stepID that differs between old and new; e.g. a new
// source of truth after charthop-options was done returns
// charthop-options. Steps not done (todo, or already needs_rerun) are left
// out: there is nothing to redo yet, or they are already marked.
func RerunAfterChange(in Integration, stepID string, old, new map[string]string, records map[string]StepRecord) []string {
	var ids []string
	for _, s := range in.Steps {
		if s.ID == stepID || records[s.ID].Status != StatusDone {
			continue
		}
		for _, d := range s.DependsOn {
			if d.Step == stepID && old[d.Field] != new[d.Field] {
				ids = append(ids, s.ID)
				break
			}
		}
	}
	return ids
}

// RerunReason returns why a change to stepID marks dependent as needing a
// re-run, "" when it does not depend on it.
func RerunReason(in Integration, dependent, stepID string) string {
	s, ok := in.Step(dependent)
	if !ok {
		return ""
	}
	for _, d := range s.DependsOn {
		if d.Step == stepID {
			return d.Reason
		}
	}
	return ""
}
