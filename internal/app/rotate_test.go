package app

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Secrets used by the rotation tests; each is long enough to have a last 4.
const (
	vettyKey1    = "vetty-key-first-000000-v1a1"
	vettyKey2    = "vetty-key-second-00000-v2b2"
	leverKey1    = "lever-key-first-0000-1111-l1c1"
	leverKey2    = "lever-key-second-000-2222-l2d2"
	signToken1   = "sig-token-0123456789abcdef"
	signToken2   = "sig-token-fedcba9876543210-s2e2"
	chLeverKey1  = "charthop-lever-key-0000-h1f1"
	chLeverKey2  = "charthop-lever-key-1111-h2g2"
	chWebhook1   = "charthop-webhook-secret-w1h1"
	chWebhook2   = "charthop-webhook-secret-w2i2"
	vettyExpired = "vetty-key-expiring-0000-x1j1"
)

var allTestSecrets = []string{vettyKey1, vettyKey2, leverKey1, leverKey2, signToken1, signToken2,
	chLeverKey1, chLeverKey2, chWebhook1, chWebhook2, vettyExpired}

func (e *testEnv) completeVettyChattr(t *testing.T, key, months string) {
	t.Helper()
	const in = "vetty-chattr"
	e.run(t, in, "vetty-key", map[string]string{"user": "ops@acme.test", "ip_allowlist": "0.0.0.0/0", "expiry_months": months}, map[string]string{"api_key": key})
	e.run(t, in, "vetty-webhook", map[string]string{"confirmed": "true"}, nil)
	e.run(t, in, "chattr-connect", map[string]string{"token_status": "valid", "confirmed": "true"}, nil)
	e.run(t, in, "chattr-packages", map[string]string{"packages": "Driver=Driver (MVR);Warehouse Associate=Basic"}, nil)
}

func (e *testEnv) completeChartHopLever(t *testing.T) {
	t.Helper()
	const in = "charthop-lever"
	e.run(t, in, "lever-key", map[string]string{"region": "us", "write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"}, map[string]string{"api_key": chLeverKey1})
	e.run(t, in, "charthop-install", map[string]string{"confirmed": "true"}, nil)
	e.run(t, in, "charthop-connect", map[string]string{"confirmed": "true"}, nil)
	e.run(t, in, "charthop-source", map[string]string{"source": "charthop"}, nil)
	e.run(t, in, "charthop-options", map[string]string{"run_daily": "true", "sync_on_change": "true", "reverse_sync": "false", "reconciliation": "true", "remote_location_default": "false"}, nil)
	e.run(t, in, "charthop-webhook-secret", nil, map[string]string{"webhook_secret": chWebhook1})
	e.run(t, in, "charthop-hire-webhook", map[string]string{"confirmed": "true"}, nil)
}

func (e *testEnv) completeAll(t *testing.T) {
	t.Helper()
	e.completeVettyChattr(t, vettyKey1, "24")
	e.completeCertnLever(t, leverKey1) // stores signToken1 as the signing token
	e.completeChartHopLever(t)
}

