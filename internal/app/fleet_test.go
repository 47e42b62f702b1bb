package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// keyLog records when each Lever credential was sent, as the client
// handed requests to the network: what Lever's per-key token bucket sees.
type keyLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	sent map[string][]time.Time
}

func (l *keyLog) RoundTrip(r *http.Request) (*http.Response, error) {
	if user, _, ok := r.BasicAuth(); ok {
		l.mu.Lock()
		l.sent[user] = append(l.sent[user], time.Now())
		l.mu.Unlock()
	}
	return l.next.RoundTrip(r)
}

// worstBucketExcess is how far the busiest window of one key's requests
// goes past a token bucket of rate per second and burst (0 or less: the
// bucket was never exceeded). Every window [t_i, t_j] may hold at most
// burst + rate·(t_j − t_i) requests.
func worstBucketExcess(times []time.Time, rate, burst float64) float64 {
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	worst := -burst
	for i := range times {
		for j := i; j < len(times); j++ {
			allowed := burst + rate*times[j].Sub(times[i]).Seconds()
			worst = max(worst, float64(j-i+1)-allowed)
		}
	}
	return worst
}

// fleetEnv is n profiles, each with certn-lever set up with its own Lever
// key, sharing one database, one secrets store and one Vendors.
func fleetEnv(tb testing.TB, n int) (*testEnv, []*Service, *keyLog) {
	tb.Helper()
	e := newLiveEnv(tb)
	var svcs []*Service
	for i := range n {
		e.svc = &Service{DB: e.db, Secrets: e.mem, Profile: fmt.Sprintf("customer-%02d", i), Vendors: newLiveVendors(e.srv), Now: e.svc.Now}
		liveCertnLever(tb, e, fmt.Sprintf("lever-key-of-customer-%02d-0123", i))
		svcs = append(svcs, e.svc)
	}
	log := &keyLog{next: http.DefaultTransport, sent: map[string][]time.Time{}}
	shared := newLiveVendors(e.srv)
	shared.HTTP = &http.Client{Transport: log}
	for _, s := range svcs {
		s.Vendors = shared
	}
	return e, svcs, log
}

// Thirty customers checked at once: every profile's checks answer, and no
// key ever sends faster than Lever's bucket (10/s, bursts of 20) allows.
func TestRefreshProfilesKeepsEachKeyWithinLeverLimit(t *testing.T) {
	const n = 30
	e, svcs, log := fleetEnv(t, n)
	e.srv.SetLatency(20 * time.Millisecond)
	sums := RefreshProfiles(context.Background(), svcs, RefreshOptions{}, 0)
	for i, sum := range sums {
		if sum.Err != nil || len(sum.Results) == 0 || sum.Attention() != 0 || sum.Dropped != 0 {
			t.Fatalf("profile %s: %+v", svcs[i].Profile, sum)
		}
		stored, err := e.db.Checks(context.Background(), svcs[i].Profile, "certn-lever")
		if err != nil || len(stored) != len(sum.Results) {
			t.Fatalf("profile %s: %d stored results, want %d (%v)", svcs[i].Profile, len(stored), len(sum.Results), err)
		}
	}
	if len(log.sent) != n {
		t.Fatalf("%d Lever keys were used, want %d", len(log.sent), n)
	}
	for key, times := range log.sent {
		// A millisecond of slack per window for the clock reads.
		if excess := worstBucketExcess(times, 10, 20.01); excess > 0 {
			t.Errorf("key %s…: %d requests exceed Lever's bucket by %.2f", key[:20], len(times), excess)
		}
	}
}

// A check starts only with a slot of the overall bound: while every slot
// is taken (by other profiles' checks), no check of this profile runs.
func TestRefreshOverallBoundHoldsChecks(t *testing.T) {
	_, svcs, log := fleetEnv(t, 1)
	gate := make(chan struct{}, 1)
	gate <- struct{}{} // the only slot, taken
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	sum, _ := NewRefresher(svcs[0], RefreshOptions{Overall: gate}).RefreshAll(ctx)
	if len(sum.Results) != 0 || len(log.sent) != 0 {
		t.Fatalf("checks ran without a slot: %d results, %d keys used", len(sum.Results), len(log.sent))
	}
	<-gate // the slot is given back
	sum, err := NewRefresher(svcs[0], RefreshOptions{Overall: gate}).RefreshAll(context.Background())
	if err != nil || len(sum.Results) == 0 {
		t.Fatalf("with a free slot: %v, %+v", err, sum)
	}
	if len(gate) != 0 {
		t.Fatal("a slot of the overall bound was not given back")
	}
}

// BenchmarkLiveCheck30ProfilesOwnLeverKeys300ms: 30 profiles, each with
// certn-lever set up and its own Lever key, refreshed at once while every
// stand-in answers after 300 ms. Reported: median and worst wall time of
// the whole fleet refresh, and the checks it ran.
func BenchmarkLiveCheck30ProfilesOwnLeverKeys300ms(b *testing.B) {
	e, svcs, _ := fleetEnv(b, 30)
	e.srv.SetLatency(300 * time.Millisecond)
	var took []time.Duration
	checks := 0
	for b.Loop() {
		// Fresh limiters each round: one fleet refresh is timed, not the
		// buckets refilling between back-to-back ones.
		shared := newLiveVendors(e.srv)
		for _, s := range svcs {
			s.Vendors = shared
		}
		start := time.Now()
		sums := RefreshProfiles(context.Background(), svcs, RefreshOptions{}, 0)
		took = append(took, time.Since(start))
		checks = 0
		for _, s := range sums {
			if s.Err != nil || s.Dropped != 0 {
				b.Fatalf("%+v", s)
			}
			checks += len(s.Results)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "ms-max")
	b.ReportMetric(float64(checks), "checks")
}
