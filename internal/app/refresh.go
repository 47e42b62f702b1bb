package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// The refresher re-runs every live check the recorded state allows, in the
// background (the dashboard) or once (`status --live`), and stores the
// results so that `status` without --live shows the last known state and
// its age. It polls the way STYLE.md example 12 asks: one owner of the
// timer, a "now" trigger, an in-flight guard so refreshes never overlap,
// per-vendor backoff, and a generation on every result so that the results
// of a superseded refresh are dropped instead of stored.

// Refresh defaults.
const (
	DefaultRefreshInterval = 60 * time.Second
	DefaultCheckTimeout    = 10 * time.Second
	DefaultBackoffBase     = 30 * time.Second
	DefaultBackoffMax      = 30 * time.Minute
	// EnvRefreshInterval overrides the dashboard's refresh interval.
	EnvRefreshInterval = "PATCHBAY_REFRESH_INTERVAL"
	// MinRefreshInterval keeps a typo from hammering the vendors.
	MinRefreshInterval = 5 * time.Second
)

// Vendors whose calls a check makes; VendorLocal checks read only the
// secrets store and the database.
const (
	VendorLever = "lever"
	VendorVetty = "vetty"
	VendorLocal = "local"
)

// DefaultConcurrency bounds the checks running at once per vendor. Lever
// allows ~10 requests/s per key with bursts of 20 and a key check probes up
// to four endpoints, so four checks stay within a burst; Vetty publishes no
// limit, so it gets a cautious two.
func DefaultConcurrency() map[string]int {
	return map[string]int{VendorLever: 4, VendorVetty: 2, VendorLocal: 4}
}

// ParseRefreshInterval reads a refresh interval such as "60s" or "2m".
func ParseRefreshInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("refresh interval %q: give a duration such as 60s or 2m", s)
	}
	if d < MinRefreshInterval || d > 24*time.Hour {
		return 0, fmt.Errorf("refresh interval %s: choose between %s and 24h", d, MinRefreshInterval)
	}
	return d, nil
}

// RefreshOptions tune a Refresher; zero fields take the defaults.
type RefreshOptions struct {
	Interval     time.Duration  // between timed refreshes (DefaultRefreshInterval)
	CheckTimeout time.Duration  // bound on one check, its vendor calls included (DefaultCheckTimeout)
	Concurrency  map[string]int // checks at once per vendor (DefaultConcurrency)
	// BackoffBase and BackoffMax shape the pause after a vendor failed
	// (unreachable or rate limited) in consecutive refreshes: Base, then
	// doubling, up to Max.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Now is the clock for results and backoff; nil uses the service's.
	Now func() time.Time
	// Overall, when set, is one bound shared by the refreshers of many
	// profiles (RefreshProfiles): at most cap(Overall) checks run at once
	// across all of them, on top of each one's per-vendor bound.
	Overall chan struct{}
}

// CheckRef names one live check.
type CheckRef struct {
	Integration string
	Name        string
	Vendor      string // VendorLever, VendorVetty or VendorLocal
}

// UpdateKind says what an Update reports.
type UpdateKind int

const (
	// UpdateRefreshStarted: a refresh began; Planned lists its checks.
	UpdateRefreshStarted UpdateKind = iota + 1
	// UpdateCheckStarted: Check is running now.
	UpdateCheckStarted
	// UpdateCheckDone: Check finished and Result is stored.
	UpdateCheckDone
	// UpdateCheckSkipped: Check's vendor is backing off; Skip says until when.
	// The stored result (and its age) is left as it was.
	UpdateCheckSkipped
	// UpdateRefreshDone: the refresh ended; Summary has every outcome.
	UpdateRefreshDone
	// UpdateCall: patchbay made an HTTP call (Call), for the call log.
	UpdateCall
)

// Update is one message from the refresher to the dashboard. Gen is the
// refresh generation: a consumer drops check updates whose Gen is not the
// one its last UpdateRefreshStarted announced.
type Update struct {
	Gen     uint64
	Kind    UpdateKind
	Check   CheckRef
	Planned []CheckRef
	Result  CheckView
	Took    time.Duration
	Skip    SkippedCheck
	Summary Summary
	Call    CallRecord
}