func (e *testEnv) stored(t *testing.T, account string) (string, bool) {
	t.Helper()
	v, err := e.mem.Get(context.Background(), account)
	if errors.Is(err, secrets.ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return v, true
}

func (e *testEnv) status(t *testing.T, integration string) IntegrationStatus {
	t.Helper()
	r, err := e.svc.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range r.Integrations {
		if in.ID == integration {
			return in
		}
	}
	t.Fatalf("no integration %s in status", integration)
	return IntegrationStatus{}
}

func secretStatus(t *testing.T, is IntegrationStatus, key string) SecretStatus {
	t.Helper()
	for _, s := range is.Secrets {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("%s has no secret %s in status", is.ID, key)
	return SecretStatus{}
}

func stepStatuses(is IntegrationStatus) map[string]steps.Status {
	out := map[string]steps.Status{}
	for _, s := range is.Steps {
		out[s.ID] = s.Status
	}
	return out
}

func TestRotateKeepsThePreviousAndMarksTheStepsThatHandedItOn(t *testing.T) {
	cases := []struct {
		integration, key string
		old, new         string
		values           map[string]string
		creating         string
		wantRerun        []string
	}{
		{"vetty-chattr", "api_key", vettyKey1, vettyKey2, nil, "vetty-key", []string{"chattr-connect"}},
		{"certn-lever", "api_key", leverKey1, leverKey2, nil, "lever-key", []string{"certn-credentials"}},
		{"certn-lever", "signing_token", signToken1, signToken2, nil, "lever-signing-token", []string{"certn-credentials"}},
		{"charthop-lever", "api_key", chLeverKey1, chLeverKey2, nil, "lever-key", []string{"charthop-connect"}},
		// Lever holds the webhook secret: the hire-webhook step hands it on.
		{"charthop-lever", "webhook_secret", chWebhook1, chWebhook2, nil, "charthop-webhook-secret", []string{"charthop-hire-webhook"}},
	}
	for _, tc := range cases {
		t.Run(tc.integration+"/"+tc.key, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			e.completeAll(t)
			e.now = e.now.Add(time.Hour)
			account := secrets.Account("acme", tc.integration, tc.key)

			res, err := e.svc.Rotate(ctx, RotateRequest{Integration: tc.integration, Key: tc.key, NewValue: "  " + tc.new + "\n"})
			if err != nil {
				t.Fatalf("rotate: %v", err)
			}
			if !res.Rotated || !res.PreviousKept || res.Step != tc.creating {
				t.Errorf("result %+v, want rotated with the previous kept, step %s", res, tc.creating)
			}
			if res.OldLast4 != Last4(tc.old) || res.NewLast4 != Last4(tc.new) {
				t.Errorf("last4 %s → %s, want %s → %s", res.OldLast4, res.NewLast4, Last4(tc.old), Last4(tc.new))
			}
			if !slices.Equal(res.NeedsRerun, tc.wantRerun) {
				t.Errorf("needs re-run %v, want %v", res.NeedsRerun, tc.wantRerun)
			}
			if res.Revoke == "" {
				t.Error("no revocation guidance")
			}

			// The store: the new value in place, the old one kept, no staging.
			if v, _ := e.stored(t, account); v != tc.new {
				t.Errorf("current value is the %s one", map[bool]string{true: "old", false: "wrong"}[v == tc.old])
			}
			if v, ok := e.stored(t, account+".previous"); !ok || v != tc.old {
				t.Errorf("previous copy kept=%v, and is the old value=%v", ok, v == tc.old)
			}
			if _, ok := e.stored(t, account+".staging"); ok {
				t.Error("a staging entry was left behind")
			}
			if ops, _ := e.db.PendingOps(ctx, ""); len(ops) != 0 {
				t.Errorf("pending ops left: %+v", ops)
			}

			// The database, through status.
			is := e.status(t, tc.integration)
			sec := secretStatus(t, is, tc.key)
			if !sec.PreviousKept || sec.Last4 != Last4(tc.new) || !sec.CreatedAt.Equal(e.now) {
				t.Errorf("status secret %+v: want previous_kept, last4 %s, created now", sec, Last4(tc.new))
			}
			for id, status := range stepStatuses(is) {
				want := steps.StatusDone
				if slices.Contains(tc.wantRerun, id) {
					want = steps.StatusNeedsRerun
				}
				if status != want {
					t.Errorf("%s is %s, want %s", id, status, want)
				}
			}
			wantState := steps.StateComplete
			if len(tc.wantRerun) > 0 {
				wantState = steps.StateNeedsAttention
			}
			if is.State != wantState {
				t.Errorf("state %s, want %s", is.State, wantState)
			}
			// The other integrations are untouched.
			for _, other := range steps.IntegrationIDs() {
				if other == tc.integration {
					continue
				}
				if st := e.status(t, other).State; st != steps.StateComplete {
					t.Errorf("%s became %s", other, st)
				}
			}

			// The history holds the rotation, by last 4 only.
			evs, err := e.db.Events(ctx, store.EventFilter{Profile: "acme", Integration: tc.integration})
			if err != nil {
				t.Fatal(err)
			}
			var rotation *store.Event
			for i := range evs {
				if evs[i].Kind == store.EventRotation {
					rotation = &evs[i]
				}
			}
			if rotation == nil {
				t.Fatalf("no rotation event in %+v", evs)
			}
			if !strings.Contains(rotation.Summary, Last4(tc.old)) || !strings.Contains(rotation.Summary, Last4(tc.new)) {
				t.Errorf("rotation summary %q does not name both endings", rotation.Summary)
			}
			assertNoSecretIn(t, evs)
		})
	}
}

// assertNoSecretIn fails when an event carries any test secret.
func assertNoSecretIn(t *testing.T, evs []store.Event) {
	t.Helper()
	for _, ev := range evs {
		text := ev.Summary
		for k, v := range ev.Detail {
			text += " " + k + "=" + v
		}
		for _, s := range allTestSecrets {
			if strings.Contains(text, s) {
				t.Errorf("event %s %q holds a secret", ev.Kind, ev.Summary)
			}
		}
	}
}

// snapshot is everything a refused rotation must leave as it was.
type snapshot struct {
	states  map[string]map[string]store.StepState
	metas   []store.SecretMeta
	checks  []store.CheckResult
	entries map[string]string
	ops     int
}

func (e *testEnv) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	var sn snapshot
	var err error
	if sn.states, err = e.db.AllStepStates(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if sn.metas, err = e.db.Secrets(ctx, "acme", ""); err != nil {
		t.Fatal(err)
	}
	if sn.checks, err = e.db.Checks(ctx, "acme", ""); err != nil {
		t.Fatal(err)
	}
	accounts, err := e.mem.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sn.entries = map[string]string{}
	for _, a := range accounts {
		sn.entries[a], _ = e.stored(t, a)
	}
	ops, err := e.db.PendingOps(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sn.ops = len(ops)
	return sn
}

func TestRotateWithARefusedSecretChangesNothing(t *testing.T) {
	cases := []struct {
		name, integration, key, value string
		offline                       bool
		wantErr                       error
	}{
		{"lever refuses the key", "certn-lever", "api_key", "an-invalid-lever-key-0000", false, ErrCheckFailed},
		{"lever forbids an endpoint", "certn-lever", "api_key", "a-forbidden-lever-key-000", false, ErrCheckFailed},
		{"vetty refuses the key", "vetty-chattr", "api_key", "vetty-invalid-key-0000000", false, ErrCheckFailed},
		{"charthop's lever key refused", "charthop-lever", "api_key", "charthop-invalid-key-0000", false, ErrCheckFailed},
		{"lever unreachable", "certn-lever", "api_key", leverKey2, true, ErrNotVerified},
		{"vetty unreachable", "vetty-chattr", "api_key", vettyKey2, true, ErrNotVerified},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			e.completeAll(t)
			before := e.snapshot(t)
			nBefore, _ := e.db.CountEvents(ctx, store.EventFilter{Profile: "acme"})
			if tc.offline {
				e.srv.Close()
			}
			res, err := e.svc.Rotate(ctx, RotateRequest{Integration: tc.integration, Key: tc.key, NewValue: tc.value})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("rotate: %v, want %v", err, tc.wantErr)
			}
			if res.Rotated || res.Outcome.OK || res.Outcome.Detail == "" {
				t.Errorf("result %+v: want a failed outcome that says why", res)
			}
			if strings.Contains(err.Error()+res.Outcome.Detail+res.Outcome.Fix, tc.value) {
				t.Error("the error repeats the secret")
			}
			after := e.snapshot(t)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("a refused rotation changed state:\nbefore %+v\nafter  %+v", before, after)
			}
			// Only the attempt is recorded.
			evs, _ := e.db.Events(ctx, store.EventFilter{Profile: "acme"})
			if len(evs) != nBefore+1 || evs[0].Kind != store.EventVerification || !strings.Contains(evs[0].Summary, "nothing was changed") {
				t.Errorf("want one verification event saying nothing changed; newest %+v (%d → %d events)", evs[0], nBefore, len(evs))
			}
			assertNoSecretIn(t, evs)
		})
	}
}

