package app

import (
	"context"
	"sync"
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
