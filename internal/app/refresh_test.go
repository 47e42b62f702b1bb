package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

const (
	liveVettyKey    = "vetty-key-0123456789abcdef"
	liveCertnKey    = "lever-certn-key-0123456789"
	liveCharthopKey = "lever-charthop-key-012345"
)

// newLiveEnv is newTestEnv's setup with one page per list: paging is the
// clients' business, and Vetty's limiter (2/s, bursts of 5) would otherwise
// make every refresh wait. It takes a testing.TB for the benchmarks.
func newLiveEnv(tb testing.TB) *testEnv {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(tb.TempDir(), "patchbay.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	e := &testEnv{db: db, mem: secrets.NewMemory(), srv: srv, now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	e.svc = &Service{
		DB: db, Secrets: e.mem, Profile: "acme", Vendors: newLiveVendors(srv),
		Now: func() time.Time { return e.now },
	}
	return e
}

func newLiveVendors(srv *standin.Servers) *Vendors {
	return &Vendors{Timeout: 5 * time.Second, URLs: &URLs{
		Lever: srv.LeverURL, Certn: srv.CertnURL, Vetty: srv.VettyURL, ChartHop: srv.ChartHopURL,
	}}
}

// liveRun checks and completes one step, failing on any error or failed check.
func liveRun(tb testing.TB, e *testEnv, integration, step string, values, secrets map[string]string) {
	tb.Helper()
	ctx := context.Background()
	sub := Submission{Integration: integration, Step: step, Values: values, Secrets: secrets}
	out, err := e.svc.Check(ctx, sub)
	if err != nil {
		tb.Fatalf("%s/%s: check: %v", integration, step, err)
	}
	if !out.OK {
		tb.Fatalf("%s/%s: check failed: %s (%s)", integration, step, out.Detail, out.Fix)
	}
	if err := e.svc.Complete(ctx, sub, out); err != nil {
		tb.Fatalf("%s/%s: complete: %v", integration, step, err)
	}
}

// liveVettyChattr walks vetty-chattr from the first step to the last.
func liveVettyChattr(tb testing.TB, e *testEnv, key string) {
	tb.Helper()
	const in = "vetty-chattr"
	liveRun(tb, e, in, "vetty-key", map[string]string{"user": "Priya Shah", "ip_allowlist": "203.0.113.0/24", "expiry_months": "24"}, map[string]string{"api_key": key})
	liveRun(tb, e, in, "vetty-webhook", map[string]string{"confirmed": "true"}, nil)
	liveRun(tb, e, in, "chattr-connect", map[string]string{"token_status": steps.TokenValid, "confirmed": "true"}, nil)
	liveRun(tb, e, in, "chattr-packages", map[string]string{"packages": "Warehouse Associate=Basic;Driver=Driver (MVR);Nurse=Healthcare"}, nil)
}

// liveCertnLever walks certn-lever from the first step to the last.
func liveCertnLever(tb testing.TB, e *testEnv, key string) {
	tb.Helper()
	const in = "certn-lever"
	liveRun(tb, e, in, "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": key})
	liveRun(tb, e, in, "lever-signing-token", nil, map[string]string{"signing_token": "sig-token-0123456789abcdef"})
	liveRun(tb, e, in, "certn-packages", map[string]string{"packages": "Standard:criminal+identity;Plus:criminal+credit", "default_package": "Standard"}, nil)
	liveRun(tb, e, in, "certn-credentials", map[string]string{"confirmed": "true"}, nil)
	liveRun(tb, e, in, "certn-enable", map[string]string{"webhook_url": "https://api.certn.co/lever/webhook/abc123"}, nil)
	liveRun(tb, e, in, "lever-trigger-stage", map[string]string{"stage": "Background Check"}, nil)
}

// liveCharthopLever walks charthop-lever with ChartHop as the source of truth.
func liveCharthopLever(tb testing.TB, e *testEnv, key string) {
	tb.Helper()
	const in = "charthop-lever"
	liveRun(tb, e, in, "lever-key", map[string]string{"region": "us",
		"write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"}, map[string]string{"api_key": key})
	liveRun(tb, e, in, "charthop-install", map[string]string{"confirmed": "true"}, nil)
	liveRun(tb, e, in, "charthop-connect", map[string]string{"confirmed": "true"}, nil)
	liveRun(tb, e, in, "charthop-source", map[string]string{"source": steps.TruthChartHop}, nil)
	liveRun(tb, e, in, "charthop-options", map[string]string{"sync_on_change": "true", "reconciliation": "true", "run_daily": "true"}, nil)
	liveRun(tb, e, in, "charthop-webhook-secret", nil, map[string]string{"webhook_secret": "charthop-webhook-secret-0123"})
	liveRun(tb, e, in, "charthop-hire-webhook", map[string]string{"confirmed": "true"}, nil)
}