func TestRotateUnverifiedWhenAllowed(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeCertnLever(t, leverKey1)
	e.srv.Close()
	res, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2, AllowUnverified: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rotated || res.Outcome.OK || !res.Outcome.Unreachable {
		t.Fatalf("result %+v, want rotated although unreachable", res)
	}
	is := e.status(t, "certn-lever")
	if p := is.Steps[0].Proof; p == nil || *p != steps.ProofUnverified {
		t.Errorf("lever-key proof %v, want unverified", p)
	}
	if sec := secretStatus(t, is, "api_key"); sec.LastVerifiedAt != nil || sec.Live != ResultUnreachable {
		t.Errorf("secret %+v: want never verified, live unreachable", sec)
	}
}

func TestRotateRefusals(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	cases := []struct {
		name, integration, key, value string
		wantErr                       error
	}{
		{"nothing stored yet", "certn-lever", "api_key", leverKey2, ErrNothingToRotate},
		{"unknown secret", "certn-lever", "webhook_url", leverKey2, steps.ErrUnknownSecret},
		{"unknown integration", "lever-certn", "api_key", leverKey2, steps.ErrUnknownIntegration},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: tc.integration, Key: tc.key, NewValue: tc.value}); !errors.Is(err, tc.wantErr) {
				t.Fatalf("rotate: %v, want %v", err, tc.wantErr)
			}
		})
	}
	e.completeCertnLever(t, leverKey1)
	t.Run("the same secret again", func(t *testing.T) {
		_, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey1 + "\n"})
		if !errors.Is(err, ErrSameSecret) {
			t.Fatalf("rotate: %v, want ErrSameSecret", err)
		}
	})
	t.Run("an empty secret", func(t *testing.T) {
		_, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: "  "})
		if !errors.Is(err, steps.ErrMissingValue) {
			t.Fatalf("rotate: %v, want ErrMissingValue", err)
		}
	})
	t.Run("an answer the step does not have", func(t *testing.T) {
		_, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2, Values: map[string]string{"regoin": "eu"}})
		if !errors.Is(err, steps.ErrUnknownField) {
			t.Fatalf("rotate: %v, want ErrUnknownField", err)
		}
	})
}

