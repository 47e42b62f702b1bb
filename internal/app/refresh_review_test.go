package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// staleKeyChecker holds every Lever call made with one key until released,
// then answers it 401, as Lever does once that key is revoked; calls with
// any other key go to the stand-ins.
type staleKeyChecker struct {
	Checker
	key     string
	held    chan struct{}
	release chan struct{}
}

func (s *staleKeyChecker) hold(key string) bool {
	if key != s.key {
		return false
	}
	s.held <- struct{}{}
	<-s.release
	return true
}

func (s *staleKeyChecker) LeverProbe(ctx context.Context, region, key string, endpoints []string) ([]string, error) {
	if s.hold(key) {
		return nil, fmt.Errorf("lever probe: %w", httpx.ErrUnauthorized)
	}
	return s.Checker.LeverProbe(ctx, region, key, endpoints)
}

func (s *staleKeyChecker) LeverStages(ctx context.Context, region, key string) ([]string, error) {
	if s.hold(key) {
		return nil, fmt.Errorf("lever stages: %w", httpx.ErrUnauthorized)
	}
	return s.Checker.LeverStages(ctx, region, key)
}

func (s *staleKeyChecker) LeverTags(ctx context.Context, region, key string) (map[string]int, error) {
	if s.hold(key) {
		return nil, fmt.Errorf("lever tags: %w", httpx.ErrUnauthorized)
	}
	return s.Checker.LeverTags(ctx, region, key)
}

// A refresh that read a key before it was replaced must not store what the
// vendor says of the old key: the new key would read "unauthorized" and the
// integration need attention until the next refresh.
func TestRefreshDropsResultsOfAReplacedSecret(t *testing.T) {
	const newKey = "lever-certn-key-replaced-9876"
	cases := []struct {
		name    string
		replace func(t *testing.T, e *testEnv)
	}{
		{"rotated", func(t *testing.T, e *testEnv) {
			if _, err := e.svc.Rotate(context.Background(), RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: newKey}); err != nil {
				t.Fatalf("rotate: %v", err)
			}
		}},
		{"re-entered", func(t *testing.T, e *testEnv) {
			liveRun(t, e, "certn-lever", "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": newKey})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newLiveEnv(t)
			liveCertnLever(t, e, liveCertnKey)
			gate := &staleKeyChecker{Checker: e.svc.Vendors, key: liveCertnKey, held: make(chan struct{}), release: make(chan struct{})}
			e.svc.Vendors = gate
			// The clock moves while checks read it.
			var clockMu sync.Mutex
			clock := e.now
			e.svc.Now = func() time.Time {
				clockMu.Lock()
				defer clockMu.Unlock()
				return clock
			}
			r := NewRefresher(e.svc, RefreshOptions{CheckTimeout: time.Minute})

			type done struct {
				sum Summary
				err error
			}
			finished := make(chan done, 1)
			go func() {
				sum, err := r.RefreshAll(context.Background())
				finished <- done{sum, err}
			}()
			// The key check, the stage check and the tag check have all
			// read the old key and are waiting on Lever.
			for range 3 {
				<-gate.held
			}
			clockMu.Lock()
			clock = clock.Add(time.Hour)
			clockMu.Unlock()
			tc.replace(t, e)
			close(gate.release)
			d := <-finished
			if d.err != nil {
				t.Fatal(d.err)
			}

			select {
			case <-r.trigger:
			default:
				t.Error("no refresh asked for to check the new key")
			}
			if d.sum.Dropped != 3 {
				t.Errorf("dropped %d, want the 3 answers about the old key: %+v", d.sum.Dropped, d.sum)
			}
			for _, res := range d.sum.Results {
				if res.Result == ResultUnauthorized {
					t.Errorf("%s reported %s about the replaced key", res.Name, res.Result)
				}
			}
			if got := findOutcome(t, d.sum, "certn-lever", SecretCheckName("signing_token")); got.Result != ResultValid {
				t.Errorf("signing_token, which did not change: %+v", got)
			}
			for _, name := range []string{SecretCheckName("api_key"), CheckTriggerStage} {
				if c := storedCheck(t, e, "certn-lever", name); c.Result != ResultValid {
					t.Errorf("stored %s = %s (%s): the old key's answer overwrote the new key's", name, c.Result, c.Detail)
				}
			}
			// What remains to do is hand the new key on (certn-credentials);
			// no check result may ask for attention.
			iv := e.integration(t, "certn-lever")
			for _, a := range iv.Attention {
				if strings.HasPrefix(a, "secret.") || strings.HasPrefix(a, "lever.") {
					t.Errorf("attention %q", a)
				}
			}
			for _, s := range iv.Secrets {
				if s.Key == "api_key" && (s.Live != ResultValid || s.Last4 != Last4(newKey)) {
					t.Errorf("api_key live %s, last4 %s", s.Live, s.Last4)
				}
			}
		})
	}
}

// A secret removed (reset) while its check was in flight is not given a
// result either.
func TestRefreshDropsResultsOfARemovedSecret(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	gate := &staleKeyChecker{Checker: e.svc.Vendors, key: liveCertnKey, held: make(chan struct{}), release: make(chan struct{})}
	e.svc.Vendors = gate
	r := NewRefresher(e.svc, RefreshOptions{CheckTimeout: time.Minute})
	finished := make(chan Summary, 1)
	go func() {
		sum, _ := r.RefreshAll(context.Background())
		finished <- sum
	}()
	for range 3 {
		<-gate.held
	}
	if _, err := e.svc.Reset(context.Background(), ResetRequest{Integration: "certn-lever", RemoveSecrets: true}); err != nil {
		t.Fatalf("reset: %v", err)
	}
	close(gate.release)
	sum := <-finished
	if sum.Dropped < 3 {
		t.Errorf("dropped %d, want at least the 3 answers about the removed key: %+v", sum.Dropped, sum)
	}
	cs, err := e.db.Checks(context.Background(), "acme", "certn-lever")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Result == ResultUnauthorized {
			t.Errorf("stored %+v for a key that is gone", c)
		}
	}
}