// CallRecord is one HTTP call patchbay made to a vendor, for the call log.
// It holds no credential and no query string.
type CallRecord struct {
	At      time.Time
	Vendor  string
	Method  string
	Path    string
	Status  int // 0 when no answer arrived
	Latency time.Duration
	Err     string
}

// CheckOutcome is one check's stored result.
type CheckOutcome struct {
	CheckRef
	Result    string
	Detail    string
	CheckedAt time.Time
	Took      time.Duration
	Counts    map[string]int // numbers the check found (CERTN tag counts)
}

// SkippedCheck is a check not run because its vendor is backing off.
type SkippedCheck struct {
	CheckRef
	Until  time.Time // the vendor is tried again from then
	Reason string
}

// Summary is what one refresh did.
type Summary struct {
	Gen     uint64
	Started time.Time
	Took    time.Duration
	Results []CheckOutcome
	Skipped []SkippedCheck
	// Dropped counts the results discarded because the refresh was
	// superseded or cancelled, or because a secret the check read was
	// rotated, re-entered or removed while it ran.
	Dropped int
	Err     error // the refresh could not be planned (database or profile error)
	Manual  bool  // asked for on demand rather than by the timer
	// Canceled: the refresh's context ended, or a newer generation
	// superseded it, before every check answered.
	Canceled bool
}

// Attention counts the results that need the admin.
func (s Summary) Attention() int {
	n := 0
	for _, r := range s.Results {
		if checkNeedsAttention(r.Result, r.Detail) {
			n++
		}
	}
	return n
}

// Refresher runs the live checks of one profile. It is safe for concurrent
// use; all its methods return quickly except RefreshAll.
type Refresher struct {
	svc  *Service
	opts RefreshOptions
	sem  map[string]chan struct{}

	// run is held by the refresh in progress: refreshes never overlap.
	run chan struct{}
	// trigger holds at most one pending "refresh now": asking again while
	// one is pending or running coalesces into it.
	trigger chan struct{}

	// saveMu is held across "is this result's generation still current?"
	// and its write, and by whoever supersedes the generation, so a result
	// of a superseded refresh can never be stored after the fact.
	saveMu sync.Mutex
	gen    atomic.Uint64

	mu        sync.Mutex
	backoff   map[string]*vendorBackoff
	cancelRun context.CancelFunc // cancels the refresh in progress
	sink      func(Update)
	started   bool
	updates   chan Update
}

// vendorBackoff is one vendor's run of failed refreshes.
type vendorBackoff struct {
	failures int
	until    time.Time // exponential pause: manual refreshes may ignore it
	hold     time.Time // the vendor's own Retry-After: always honoured
	reason   string
}

// NewRefresher returns a refresher for the service's profile. svc.Secrets
// and svc.Vendors may be nil: the checks that need them then report
// "unknown" with the reason.
func NewRefresher(svc *Service, opts RefreshOptions) *Refresher {
	if opts.Interval <= 0 {
		opts.Interval = DefaultRefreshInterval
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = DefaultCheckTimeout
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = DefaultBackoffBase
	}
	if opts.BackoffMax < opts.BackoffBase {
		opts.BackoffMax = max(DefaultBackoffMax, opts.BackoffBase)
	}
	conc := DefaultConcurrency()
	for v, n := range opts.Concurrency {
		if n > 0 {
			conc[v] = n
		}
	}
	opts.Concurrency = conc
	r := &Refresher{
		svc:     svc,
		opts:    opts,
		sem:     map[string]chan struct{}{},
		run:     make(chan struct{}, 1),
		trigger: make(chan struct{}, 1),
		backoff: map[string]*vendorBackoff{},
	}
	for v, n := range conc {
		r.sem[v] = make(chan struct{}, n)
	}
	return r
}

// Interval is the time between timed refreshes.
func (r *Refresher) Interval() time.Duration { return r.opts.Interval }