func liveCompleteAll(tb testing.TB, e *testEnv) {
	tb.Helper()
	liveVettyChattr(tb, e, liveVettyKey)
	liveCertnLever(tb, e, liveCertnKey)
	liveCharthopLever(tb, e, liveCharthopKey)
}

// setLiveSecret stores value as patchbay would have recorded it (value and
// fingerprint), so the checks judge that key.
func setLiveSecret(t *testing.T, e *testEnv, integration, key, value string) {
	t.Helper()
	ctx := context.Background()
	if err := e.mem.Set(ctx, secrets.Account(e.svc.Profile, integration, key), value); err != nil {
		t.Fatal(err)
	}
	fp, err := e.svc.fingerprint(ctx, value)
	if err == nil {
		err = e.db.SetSecretFingerprint(ctx, e.svc.Profile, integration, key, fp, false)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func findOutcome(t *testing.T, sum Summary, integration, name string) CheckOutcome {
	t.Helper()
	for _, r := range sum.Results {
		if r.Integration == integration && r.Name == name {
			return r
		}
	}
	t.Fatalf("no result for %s %s in %+v", integration, name, sum.Results)
	return CheckOutcome{}
}

func storedCheck(t *testing.T, e *testEnv, integration, name string) store.CheckResult {
	t.Helper()
	cs, err := e.db.Checks(context.Background(), e.svc.Profile, integration)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no stored check %s %s", integration, name)
	return store.CheckResult{}
}

func TestRefreshFullProfile(t *testing.T) {
	e := newLiveEnv(t)
	liveCompleteAll(t, e)
	e.now = e.now.Add(time.Hour)
	sum, err := NewRefresher(e.svc, RefreshOptions{}).RefreshAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []CheckRef{
		{"vetty-chattr", "secret.api_key", VendorVetty},
		{"vetty-chattr", "expiry.api_key", VendorLocal},
		{"vetty-chattr", CheckPackageMapping, VendorVetty},
		{"certn-lever", "secret.api_key", VendorLever},
		{"certn-lever", "secret.signing_token", VendorLocal},
		{"certn-lever", CheckTriggerStage, VendorLever},
		{"certn-lever", CheckCertnTags, VendorLever},
		{"charthop-lever", "secret.api_key", VendorLever},
		{"charthop-lever", "secret.webhook_secret", VendorLocal},
		{"charthop-lever", CheckOptionRules, VendorLocal},
	}
	var got []CheckRef
	for _, r := range sum.Results {
		got = append(got, r.CheckRef)
		if r.Result != ResultValid {
			t.Errorf("%s %s: %s (%s), want valid", r.Integration, r.Name, r.Result, r.Detail)
		}
		if !r.CheckedAt.Equal(e.now) {
			t.Errorf("%s %s checked at %s, want the clock's %s", r.Integration, r.Name, r.CheckedAt, e.now)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("checks:\n got %v\nwant %v", got, want)
	}
	if len(sum.Skipped) != 0 || sum.Dropped != 0 || sum.Canceled || sum.Attention() != 0 {
		t.Errorf("summary: %+v", sum)
	}
	if d := findOutcome(t, sum, "certn-lever", CheckCertnTags).Detail; d != "Submitted 3 · Applicant Started 2 · In Progress 4 · Complete (Clear) 9 · Complete (Review) 1" {
		t.Errorf("tag counts: %q", d)
	}
	if d := findOutcome(t, sum, "vetty-chattr", "expiry.api_key").Detail; !strings.Contains(d, "expires in 730 days") {
		t.Errorf("expiry: %q", d)
	}

	// Stored: status without --live shows them with their age.
	e.now = e.now.Add(90 * time.Second)
	report, err := e.svc.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !report.Healthy() {
		t.Fatalf("not healthy: %+v", report)
	}
	n := 0
	for _, in := range report.Integrations {
		for _, c := range in.Checks {
			if c.AgeSeconds == 90 && c.Result == ResultValid {
				n++
			}
		}
		for _, s := range in.Secrets {
			if s.Live != ResultValid {
				t.Errorf("%s %s live %q", in.ID, s.Key, s.Live)
			}
		}
	}
	if n != len(want) {
		t.Errorf("%d checks aged 90s in the report, want %d", n, len(want))
	}
	meta, err := e.db.Secret(context.Background(), e.svc.Profile, "certn-lever", "api_key")
	if err != nil {
		t.Fatal(err)
	}
	if !meta.LastVerifiedAt.Equal(e.now.Add(-90 * time.Second)) {
		t.Errorf("last verified %s", meta.LastVerifiedAt)
	}
}

func TestRefreshPlansOnlyWhatIsRecorded(t *testing.T) {
	e := newLiveEnv(t)
	r := NewRefresher(e.svc, RefreshOptions{})
	sum, err := r.RefreshAll(context.Background())
	if err != nil || len(sum.Results) != 0 {
		t.Fatalf("empty profile: %v %+v", err, sum)
	}
	liveRun(t, e, "certn-lever", "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": liveCertnKey})
	sum, err = r.RefreshAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range sum.Results {
		names = append(names, o.Name)
	}
	if !slices.Equal(names, []string{"secret.api_key", CheckCertnTags}) {
		t.Errorf("checks after lever-key only: %v", names)
	}
}

func TestRefreshResultKinds(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(t *testing.T, e *testEnv) // after every integration is complete
		opts        RefreshOptions
		integration string
		check       string
		want        string
		detail      string
		attention   bool
	}{
		{
			name: "unauthorized: the stored Lever key was revoked",
			setup: func(t *testing.T, e *testEnv) {
				setLiveSecret(t, e, "certn-lever", "api_key", "lever-invalid-revoked-key")
			},
			integration: "certn-lever", check: "secret.api_key", want: ResultUnauthorized, detail: "refused (401)", attention: true,
		},
		{
			name: "unauthorized: Vetty refuses the key, maybe for its IP range",
			setup: func(t *testing.T, e *testEnv) {
				setLiveSecret(t, e, "vetty-chattr", "api_key", "vetty-invalid-key-01234567")
			},
			integration: "vetty-chattr", check: "secret.api_key", want: ResultUnauthorized, detail: "IP", attention: true,
		},
		{
			name: "forbidden: the Lever key lost a permission",
			setup: func(t *testing.T, e *testEnv) {
				setLiveSecret(t, e, "certn-lever", "api_key", "lever-forbidden-key-0123")
			},
			integration: "certn-lever", check: "secret.api_key", want: ResultForbidden, detail: "forbidden on /tags", attention: true,
		},
		{
			name: "forbidden: the tag counts need /tags",
			setup: func(t *testing.T, e *testEnv) {
				setLiveSecret(t, e, "certn-lever", "api_key", "lever-forbidden-key-0123")
			},
			integration: "certn-lever", check: CheckCertnTags, want: ResultForbidden, detail: "forbidden on /tags", attention: true,
		},
		{
			name: "forbidden: Vetty refuses the key on /packages",
			setup: func(t *testing.T, e *testEnv) {
				setLiveSecret(t, e, "vetty-chattr", "api_key", "vetty-forbidden-key-0123")
			},
			integration: "vetty-chattr", check: "secret.api_key", want: ResultForbidden, detail: "forbidden on /packages", attention: true,
		},
		{
			name: "forbidden: ChartHop's key may not read requisitions",
			setup: func(t *testing.T, e *testEnv) {
				setLiveSecret(t, e, "charthop-lever", "api_key", "lever-forbidden-key-4567")
			},
			integration: "charthop-lever", check: "secret.api_key", want: ResultForbidden, detail: "forbidden on /requisitions", attention: true,
		},
		{
			name: "unreachable: Lever does not answer in time",
			setup: func(t *testing.T, e *testEnv) {
				e.srv.Lever.SetFault(standin.Fault{Kind: standin.FaultTimeout})
			},
			opts:        RefreshOptions{CheckTimeout: 300 * time.Millisecond},
			integration: "certn-lever", check: CheckTriggerStage, want: ResultUnreachable, detail: "Lever",
		},
		{
			name: "unreachable: the vendors are down",
			setup: func(t *testing.T, e *testEnv) {
				e.srv.Close()
			},
			integration: "vetty-chattr", check: CheckPackageMapping, want: ResultUnreachable, detail: "could not be reached",
		},
		{
			name: "rate limited: Lever asks for an hour's pause",
			setup: func(t *testing.T, e *testEnv) {
				e.srv.Lever.SetFault(standin.Fault{Kind: standin.FaultRateLimit, RetryAfter: "3600"})
			},
			integration: "certn-lever", check: "secret.api_key", want: ResultRateLimited, detail: "rate limited",
		},
		{
			name: "drift: the trigger stage was deleted",
			setup: func(t *testing.T, e *testEnv) {
				e.srv.Lever.RemoveStage("Background Check")
			},
			integration: "certn-lever", check: CheckTriggerStage, want: ResultDrift, detail: "no longer one of Lever's stages", attention: true,
		},
		{
			name: "drift: the trigger stage was renamed",
			setup: func(t *testing.T, e *testEnv) {
				e.srv.Lever.RenameStage("Background Check", "Background Screening")
			},
			integration: "certn-lever", check: CheckTriggerStage, want: ResultDrift, detail: "re-run certn-lever/lever-trigger-stage", attention: true,
		},
		{
			name: "drift: the trigger stage changed case",
			setup: func(t *testing.T, e *testEnv) {
				e.srv.Lever.RenameStage("Background Check", "Background check")
			},
			integration: "certn-lever", check: CheckTriggerStage, want: ResultDrift, detail: `now spells the trigger stage "Background check"`, attention: true,
		},
		{
			name: "drift: a mapped Vetty package is gone",
			setup: func(t *testing.T, e *testEnv) {
				e.srv.Vetty.RemovePackage("Healthcare")
			},
			integration: "vetty-chattr", check: CheckPackageMapping, want: ResultDrift, detail: `"Healthcare" (for Nurse)`, attention: true,
		},
		{
			name: "drift: the recorded options break a rule",
			setup: func(t *testing.T, e *testEnv) {
				err := e.db.CommitStep(context.Background(), store.StepCommit{
					Profile: e.svc.Profile, Integration: "charthop-lever", StepID: "charthop-options", Proof: "checked",
					Values: map[string]string{"sync_on_change": "true", "reverse_sync": "true", "reconciliation": "false", "run_daily": "false", "remote_location_default": "false"},
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			integration: "charthop-lever", check: CheckOptionRules, want: ResultDrift, detail: "Reverse Sync", attention: true,
		},
		{
			name: "drift: the Lever key is missing from the store",
			setup: func(t *testing.T, e *testEnv) {
				e.mem.Delete(context.Background(), secrets.Account(e.svc.Profile, "certn-lever", "api_key"))
			},
			integration: "certn-lever", check: "secret.api_key", want: ResultDrift, detail: "missing from the memory store: re-run certn-lever/lever-key", attention: true,
		},
		{
			name: "a missing key leaves the checks that need it unknown",
			setup: func(t *testing.T, e *testEnv) {
				e.mem.Delete(context.Background(), secrets.Account(e.svc.Profile, "certn-lever", "api_key"))
			},
			integration: "certn-lever", check: CheckTriggerStage, want: ResultUnknown, detail: "needs the Lever key", attention: true,
		},
		{
			name: "drift: the signing token is missing",
			setup: func(t *testing.T, e *testEnv) {
				e.mem.Delete(context.Background(), secrets.Account(e.svc.Profile, "certn-lever", "signing_token"))
			},
			integration: "certn-lever", check: "secret.signing_token", want: ResultDrift, detail: "re-run certn-lever/lever-signing-token", attention: true,
		},
		{
			name: "drift: the Vetty key was replaced behind patchbay's back",
			setup: func(t *testing.T, e *testEnv) {
				e.mem.Set(context.Background(), secrets.Account(e.svc.Profile, "vetty-chattr", "api_key"), "vetty-key-from-elsewhere-9876")
			},
			integration: "vetty-chattr", check: "secret.api_key", want: ResultDrift,
			detail: "the Vetty API key in the memory store is not the one patchbay recorded (it ends …9876", attention: true,
		},
		{
			name: "drift: the ChartHop webhook secret is missing",
			setup: func(t *testing.T, e *testEnv) {
				e.mem.Delete(context.Background(), secrets.Account(e.svc.Profile, "charthop-lever", "webhook_secret"))
			},
			integration: "charthop-lever", check: "secret.webhook_secret", want: ResultDrift, detail: "charthop-lever/charthop-webhook-secret", attention: true,
		},
		{
			name: "expiry: a key expiring within 30 days warns",
			setup: func(t *testing.T, e *testEnv) {
				e.now = e.now.AddDate(0, 24, -10)
			},
			integration: "vetty-chattr", check: "expiry.api_key", want: ResultValid, detail: "rotate it soon (patchbay rotate vetty-chattr/api_key)",
		},
		{
			name: "expiry: an expired key is refused",
			setup: func(t *testing.T, e *testEnv) {
				e.now = e.now.AddDate(0, 25, 0)
			},
			integration: "vetty-chattr", check: "expiry.api_key", want: ResultUnauthorized, detail: "expired on", attention: true,
		},
		{
			name: "usage: no CERTN tags yet",
			setup: func(t *testing.T, e *testEnv) {
				e.srv.Lever.SetTags([]standin.LeverTag{{Text: "Engineering", Count: 4}})
			},
			integration: "certn-lever", check: CheckCertnTags, want: ResultValid, detail: "no candidate carries a CERTN tag yet",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newLiveEnv(t)
			liveCompleteAll(t, e)
			tt.setup(t, e)
			sum, err := NewRefresher(e.svc, tt.opts).RefreshAll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := findOutcome(t, sum, tt.integration, tt.check)
			if got.Result != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("%s: %s (%s), want %s containing %q", tt.check, got.Result, got.Detail, tt.want, tt.detail)
			}
			stored := storedCheck(t, e, tt.integration, tt.check)
			if stored.Result != tt.want || stored.Detail != got.Detail {
				t.Errorf("stored %+v", stored)
			}
			iv := e.integration(t, tt.integration)
			if (iv.State == steps.StateNeedsAttention) != tt.attention {
				t.Errorf("state %s (attention %v), want attention %v", iv.State, iv.Attention, tt.attention)
			}
			for _, r := range sum.Results {
				for _, secret := range []string{liveVettyKey, liveCertnKey, liveCharthopKey, "lever-invalid", "lever-forbidden", "vetty-invalid", "sig-token"} {
					if strings.Contains(r.Detail, secret) {
						t.Errorf("%s's detail holds a secret: %q", r.Name, r.Detail)
					}
				}
			}
		})
	}
}

// A secret's live column follows its check, and the vendor's verdict
// (valid, unauthorized) dates the verification; no verdict leaves it.
func TestRefreshSecretLiveAndVerification(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	created := e.now
	r := NewRefresher(e.svc, RefreshOptions{})

	e.now = created.Add(time.Hour)
	setLiveSecret(t, e, "certn-lever", "api_key", "lever-invalid-revoked-key")
	if _, err := r.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	sec := e.integration(t, "certn-lever").Secrets[0]
	if sec.Live != ResultUnauthorized || !sec.LastVerifiedAt.Equal(created.Add(time.Hour)) {
		t.Errorf("after a 401: %+v", sec)
	}

	e.now = created.Add(2 * time.Hour)
	e.srv.Close()
	if _, err := r.RefreshAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	sec = e.integration(t, "certn-lever").Secrets[0]
	if sec.Live != ResultUnreachable || !sec.LastVerifiedAt.Equal(created.Add(time.Hour)) {
		t.Errorf("unreachable must not date a verification: %+v", sec)
	}
}

// Problems appearing and clearing go to the history; "still valid" does not.
func TestRefreshRecordsAttentionChanges(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	ctx := context.Background()
	r := NewRefresher(e.svc, RefreshOptions{})
	count := func() int {
		evs, err := e.db.Events(ctx, store.EventFilter{Profile: e.svc.Profile, Integration: "certn-lever"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Kind == store.EventVerification {
				n++
			}
		}
		return n
	}
	base := count()
	for range 2 {
		if _, err := r.RefreshAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != base {
		t.Errorf("valid twice recorded %d event(s)", n-base)
	}
	e.srv.Lever.RemoveStage("Background Check")
	r.RefreshAll(ctx)
	r.RefreshAll(ctx)
	if n := count(); n != base+1 {
		t.Errorf("stage gone (twice): %d event(s), want 1", n-base)
	}
	e.srv.Lever.AddStage("Background Check")
	r.RefreshAll(ctx)
	evs, _ := e.db.Events(ctx, store.EventFilter{Profile: e.svc.Profile, Integration: "certn-lever", Limit: 1})
	if count() != base+2 || len(evs) != 1 || evs[0].Summary != "lever.trigger_stage: drift → valid" {
		t.Errorf("stage back: %d event(s), newest %+v", count()-base, evs)
	}
}

// leverDown points the Lever client at a closed port (connection refused:
// unreachable at once) until called with false.
func leverDown(e *testEnv) func(bool) {
	urls := e.svc.Vendors.(*Vendors).URLs
	up := urls.Lever
	set := func(down bool) {
		urls.Lever = up
		if down {
			urls.Lever = "http://127.0.0.1:1/lever/v1"
		}
	}
	set(true)
	return set
}

func TestRefreshBackoff(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	ctx := context.Background()
	clock := e.now
	r := NewRefresher(e.svc, RefreshOptions{
		CheckTimeout: 5 * time.Second, BackoffBase: time.Minute, BackoffMax: 4 * time.Minute,
		Now: func() time.Time { return clock },
	})
	refresh := func() Summary {
		t.Helper()
		sum, err := r.RefreshAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	leverRequests := func() int64 { return e.srv.Lever.Requests() }

	down := leverDown(e)
	// Failed refreshes in a row: 1, 2, 4 minutes of pause, then the cap.
	for i, pause := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute} {
		sum := refresh()
		if len(sum.Skipped) != 0 {
			t.Fatalf("refresh %d skipped %v", i, sum.Skipped)
		}
		if o := findOutcome(t, sum, "certn-lever", "secret.api_key"); o.Result != ResultUnreachable {
			t.Fatalf("refresh %d: %+v", i, o)
		}
		if until := r.BackoffUntil(VendorLever); !until.Equal(clock.Add(pause)) {
			t.Fatalf("after failure %d: backoff until %s, want %s", i+1, until, clock.Add(pause))
		}
		clock = clock.Add(pause)
	}
	// Within the pause Lever is not asked at all.
	clock = clock.Add(-time.Second)
	before := leverRequests()
	sum := refresh()
	if leverRequests() != before {
		t.Errorf("Lever was called while backing off")
	}
	var skipped []string
	for _, s := range sum.Skipped {
		skipped = append(skipped, s.Name)
		if s.Vendor != VendorLever || !strings.Contains(s.Reason, "Lever was unreachable in 4 refresh(es) in a row") {
			t.Errorf("skip %+v", s)
		}
	}
	if !slices.Equal(skipped, []string{"secret.api_key", CheckTriggerStage, CheckCertnTags}) {
		t.Errorf("skipped %v", skipped)
	}
	// Skipped checks keep their stored result and its age; local ones still ran.
	if c := storedCheck(t, e, "certn-lever", CheckTriggerStage); c.Result != ResultUnreachable {
		t.Errorf("stored %+v", c)
	}
	if o := findOutcome(t, sum, "certn-lever", "secret.signing_token"); o.Result != ResultValid {
		t.Errorf("the local check did not run: %+v", o)
	}

	// Past the pause Lever is asked again; its answer resets the backoff.
	clock = clock.Add(time.Second)
	down(false)
	sum = refresh()
	if len(sum.Skipped) != 0 || findOutcome(t, sum, "certn-lever", CheckTriggerStage).Result != ResultValid {
		t.Fatalf("after the pause: %+v", sum)
	}
	if !r.BackoffUntil(VendorLever).IsZero() {
		t.Errorf("backoff not reset: %s", r.BackoffUntil(VendorLever))
	}
	down(true)
	refresh()
	if until := r.BackoffUntil(VendorLever); !until.Equal(clock.Add(time.Minute)) {
		t.Errorf("a new failure after a reset starts from the base pause: %s", until)
	}
}

// A manual refresh retries a vendor in exponential backoff, but not one
// that asked for a pause with Retry-After.
func TestManualRefreshAndRetryAfter(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	clock := e.now
	r := NewRefresher(e.svc, RefreshOptions{CheckTimeout: 5 * time.Second, Now: func() time.Time { return clock }})
	ctx := context.Background()

	down := leverDown(e)
	r.RefreshAll(ctx)
	if s := r.refresh(ctx, false); len(s.Skipped) != 3 {
		t.Fatalf("timed refresh during backoff skipped %d", len(s.Skipped))
	}
	if s := r.refresh(ctx, true); len(s.Skipped) != 0 {
		t.Fatalf("manual refresh skipped %v", s.Skipped)
	}

	down(false)
	e.srv.Lever.SetFault(standin.Fault{Kind: standin.FaultRateLimit, RetryAfter: "600"})
	r.refresh(ctx, true)
	clock = clock.Add(5 * time.Minute)
	if s := r.refresh(ctx, true); len(s.Skipped) != 3 {
		t.Fatalf("manual refresh ignored Retry-After: %+v", s)
	}
	clock = clock.Add(5 * time.Minute)
	e.srv.Lever.ClearFault()
	if s := r.refresh(ctx, true); len(s.Skipped) != 0 || s.Attention() != 0 {
		t.Fatalf("after Retry-After: %+v", s)
	}
}

// blockingChecker answers each Lever stage list only when the test says
// so, ignoring cancellation the way a stuck call would.
type blockingChecker struct {
	Checker
	mu    sync.Mutex
	calls int
	asks  chan stageCall
}

type stageCall struct{ reply chan []string }

func (b *blockingChecker) LeverStages(ctx context.Context, region, key string) ([]string, error) {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	c := stageCall{reply: make(chan []string)}
	b.asks <- c
	return <-c.reply, nil
}

func (b *blockingChecker) LeverProbe(ctx context.Context, region, key string, endpoints []string) ([]string, error) {
	return nil, nil
}

func (b *blockingChecker) LeverTags(ctx context.Context, region, key string) (map[string]int, error) {
	return map[string]int{}, nil
}

func newBlockingChecker() *blockingChecker {
	return &blockingChecker{asks: make(chan stageCall)}
}

// The results of a superseded generation are dropped: neither stored nor
// reported, even when the vendor answers after the new refresh began.
func TestRefreshDropsSupersededResults(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	ctx := context.Background()
	fake := newBlockingChecker()
	e.svc.Vendors = fake
	r := NewRefresher(e.svc, RefreshOptions{Interval: time.Hour, CheckTimeout: time.Minute})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	updates := r.Start(runCtx)

	ask1 := <-fake.asks // generation 1 is waiting on Lever's stages
	first := r.Generation()
	r.Invalidate()
	ask2 := <-fake.asks // generation 2 asks again
	// Lever answers generation 1 late, with a list lacking the stage: had
	// it been stored, the trigger stage would read "drift".
	ask1.reply <- []string{"Offer"}
	ask2.reply <- []string{"Background Check", "Offer"}

	var sums []Summary
	for u := range updates {
		if u.Kind == UpdateCheckDone && u.Gen == first && u.Check.Name == CheckTriggerStage {
			t.Errorf("a superseded result was reported: %+v", u)
		}
		if u.Kind == UpdateRefreshDone {
			sums = append(sums, u.Summary)
			if len(sums) == 2 {
				stop()
			}
		}
	}
	if sums[0].Gen != first || sums[0].Dropped == 0 || !sums[0].Canceled {
		t.Errorf("first refresh: %+v", sums[0])
	}
	if sums[1].Gen <= first || findOutcome(t, sums[1], "certn-lever", CheckTriggerStage).Result != ResultValid {
		t.Errorf("second refresh: %+v", sums[1])
	}
	if c := storedCheck(t, e, "certn-lever", CheckTriggerStage); c.Result != ResultValid {
		t.Errorf("stored %+v: the superseded answer overwrote the current one", c)
	}
}

// Triggers while a refresh runs coalesce into one more refresh, and
// refreshes never overlap, whoever asks for them.
func TestRefreshesCoalesceAndNeverOverlap(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	fake := newBlockingChecker()
	e.svc.Vendors = fake
	r := NewRefresher(e.svc, RefreshOptions{Interval: time.Hour, CheckTimeout: time.Minute})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	updates := r.Start(ctx)

	ask := <-fake.asks // the first refresh is in flight
	for range 10 {
		r.Trigger()
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.RefreshAll(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	// Answer every stage list: the first refresh's, then those of the
	// coalesced triggers' refresh and of the three RefreshAll calls, which
	// run one at a time.
	ask.reply <- []string{"Background Check"}
	go func() {
		for a := range fake.asks {
			a.reply <- []string{"Background Check"}
		}
	}()
	wg.Wait()

	running, started, done := false, 0, 0
	for done < 5 {
		u := <-updates
		switch u.Kind {
		case UpdateRefreshStarted:
			if running {
				t.Fatalf("refresh %d started while another ran", u.Gen)
			}
			running = true
			started++
		case UpdateRefreshDone:
			running = false
			done++
		}
	}
	stop()
	for u := range updates {
		if u.Kind == UpdateRefreshStarted {
			started++
		}
	}
	if started != 5 {
		t.Errorf("%d refreshes, want 5: ten triggers during one refresh must coalesce into one", started)
	}
	close(fake.asks)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.calls != 5 {
		t.Errorf("%d stage lists asked for, want 5", fake.calls)
	}
}

func TestRefreshUpdatesStream(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	vendors := e.svc.Vendors.(*Vendors)
	r := NewRefresher(e.svc, RefreshOptions{Interval: time.Hour})
	vendors.OnCall = r.RecordCall
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	updates := r.Start(ctx)

	var planned []CheckRef
	startedChecks, doneChecks := map[string]bool{}, map[string]bool{}
	calls := 0
	for u := range updates {
		switch u.Kind {
		case UpdateRefreshStarted:
			planned = u.Planned
		case UpdateCheckStarted:
			startedChecks[u.Check.Name] = true
		case UpdateCheckDone:
			if !startedChecks[u.Check.Name] {
				t.Errorf("%s done before it started", u.Check.Name)
			}
			doneChecks[u.Check.Name] = true
			if u.Result.Result != ResultValid || u.Result.CheckedAt.IsZero() {
				t.Errorf("%s: %+v", u.Check.Name, u.Result)
			}
		case UpdateCall:
			calls++
			if u.Call.Vendor != "lever" || u.Call.Method != "GET" || u.Call.Status != 200 || strings.Contains(u.Call.Path, "?") {
				t.Errorf("call %+v", u.Call)
			}
		case UpdateRefreshDone:
			stop()
		}
	}
	if len(planned) != 4 || len(doneChecks) != 4 {
		t.Errorf("planned %v, done %v", planned, doneChecks)
	}
	if calls != 3 {
		t.Errorf("%d calls in the log, want 3: /stages, /tags and the /opportunities probe, once each", calls)
	}
}

// One refresh asks Lever for each list once per key: the key check, the
// trigger stage and the tag counts share the answers (issue 14.5).
func TestRefreshAsksLeverOncePerListAndKey(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	r := NewRefresher(e.svc, RefreshOptions{Interval: time.Hour})
	for round := range 2 {
		e.srv.Lever.ResetRequests()
		s, err := r.RefreshAll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{SecretCheckName("api_key"), CheckTriggerStage, CheckCertnTags} {
			if o := findOutcome(t, s, "certn-lever", name); o.Result != ResultValid {
				t.Errorf("refresh %d: %s: %+v", round, name, o)
			}
		}
		for _, path := range []string{"/stages", "/tags", "/opportunities"} {
			if n := e.srv.Lever.RequestsTo(path); n != 1 {
				t.Errorf("refresh %d: %d requests to %s, want 1", round, n, path)
			}
		}
	}
}

func TestRefreshAllBoundedByContext(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	e.srv.Lever.SetFault(standin.Fault{Kind: standin.FaultTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	sum, err := NewRefresher(e.svc, RefreshOptions{CheckTimeout: time.Minute}).RefreshAll(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !sum.Canceled || sum.Dropped != 3 {
		t.Fatalf("err %v, summary %+v", err, sum)
	}
	// What was not answered keeps its stored result.
	if c := storedCheck(t, e, "certn-lever", CheckTriggerStage); c.Result != ResultValid {
		t.Errorf("stored %+v", c)
	}
}

func TestRecordCallWithoutListenerIsANoop(t *testing.T) {
	e := newLiveEnv(t)
	r := NewRefresher(e.svc, RefreshOptions{})
	r.RecordCall(httpx.Call{Vendor: "lever", Method: "GET", Path: "/stages", Status: 200})
}

func TestParseRefreshInterval(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"60s", time.Minute, false},
		{" 2m ", 2 * time.Minute, false},
		{"5s", 5 * time.Second, false},
		{"1s", 0, true},
		{"25h", 0, true},
		{"sixty", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseRefreshInterval(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRefreshInterval(%q) = %s, %v", tt.in, got, err)
		}
	}
}

func TestCertnTagSummary(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]int
		want string
	}{
		{"none", map[string]int{"Engineering": 3}, "no candidate carries a CERTN tag yet"},
		{"in Certn's order", map[string]int{"CERTN - Complete (Clear)": 9, "CERTN - Submitted": 4, "CERTN - In Progress": 2, "Sales": 1},
			"Submitted 4 · In Progress 2 · Complete (Clear) 9"},
		{"unknown statuses last, sorted", map[string]int{"CERTN - Pending": 1, "CERTN - Archived": 2, "CERTN - ERROR (No Email)": 1},
			"ERROR (No Email) 1 · Archived 2 · Pending 1"},
		{"zero counts left out", map[string]int{"CERTN - Submitted": 0, "CERTN - In Progress": 1}, "In Progress 1"},
	}
	for _, tt := range tests {
		if got := CertnTagSummary(tt.tags); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// An account with thousands of CERTN tags keeps Certn's statuses and a
// bounded number of others: the rest are counted together, so the stored
// counts, the metrics series and the words stay short and no candidate is
// lost from the total.
func TestCertnTagCountsStayBounded(t *testing.T) {
	tags := map[string]int{"CERTN - Submitted": 4, "CERTN - Complete (Clear)": 9, "CERTN - Pending": 2, "Sales": 7}
	total := 15
	for i := range 5000 {
		tags[fmt.Sprintf("CERTN - batch %04d", i)] = 1
		total++
	}
	counts := CertnTagCounts(tags)
	if len(counts) != 3+maxOtherCertnTags+1 || counts["CERTN - Pending"] != 2 {
		t.Errorf("%d counts kept (Pending %d), want %d with the article's Pending", len(counts), counts["CERTN - Pending"], 3+maxOtherCertnTags+1)
	}
	sum := 0
	for _, n := range counts {
		sum += n
	}
	if sum != total || counts[CertnTagOther] != 5000-maxOtherCertnTags || counts["CERTN - batch 0000"] != 1 {
		t.Errorf("the counts lose candidates: sum %d of %d, other %d", sum, total, counts[CertnTagOther])
	}
	words := CertnTagSummary(counts)
	if !strings.HasPrefix(words, "Submitted 4 · Complete (Clear) 9 · Pending 2 · batch 0000 1") || !strings.HasSuffix(words, "(other tags) 4984") || len(words) > 600 {
		t.Errorf("summary of %d bytes: %q", len(words), words)
	}
}
