package app

import (
	"context"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// HistoryEntry is one audit log entry as `patchbay history` shows it. It
// never holds a secret: events carry at most a secret's last 4 characters.
type HistoryEntry struct {
	ID          int64             `json:"id"`
	At          time.Time         `json:"at"`
	Integration string            `json:"integration"` // "" for profile-wide events
	Step        string            `json:"step"`        // "" when not about one step
	Kind        string            `json:"kind"`
	Summary     string            `json:"summary"`
	Detail      map[string]string `json:"detail"`
}

// HistoryReport is `patchbay history --json`.
type HistoryReport struct {
	Profile     string         `json:"profile"`
	Integration string         `json:"integration"` // "" when every integration is listed
	Events      []HistoryEntry `json:"events"`      // newest first
}

// History returns the audit log of the profile, or of one integration,
// newest first; limit <= 0 returns it all. It reads SQLite only.
func (s *Service) History(ctx context.Context, integration string, limit int) (HistoryReport, error) {
	r := HistoryReport{Profile: s.Profile, Integration: integration, Events: []HistoryEntry{}}
	err := s.EachHistoryEntry(ctx, integration, limit, func(e HistoryEntry) error {
		r.Events = append(r.Events, e)
		return nil
	})
	if err != nil {
		return HistoryReport{}, err
	}
	return r, nil
}

// EachHistoryEntry calls fn with each entry History would return, as it
// reads them from one read snapshot, so a log of any length is written out in
// constant memory. An error from fn stops the reading and is returned.
func (s *Service) EachHistoryEntry(ctx context.Context, integration string, limit int, fn func(HistoryEntry) error) error {
	if integration != "" {
		if _, _, err := lookup(integration, ""); err != nil {
			return err
		}
	}
	filter := store.EventFilter{Profile: s.Profile, Integration: integration, Limit: limit}
	return s.DB.Read(ctx, func(tx *store.Tx) error {
		return tx.EachEvent(ctx, filter, func(e store.Event) error {
			detail := e.Detail
			if detail == nil {
				detail = map[string]string{}
			}
			return fn(HistoryEntry{
				ID: e.ID, At: e.At.UTC(), Integration: e.Integration, Step: e.Step,
				Kind: e.Kind, Summary: e.Summary, Detail: detail,
			})
		})
	})
}