func TestRotateWaitsForTheRevocationOfThePrevious(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeCertnLever(t, leverKey1)
	account := secrets.Account("acme", "certn-lever", "api_key")
	if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2}); err != nil {
		t.Fatal(err)
	}
	const third = "lever-key-third-000-3333-l3k3"
	_, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: third})
	if !errors.Is(err, ErrPreviousKept) || !strings.Contains(err.Error(), "patchbay rotate --revoked certn-lever/api_key") {
		t.Fatalf("second rotation: %v, want ErrPreviousKept naming the command", err)
	}
	if v, _ := e.stored(t, account+".previous"); v != leverKey1 {
		t.Fatal("the refused rotation touched the previous copy")
	}

	last4, err := e.svc.ConfirmRevoked(ctx, "certn-lever", "api_key")
	if err != nil || last4 != Last4(leverKey1) {
		t.Fatalf("confirm revoked: %q, %v", last4, err)
	}
	if _, ok := e.stored(t, account+".previous"); ok {
		t.Error("the previous copy is still stored")
	}
	if v, _ := e.stored(t, account); v != leverKey2 {
		t.Error("the current key changed")
	}
	if sec := secretStatus(t, e.status(t, "certn-lever"), "api_key"); sec.PreviousKept {
		t.Error("status still says a previous copy is kept")
	}
	evs, _ := e.db.Events(ctx, store.EventFilter{Profile: "acme", Limit: 1})
	if evs[0].Kind != store.EventRevocation || !strings.Contains(evs[0].Summary, Last4(leverKey1)) {
		t.Errorf("newest event %+v, want the revocation", evs[0])
	}
	if _, err := e.svc.ConfirmRevoked(ctx, "certn-lever", "api_key"); !errors.Is(err, ErrNoPrevious) {
		t.Errorf("confirming twice: %v, want ErrNoPrevious", err)
	}
	if _, err := e.svc.ConfirmRevoked(ctx, "certn-lever", "signing_token"); !errors.Is(err, ErrNoPrevious) {
		t.Errorf("confirming a secret never stored: %v, want ErrNoPrevious", err)
	}

	// Now the next rotation may go ahead.
	if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: third}); err != nil {
		t.Fatalf("rotation after the revocation: %v", err)
	}
	if v, _ := e.stored(t, account+".previous"); v != leverKey2 {
		t.Error("the previous copy is not the second key")
	}
}

