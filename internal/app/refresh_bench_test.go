package app

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkRefreshAllChecks300ms refreshes a profile whose three
// integrations are set up (every check patchbay has: 10 of them today, 6
// waiting on the stand-ins; the count is reported as "checks") while every
// stand-in answers after 300 ms. Run one
// after the other, the vendor checks alone would take 2.1 s; run
// concurrently within the per-vendor bounds, a refresh costs about one
// answer's latency. Reported: median and worst wall time of a refresh.
func BenchmarkRefreshAllChecks300ms(b *testing.B) {
	e := newLiveEnv(b)
	liveCompleteAll(b, e)
	e.srv.SetLatency(300 * time.Millisecond)
	ctx := context.Background()
	var took []time.Duration
	checks := 0
	b.ResetTimer()
	for b.Loop() {
		// Fresh clients each time: the benchmark times one refresh, not
		// patchbay's own rate limiters refilling between back-to-back ones.
		e.svc.Vendors = newLiveVendors(e.srv)
		r := NewRefresher(e.svc, RefreshOptions{})
		start := time.Now()
		sum, err := r.RefreshAll(ctx)
		took = append(took, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if sum.Attention() != 0 || len(sum.Skipped) != 0 {
			b.Fatalf("refresh: %+v", sum)
		}
		checks = len(sum.Results)
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "ms-max")
	b.ReportMetric(float64(checks), "checks")
}