// Generation is the newest refresh generation handed out.
func (r *Refresher) Generation() uint64 { return r.gen.Load() }

func (r *Refresher) now() time.Time {
	if r.opts.Now != nil {
		return r.opts.Now().UTC()
	}
	return r.svc.now()
}

// Start runs the refresher in the background until ctx ends: one refresh
// at once, then one every Interval, and one whenever Trigger asks. Every
// update goes to the returned channel, which is closed once the refresher
// has stopped. A second call returns the same channel.
func (r *Refresher) Start(ctx context.Context) <-chan Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return r.updates
	}
	r.started = true
	ch := make(chan Update, 256)
	r.updates = ch
	r.sink = func(u Update) {
		if u.Kind == UpdateCall {
			// The call log is a courtesy: never hold up an HTTP call for it.
			select {
			case ch <- u:
			default:
			}
			return
		}
		select {
		case ch <- u:
		case <-ctx.Done():
		}
	}
	go r.loop(ctx, ch)
	return ch
}

func (r *Refresher) loop(ctx context.Context, ch chan Update) {
	defer func() {
		r.mu.Lock()
		r.sink = nil
		r.mu.Unlock()
		close(ch)
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		manual := false
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-r.trigger:
			manual = true
		}
		r.refresh(ctx, manual)
		// The next timed refresh is an interval after this one ended,
		// whatever started it.
		timer.Reset(r.opts.Interval)
	}
}