func TestRotateRepairsASecretTheStoreLost(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeCertnLever(t, leverKey1)
	account := secrets.Account("acme", "certn-lever", "api_key")
	if err := e.mem.Delete(ctx, account); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rotated || res.PreviousKept {
		t.Errorf("result %+v: want rotated with nothing kept", res)
	}
	if _, ok := e.stored(t, account+".previous"); ok {
		t.Error("a previous copy appeared from nowhere")
	}
	if sec := secretStatus(t, e.status(t, "certn-lever"), "api_key"); sec.PreviousKept {
		t.Error("status claims a previous copy")
	}
}

// A crash at any point of a rotation leaves the old secret current
// everywhere, or the new one with the old kept as previous; never a mix.
func TestRotateRecoversFromACrashAtEveryPoint(t *testing.T) {
	for _, stopAt := range []string{PointRecorded, PointStaged, PointCommitted, PointPromoted} {
		t.Run(stopAt, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			e.completeCertnLever(t, leverKey1)
			account := secrets.Account("acme", "certn-lever", "api_key")
			e.svc.Phase = func(p string) {
				if p == stopAt {
					panic(errCrash)
				}
			}
			func() {
				defer func() {
					if r := recover(); r != errCrash {
						t.Fatalf("recovered %v, want the simulated crash", r)
					}
				}()
				_, _ = e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2})
			}()
			e.svc.Phase = nil
			recovered, err := e.svc.Recover(ctx)
			if err != nil || len(recovered) != 1 {
				t.Fatalf("recover: %+v, %v", recovered, err)
			}
			finished := stopAt == PointCommitted || stopAt == PointPromoted
			wantAction := map[bool]string{true: "finished", false: "rolled back"}[finished]
			if recovered[0].Action != wantAction {
				t.Errorf("recovery %q, want %q", recovered[0].Action, wantAction)
			}
			cur, _ := e.stored(t, account)
			prev, hasPrev := e.stored(t, account+".previous")
			_, hasStaging := e.stored(t, account+".staging")
			is := e.status(t, "certn-lever")
			sec := secretStatus(t, is, "api_key")
			creds := stepStatuses(is)["certn-credentials"]
			if finished {
				if cur != leverKey2 || prev != leverKey1 || sec.Last4 != Last4(leverKey2) || !sec.PreviousKept || creds != steps.StatusNeedsRerun {
					t.Errorf("after a crash at %s: new current=%v, old kept=%v, db last4 %s previous_kept=%v, certn-credentials %s; want the new key everywhere",
						stopAt, cur == leverKey2, prev == leverKey1, sec.Last4, sec.PreviousKept, creds)
				}
			} else {
				if cur != leverKey1 || hasPrev || sec.Last4 != Last4(leverKey1) || sec.PreviousKept || creds != steps.StatusDone {
					t.Errorf("after a crash at %s: old current=%v, previous entry=%v, db last4 %s previous_kept=%v, certn-credentials %s; want the old key everywhere",
						stopAt, cur == leverKey1, hasPrev, sec.Last4, sec.PreviousKept, creds)
				}
			}
			if hasStaging {
				t.Error("a staging entry is left")
			}
			if orphans, err := e.svc.Orphans(ctx); err != nil || len(orphans) != 0 {
				t.Errorf("orphans after recovery: %+v, %v", orphans, err)
			}
		})
	}
}

