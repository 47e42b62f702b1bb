package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
)

// DefaultFleetConcurrency bounds the checks running at once across every
// profile of a fleet refresh. Vendor limits are per key and each profile
// has its own keys, so the per-key bounds (each refresher's per-vendor
// bound and the rate limiter Vendors shares per key) do the real limiting;
// this one keeps a large fleet from opening hundreds of connections at once.
const DefaultFleetConcurrency = 64

// RefreshProfiles runs one refresh of every service's profile at once
// (`status --all-profiles --live`) and waits for them. The services should
// share one Vendors, so that two profiles holding the same key share its
// rate limiter. overall bounds the checks running at once across all
// profiles (DefaultFleetConcurrency when 0). Summaries come back in the
// order of svcs; a planning error is in its summary's Err.
func RefreshProfiles(ctx context.Context, svcs []*Service, opts RefreshOptions, overall int) []Summary {
	if overall <= 0 {
		overall = DefaultFleetConcurrency
	}
	opts.Overall = make(chan struct{}, overall)
	sums := make([]Summary, len(svcs))
	var wg sync.WaitGroup
	for i, svc := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum, err := NewRefresher(svc, opts).RefreshAll(ctx)
			if err != nil && sum.Err == nil {
				sum.Err = err
			}
			sums[i] = sum
		}()
	}
	wg.Wait()
	return sums
}

// ProfileSummary is one profile at a glance: what `patchbay profiles`, the
// home screen's profiles pane and the fleet page show.
type ProfileSummary struct {
	Name           string                 `json:"name"`
	SecretsBackend string                 `json:"secrets_backend"`
	States         map[string]steps.State `json:"states"`
	// Worst is the state that most needs the admin: needs_attention, then
	// in_progress, not_started, complete.
	Worst         steps.State `json:"worst"`
	Attention     int         `json:"attention"`
	Unchecked     int         `json:"unchecked"`
	SoonestExpiry *time.Time  `json:"soonest_expiry"`
	LastLiveCheck *time.Time  `json:"last_live_check"`
}

// stateRank orders states by how much they need the admin.
func stateRank(s steps.State) int {
	switch s {
	case steps.StateNeedsAttention:
		return 3
	case steps.StateInProgress:
		return 2
	case steps.StateNotStarted:
		return 1
	}
	return 0
}

// Summarize sums up one profile's status report.
func Summarize(r StatusReport) ProfileSummary {
	sum := ProfileSummary{Name: r.Profile, SecretsBackend: r.SecretsBackend, States: map[string]steps.State{},
		Unchecked: r.Unchecked(), Worst: steps.StateComplete}
	for _, in := range r.Integrations {
		sum.States[in.ID] = in.State
		if stateRank(in.State) > stateRank(sum.Worst) {
			sum.Worst = in.State
		}
		sum.Attention += len(in.Attention)
		for _, sec := range in.Secrets {
			if sec.ExpiresAt != nil && (sum.SoonestExpiry == nil || sec.ExpiresAt.Before(*sum.SoonestExpiry)) {
				t := *sec.ExpiresAt
				sum.SoonestExpiry = &t
			}
		}
		for _, c := range in.Checks {
			if sum.LastLiveCheck == nil || c.CheckedAt.After(*sum.LastLiveCheck) {
				t := c.CheckedAt
				sum.LastLiveCheck = &t
			}
		}
	}
	return sum
}

// Profiles sums up every profile of the database, from what SQLite knows:
// no secrets store or vendor is asked.
func (s *Service) Profiles(ctx context.Context) ([]ProfileSummary, error) {
	profiles, err := s.DB.ListProfiles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ProfileSummary, 0, len(profiles))
	for _, p := range profiles {
		ov, err := s.overviewOf(ctx, p.Name, 0)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", p.Name, err)
		}
		out = append(out, Summarize(StatusFrom(ov, s.now())))
	}
	return out, nil
}