// Trigger asks for a refresh now (the dashboard's r key). While one is
// pending or running, asking again changes nothing: requests coalesce.
// A manual refresh retries a vendor in exponential backoff, but still
// honours a Retry-After the vendor sent.
func (r *Refresher) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Invalidate says the recorded state changed (a step was completed, a
// secret rotated): the refresh in progress, if any, is cancelled and its
// remaining results dropped, and a new refresh follows.
func (r *Refresher) Invalidate() {
	r.saveMu.Lock()
	r.gen.Add(1)
	r.saveMu.Unlock()
	r.mu.Lock()
	if r.cancelRun != nil {
		r.cancelRun()
	}
	r.mu.Unlock()
	r.Trigger()
}

// RecordCall feeds the call log; set it as Vendors.OnCall. It never blocks.
func (r *Refresher) RecordCall(c httpx.Call) {
	r.mu.Lock()
	sink := r.sink
	r.mu.Unlock()
	if sink == nil {
		return
	}
	sink(Update{Kind: UpdateCall, Call: CallRecord{
		At: r.now(), Vendor: c.Vendor, Method: c.Method, Path: c.Path,
		Status: c.Status, Latency: c.Latency, Err: c.Err,
	}})
}

// RefreshAll runs one refresh and waits for it (`status --live`). If a
// refresh is already running it waits for that one to end first: they
// never overlap. The error is the planning error, or ctx's when it ended
// before every check answered; the summary holds what was done either way.
func (r *Refresher) RefreshAll(ctx context.Context) (Summary, error) {
	sum := r.refresh(ctx, false)
	if sum.Err != nil {
		return sum, sum.Err
	}
	if sum.Canceled {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func (r *Refresher) emit(u Update) {
	r.mu.Lock()
	sink := r.sink
	r.mu.Unlock()
	if sink != nil {
		sink(u)
	}
}

// refresh runs one generation of checks.
func (r *Refresher) refresh(ctx context.Context, manual bool) Summary {
	select {
	case r.run <- struct{}{}:
	case <-ctx.Done():
		return Summary{Err: ctx.Err(), Manual: manual, Canceled: true}
	}
	defer func() { <-r.run }()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.saveMu.Lock()
	gen := r.gen.Add(1)
	r.saveMu.Unlock()
	r.mu.Lock()
	r.cancelRun = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.cancelRun = nil
		r.mu.Unlock()
	}()

	start := r.now()
	began := time.Now()
	sum := Summary{Gen: gen, Started: start, Manual: manual}
	p, err := r.plan(runCtx)
	if err != nil {
		sum.Err = fmt.Errorf("planning the live checks: %w", err)
		sum.Took = time.Since(began)
		r.emit(Update{Gen: gen, Kind: UpdateRefreshDone, Summary: sum})
		return sum
	}
	planned := make([]CheckRef, len(p.checks))
	for i, c := range p.checks {
		planned[i] = c.ref
	}
	r.emit(Update{Gen: gen, Kind: UpdateRefreshStarted, Planned: planned})

	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		outcomes = map[string][]outcome{} // per vendor, for backoff
	)
	for _, c := range p.checks {
		if skip, ok := r.skipping(c.ref, start, manual); ok {
			sum.Skipped = append(sum.Skipped, skip)
			r.emit(Update{Gen: gen, Kind: UpdateCheckSkipped, Check: c.ref, Skip: skip})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, took, ran := r.runCheck(runCtx, gen, c)
			if !ran {
				mu.Lock()
				sum.Dropped++
				mu.Unlock()
				return
			}
			res := CheckOutcome{CheckRef: c.ref, Result: out.result, Detail: out.detail, CheckedAt: r.now(), Took: took, Counts: out.counts}
			stored := r.deliver(runCtx, gen, c, res, p.prev[c.ref.Integration+"\x00"+c.ref.Name])
			mu.Lock()
			defer mu.Unlock()
			if !stored {
				sum.Dropped++
				return
			}
			sum.Results = append(sum.Results, res)
			outcomes[c.ref.Vendor] = append(outcomes[c.ref.Vendor], out)
		}()
	}
	wg.Wait()
	sum.Canceled = runCtx.Err() != nil
	r.updateBackoff(outcomes, start)
	// Results in plan order, whatever order they finished in.
	order := map[CheckRef]int{}
	for i, c := range planned {
		order[c] = i
	}
	sortOutcomes(sum.Results, order)
	sum.Took = time.Since(began)
	r.emit(Update{Gen: gen, Kind: UpdateRefreshDone, Summary: sum})
	return sum
}

func sortOutcomes(rs []CheckOutcome, order map[CheckRef]int) {
	slices.SortStableFunc(rs, func(a, b CheckOutcome) int {
		return cmp.Compare(order[a.CheckRef], order[b.CheckRef])
	})
}

// runCheck waits for a slot of the check's vendor, then runs it under the
// per-check timeout. A check that overruns is reported unreachable (or
// unknown for a local one) at the deadline; whatever it returns later is
// discarded. ran is false when the refresh ended before the check ran.
func (r *Refresher) runCheck(ctx context.Context, gen uint64, c plannedCheck) (out outcome, took time.Duration, ran bool) {
	sem := r.sem[c.ref.Vendor]
	if sem == nil {
		sem = r.sem[VendorLocal]
	}
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return outcome{}, 0, false
	}
	defer func() { <-sem }()
	if r.opts.Overall != nil {
		select {
		case r.opts.Overall <- struct{}{}:
		case <-ctx.Done():
			return outcome{}, 0, false
		}
		defer func() { <-r.opts.Overall }()
	}
	if ctx.Err() != nil || r.gen.Load() != gen {
		return outcome{}, 0, false
	}
	r.emit(Update{Gen: gen, Kind: UpdateCheckStarted, Check: c.ref})

	cctx, cancel := context.WithTimeout(ctx, r.opts.CheckTimeout)
	defer cancel()
	prog := &checkProgress{}
	cctx = context.WithValue(cctx, progressKey{}, prog)
	began := time.Now()
	done := make(chan outcome, 1)
	go func() { done <- c.run(cctx) }()
	select {
	case out = <-done:
	case <-cctx.Done():
		if stuck := prog.waiting(); stuck != nil {
			out = *stuck
		} else {
			out = timeoutOutcome(c.ref, r.opts.CheckTimeout)
		}
	}
	if ctx.Err() != nil {
		// The refresh itself was cancelled: this is not the vendor's answer.
		return outcome{}, 0, false
	}
	return out, time.Since(began), true
}