func TestExpiryWarningsAndExpiredSecrets(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	created := e.now
	e.completeVettyChattr(t, vettyExpired, "2")
	expires := created.AddDate(0, 2, 0)
	if sec := secretStatus(t, e.status(t, "vetty-chattr"), "api_key"); sec.ExpiresAt == nil || !sec.ExpiresAt.Equal(expires) {
		t.Fatalf("expires_at %v, want %v (created + the 2 months answered)", sec.ExpiresAt, expires)
	}

	cases := []struct {
		name      string
		at        time.Time
		wantState steps.State
		warn      string // in Warnings
		attention string // in Attention
	}{
		{"fresh", created.Add(time.Hour), steps.StateComplete, "", ""},
		{"31 days left", expires.Add(-31 * 24 * time.Hour), steps.StateComplete, "", ""},
		{"29 days left", expires.Add(-29*24*time.Hour - time.Hour), steps.StateComplete, "expires in 29 day(s)", ""},
		{"one hour left", expires.Add(-time.Hour), steps.StateComplete, "expires in 0 day(s)", ""},
		{"expired", expires.Add(time.Hour), steps.StateNeedsAttention, "", "expired on " + expires.Format("2006-01-02")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.now = tc.at
			is := e.status(t, "vetty-chattr")
			if is.State != tc.wantState {
				t.Errorf("state %s, want %s (attention %v)", is.State, tc.wantState, is.Attention)
			}
			if got := strings.Join(is.Warnings, "\n"); (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
				t.Errorf("warnings %q, want %q", got, tc.warn)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(is.Warnings, ""), "patchbay rotate vetty-chattr/api_key") {
				t.Error("the warning does not say how to rotate")
			}
			if got := strings.Join(is.Attention, "\n"); (tc.attention == "") != (got == "") || !strings.Contains(got, tc.attention) {
				t.Errorf("attention %q, want %q", got, tc.attention)
			}
		})
	}

	// Rotating the expired key with a new lifetime clears the flag; the step
	// that handed the old key to Chattr now needs a re-run instead.
	e.now = expires.Add(48 * time.Hour)
	res, err := e.svc.Rotate(ctx, RotateRequest{Integration: "vetty-chattr", Key: "api_key", NewValue: vettyKey2, Values: map[string]string{"expiry_months": "12"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.now.AddDate(0, 12, 0); !res.ExpiresAt.Equal(want) {
		t.Errorf("new expiry %v, want %v", res.ExpiresAt, want)
	}
	is := e.status(t, "vetty-chattr")
	if len(is.Warnings) != 0 || len(is.Attention) != 1 || !strings.Contains(is.Attention[0], "chattr-connect") {
		t.Errorf("after the rotation: warnings %v, attention %v; want only chattr-connect's re-run", is.Warnings, is.Attention)
	}
	in, err := e.svc.StepInput(ctx, "vetty-chattr", "vetty-key")
	if err != nil || in.Values["expiry_months"] != "12" {
		t.Errorf("recorded expiry months %q, %v; want the rotation's answer", in.Values["expiry_months"], err)
	}
	// The re-run hands the new key on, and the integration is complete again.
	e.run(t, "vetty-chattr", "chattr-connect", map[string]string{"token_status": "valid", "confirmed": "true"}, nil)
	if st := e.status(t, "vetty-chattr").State; st != steps.StateComplete {
		t.Errorf("after re-running chattr-connect: %s, want complete", st)
	}
}

func TestPlanRotationShowsWhereToCreateTheNewCredential(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeVettyChattr(t, vettyKey1, "36")
	plan, err := e.svc.PlanRotation(ctx, "vetty-chattr", "api_key")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Step.ID != "vetty-key" || !strings.Contains(plan.Step.Where, "API Management") || len(plan.Step.Actions) == 0 {
		t.Errorf("plan step %s where %q: want vetty-key with its actions", plan.Step.ID, plan.Step.Where)
	}
	if plan.Values["expiry_months"] != "36" || plan.Current.Last4 != Last4(vettyKey1) || !slices.Equal(plan.HandsOn, []string{"chattr-connect"}) {
		t.Errorf("plan values %v, current %+v, hands on %v", plan.Values, plan.Current, plan.HandsOn)
	}
	if _, ok := plan.Values["api_key"]; ok {
		t.Error("the plan's values hold the secret")
	}
	if !maps.Equal(plan.Values, map[string]string{"user": "ops@acme.test", "ip_allowlist": "0.0.0.0/0", "expiry_months": "36"}) {
		t.Errorf("plan values %v", plan.Values)
	}
}