// failingStore is a secrets store whose every read fails the way a locked
// or broken backend does.
type failingStore struct {
	*secrets.Memory
	err  error
	hang bool // wait for the caller to give up instead
}

func (f *failingStore) Get(ctx context.Context, account string) (string, error) {
	if f.hang {
		<-ctx.Done()
		return "", fmt.Errorf("the OS keyring did not reply: %w", secrets.ErrTimeout)
	}
	return "", f.err
}

// A secrets store that cannot be read must count as needing attention, so
// `status --live` fails when no secret can be read; a secret the store
// does not have is drift, as before.
func TestRefreshReportsAnUnreadableSecretsStore(t *testing.T) {
	cases := []struct {
		name       string
		store      *failingStore
		unreadable bool
	}{
		{"locked", &failingStore{err: fmt.Errorf("the OS keyring is locked: %w", secrets.ErrLocked)}, true},
		{"timeout", &failingStore{err: fmt.Errorf("no reply: %w", secrets.ErrTimeout)}, true},
		{"unavailable", &failingStore{err: fmt.Errorf("no OS keyring is available: %w", secrets.ErrUnavailable)}, true},
		{"bad passphrase", &failingStore{err: fmt.Errorf("the vault: %w", secrets.ErrBadPassphrase)}, true},
		{"unclassified", &failingStore{err: errors.New("the OS keyring could not get: dbus said no")}, true},
		{"hangs", &failingStore{hang: true}, true},
		{"not found", &failingStore{err: fmt.Errorf("gone: %w", secrets.ErrNotFound)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newLiveEnv(t)
			liveCertnLever(t, e, liveCertnKey)
			tc.store.Memory = e.mem
			e.svc.Secrets = tc.store
			r := NewRefresher(e.svc, RefreshOptions{CheckTimeout: 100 * time.Millisecond})
			sum, err := r.RefreshAll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"api_key", "signing_token"} {
				c := storedCheck(t, e, "certn-lever", SecretCheckName(key))
				if got := strings.HasPrefix(c.Detail, StoreUnreadablePrefix); got != tc.unreadable {
					t.Errorf("%s: %s %q: store unreadable %v, want %v", key, c.Result, c.Detail, got, tc.unreadable)
				}
				if tc.unreadable && (c.Result != ResultUnknown || !strings.Contains(c.Detail, key)) {
					t.Errorf("%s: %s %q, want unknown naming the key", key, c.Result, c.Detail)
				}
				if !tc.unreadable && c.Result != ResultDrift {
					t.Errorf("%s: %s %q, want drift", key, c.Result, c.Detail)
				}
			}
			// The checks that need the key say so, without being counted
			// as store failures a second time.
			for _, name := range []string{CheckTriggerStage, CheckCertnTags} {
				if c := storedCheck(t, e, "certn-lever", name); strings.HasPrefix(c.Detail, StoreUnreadablePrefix) || c.Result != ResultUnknown {
					t.Errorf("%s: %s %q", name, c.Result, c.Detail)
				}
			}
			// The keyring is not the vendor: no backoff for Lever.
			if !r.BackoffUntil(VendorLever).IsZero() {
				t.Errorf("Lever backs off after a store failure: %+v", sum)
			}
			// A store failure is no verdict on the setup (unknown); a
			// secret missing from a store that answers is drift.
			wantAttention := 2
			if tc.unreadable {
				wantAttention = 0
			}
			if n := sum.Attention(); n != wantAttention {
				t.Errorf("%d result(s) need attention, want %d: %+v", n, wantAttention, sum.Results)
			}
			// The change is in the history, once, in the admin's words.
			evs, err := e.db.Events(context.Background(), store.EventFilter{Profile: "acme", Integration: "certn-lever"})
			if err != nil {
				t.Fatal(err)
			}
			want := "secret.api_key: valid → drift"
			if tc.unreadable {
				want = "secret.api_key: valid → secrets store unreadable"
			}
			n := 0
			for _, ev := range evs {
				if ev.Kind == store.EventVerification && ev.Summary == want {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d event(s) %q in %+v", n, want, evs)
			}
		})
	}
}

func TestSortOutcomesKeepsPlanOrder(t *testing.T) {
	var planned []CheckRef
	order := map[CheckRef]int{}
	for i := range 40 {
		ref := CheckRef{Integration: fmt.Sprintf("in%02d", i/4), Name: fmt.Sprintf("check%d", i%4)}
		planned = append(planned, ref)
		order[ref] = i
	}
	rs := make([]CheckOutcome, len(planned))
	for i, ref := range planned {
		rs[i] = CheckOutcome{CheckRef: ref}
	}
	rand.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	sortOutcomes(rs, order)
	if !slices.IsSortedFunc(rs, func(a, b CheckOutcome) int { return cmp.Compare(order[a.CheckRef], order[b.CheckRef]) }) {
		t.Errorf("not in plan order: %v", rs)
	}
	if len(rs) != len(planned) {
		t.Errorf("%d outcomes, want %d", len(rs), len(planned))
	}
}