func timeoutOutcome(ref CheckRef, d time.Duration) outcome {
	if ref.Vendor == VendorLocal {
		return outcome{result: ResultUnknown, detail: fmt.Sprintf("no answer within %s (is the keyring locked?)", d)}
	}
	return outcome{result: ResultUnreachable, detail: fmt.Sprintf("%s: no answer within %s", vendorName(ref.Vendor), d), failed: true}
}

// errStale: a secret the check read was replaced or removed meanwhile.
var errStale = errors.New("a secret the check read was replaced meanwhile")

// deliver stores a result unless its generation was superseded or a secret
// it read changed meanwhile, and reports it to the dashboard. Storing and
// the generation test happen under saveMu, so a superseded refresh can
// never overwrite a newer result.
func (r *Refresher) deliver(ctx context.Context, gen uint64, c plannedCheck, res CheckOutcome, prev store.CheckResult) bool {
	r.saveMu.Lock()
	if r.gen.Load() != gen || ctx.Err() != nil {
		r.saveMu.Unlock()
		return false
	}
	err := r.save(ctx, c, res, prev)
	r.saveMu.Unlock()
	if errors.Is(err, errStale) {
		// The result is about a secret no longer in use; the new one
		// deserves a check of its own soon.
		r.Trigger()
		return false
	}
	if err != nil {
		// The database refused the write; the admin sees the result live
		// and the stored one stays as it was.
		res.Detail += " (not saved: " + err.Error() + ")"
	}
	r.emit(Update{Gen: gen, Kind: UpdateCheckDone, Check: c.ref, Took: res.Took,
		Result: CheckView{Name: c.ref.Name, Result: res.Result, Detail: res.Detail, CheckedAt: res.CheckedAt, Counts: res.Counts}})
	return true
}

// save writes one result, the secret's verification time when the vendor
// judged the secret, and an event when a problem appears or clears (a
// refresh every minute must not flood the history with "still valid").
func (r *Refresher) save(ctx context.Context, c plannedCheck, res CheckOutcome, prev store.CheckResult) error {
	profile := r.svc.Profile
	return r.svc.DB.Tx(ctx, func(tx *store.Tx) error {
		// Compared inside the write transaction, so a rotation, a re-run
		// step or a reset, by this patchbay or another, either commits
		// before (and the result is dropped) or after (and overwrites it).
		for _, m := range c.uses {
			cur, err := tx.Secret(ctx, profile, m.Integration, m.Key)
			if errors.Is(err, store.ErrNotFound) {
				return errStale
			}
			if err != nil {
				return err
			}
			if !cur.CreatedAt.Equal(m.CreatedAt) || cur.Last4 != m.Last4 {
				return errStale
			}
		}
		if err := tx.SaveChecks(ctx, profile, []store.CheckResult{{
			Integration: c.ref.Integration, Name: c.ref.Name, Result: res.Result, Detail: res.Detail, CheckedAt: res.CheckedAt,
			Counts: res.Counts,
		}}); err != nil {
			return err
		}
		if c.verifies != "" && res.Result == ResultValid {
			why := c.ref.Name + " passed"
			if res.Detail != "" {
				why += ": " + res.Detail
			}
			if _, err := tx.VerifyProof(ctx, profile, c.ref.Integration, c.verifies, why, res.CheckedAt); err != nil {
				return err
			}
		}
		if c.secretKey != "" && vendorJudged(res.Result) {
			err := tx.SetSecretVerified(ctx, profile, c.ref.Integration, c.secretKey, res.CheckedAt, "")
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		from, to := attentionWords(prev.Result, prev.Detail), attentionWords(res.Result, res.Detail)
		if prev.Result != "" && from != to && (eventful(prev.Result, prev.Detail) || eventful(res.Result, res.Detail)) {
			return tx.AddEvent(ctx, store.Event{
				At: res.CheckedAt, Profile: profile, Integration: c.ref.Integration, Kind: store.EventVerification,
				Summary: fmt.Sprintf("%s: %s → %s", c.ref.Name, from, to),
				Detail:  map[string]string{"check": c.ref.Name, "from": prev.Result, "to": res.Result, "detail": res.Detail},
			})
		}
		return nil
	})
}

// vendorJudged reports whether a result is the vendor's verdict on a
// secret (as opposed to no verdict: unreachable, rate limited, unknown).
func vendorJudged(result string) bool {
	switch result {
	case ResultValid, ResultUnauthorized, ResultForbidden:
		return true
	}
	return false
}

// skipping reports whether the check's vendor is backing off.
func (r *Refresher) skipping(ref CheckRef, now time.Time, manual bool) (SkippedCheck, bool) {
	if ref.Vendor == VendorLocal {
		return SkippedCheck{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.backoff[ref.Vendor]
	if b == nil {
		return SkippedCheck{}, false
	}
	until := b.hold
	if !manual && b.until.After(until) {
		until = b.until
	}
	if !now.Before(until) {
		return SkippedCheck{}, false
	}
	return SkippedCheck{CheckRef: ref, Until: until, Reason: fmt.Sprintf("%s %s in %d refresh(es) in a row; trying again from %s",
		vendorName(ref.Vendor), b.reason, b.failures, until.Local().Format("15:04:05"))}, true
}

// updateBackoff records, per vendor, whether this refresh reached it: any
// answer resets the backoff; only failures (unreachable, rate limited)
// extend it.
func (r *Refresher) updateBackoff(outcomes map[string][]outcome, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for vendor, outs := range outcomes {
		if vendor == VendorLocal {
			continue
		}
		answered, failed := false, false
		var retryAfter time.Duration
		reason := "was unreachable"
		for _, o := range outs {
			if o.failed {
				failed = true
				if o.result == ResultRateLimited {
					reason = "rate limited patchbay"
				}
				retryAfter = max(retryAfter, o.retryAfter)
			} else {
				answered = true
			}
		}
		switch {
		case answered:
			delete(r.backoff, vendor)
		case failed:
			b := r.backoff[vendor]
			if b == nil {
				b = &vendorBackoff{}
				r.backoff[vendor] = b
			}
			b.failures++
			pause := r.opts.BackoffBase
			for i := 1; i < b.failures && pause < r.opts.BackoffMax; i++ {
				pause *= 2
			}
			b.until = now.Add(min(pause, r.opts.BackoffMax))
			b.hold = now.Add(retryAfter)
			b.reason = reason
		}
	}
}

// BackoffUntil reports until when a vendor is skipped by timed refreshes
// (zero when it is not backing off).
func (r *Refresher) BackoffUntil(vendor string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := r.backoff[vendor]; b != nil {
		if b.hold.After(b.until) {
			return b.hold
		}
		return b.until
	}
	return time.Time{}
}

func vendorName(v string) string {
	switch v {
	case VendorLever:
		return "Lever"
	case VendorVetty:
		return "Vetty"
	}
	return v
}

// memo runs each keyed call once per refresh and shares its answer, so
// checks that need the same secret or the same vendor list (the Vetty key
// check and the package mapping check) cost one keyring read or one call.
type memo struct {
	mu sync.Mutex
	m  map[string]*memoEntry
}

type memoEntry struct {
	done chan struct{}
	val  any
	err  error
}

func (m *memo) do(ctx context.Context, key string, fn func() (any, error)) (any, error) {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*memoEntry{}
	}
	e, ok := m.m[key]
	if !ok {
		e = &memoEntry{done: make(chan struct{})}
		m.m[key] = e
		m.mu.Unlock()
		e.val, e.err = fn()
		close(e.done)
		return e.val, e.err
	}
	m.mu.Unlock()
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// secretsBackendName words where secrets live, for "missing from the …".
func secretsBackendName(meta store.SecretMeta, st secrets.Store) string {
	b := meta.Backend
	if b == "" && st != nil {
		b = st.Backend().Name
	}
	switch b {
	case secrets.BackendVault:
		return "the encrypted vault"
	case "", secrets.BackendKeyring:
		return "the keyring"
	}
	return "the " + b + " store"
}
