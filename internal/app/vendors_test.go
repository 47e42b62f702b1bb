package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/clients/vetty"
	"github.com/patchbay/patchbay/internal/steps"
)

var vettyKeyValues = map[string]string{"user": "Priya Shah", "ip_allowlist": "203.0.113.0/24", "expiry_months": "24"}

// check runs one step's live check, failing the test on an error.
func (e *testEnv) check(t *testing.T, integration, step string, values map[string]string, key string) (Submission, Outcome) {
	t.Helper()
	sub := Submission{Integration: integration, Step: step, Values: values, Secrets: map[string]string{"api_key": key}}
	out, err := e.svc.Check(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	return sub, out
}

func (e *testEnv) refresh(t *testing.T) Summary {
	t.Helper()
	sum, err := NewRefresher(e.svc, RefreshOptions{}).RefreshAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func (e *testEnv) checkView(t *testing.T, integration, name string) CheckView {
	t.Helper()
	for _, c := range e.integration(t, integration).Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %s in %s", name, integration)
	return CheckView{}
}

// Lever counts requests per key: every client patchbay builds for one key
// draws from one limiter, whatever the region or the check.
func TestLeverLimiterIsSharedPerKey(t *testing.T) {
	v := newLiveVendors(newLiveEnv(t).srv)
	a, err := v.lever("us", "lever-key-one-000000")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := v.lever("eu", "lever-key-one-000000")
	other, _ := v.lever("us", "lever-key-two-000000")
	if a.API().Limiter() == nil || a.API().Limiter() != b.API().Limiter() {
		t.Fatal("two clients for one key got two limiters")
	}
	if a.API().Limiter() == other.API().Limiter() {
		t.Fatal("two keys share a limiter")
	}
	va, _ := v.vetty("vetty-key-one-0000000")
	vb, _ := v.vetty("vetty-key-one-0000000")
	if va.API().Limiter() != vb.API().Limiter() || va.API().Limiter() == a.API().Limiter() {
		t.Fatal("Vetty's limiter is not per key")
	}
}

// Vetty binds keys to IP ranges: the hint reaches the step, the dashboard
// and the stored detail `status` and --json print, for 401 and 403 alike.
func TestVettyIPRangeHintOnEverySurface(t *testing.T) {
	for _, tc := range []struct{ key, result string }{
		{"vetty-invalid-key-000000", ResultUnauthorized},
		{"vetty-forbidden-key-0000", ResultForbidden},
	} {
		t.Run(tc.result, func(t *testing.T) {
			e := newLiveEnv(t)
			liveVettyChattr(t, e, liveVettyKey)
			_, out := e.check(t, "vetty-chattr", "vetty-key", vettyKeyValues, tc.key)
			if out.OK || out.Unreachable || !strings.Contains(out.Detail, vetty.IPRangeHint) || !strings.Contains(out.Fix, "IP Address field") {
				t.Fatalf("step: %+v", out)
			}
			setLiveSecret(t, e, "vetty-chattr", "api_key", tc.key)
			got := findOutcome(t, e.refresh(t), "vetty-chattr", SecretCheckName("api_key"))
			if got.Result != tc.result || !strings.Contains(got.Detail, vetty.IPRangeHint) {
				t.Fatalf("dashboard: %+v", got)
			}
			if c := e.checkView(t, "vetty-chattr", SecretCheckName("api_key")); !strings.Contains(c.Detail, vetty.IPRangeHint) {
				t.Fatalf("stored detail: %q", c.Detail)
			}
		})
	}
}

// A 404 on Vetty's inferred /packages is no network problem: the step and
// the dashboard name the guess and the override, the result is unknown, and
// nothing is recorded as proven.
func TestVettyNotFoundNamesTheInferredListing(t *testing.T) {
	e := newLiveEnv(t)
	e.srv.Vetty.SetFault(standin.Fault{Kind: standin.FaultNotFound, Path: "/packages"})
	sub, out := e.check(t, "vetty-chattr", "vetty-key", vettyKeyValues, liveVettyKey)
	if out.OK || out.Unreachable || !out.Guess || out.Result != ResultUnknown {
		t.Fatalf("outcome %+v, want an unknown naming a guess", out)
	}
	for _, want := range []string{"GET /packages", "is inferred, not documented by Vetty", "PATCHBAY_VETTY_URL"} {
		if !strings.Contains(out.Detail, want) || !strings.Contains(out.Fix, "PATCHBAY_VETTY_URL") {
			t.Errorf("detail %q / fix %q: no %q", out.Detail, out.Fix, want)
		}
	}
	if strings.Contains(out.Fix, "check the network") {
		t.Errorf("fix blames the network: %q", out.Fix)
	}
	if err := e.svc.Complete(context.Background(), sub, out); !errors.Is(err, ErrCheckFailed) {
		t.Fatalf("complete through a failed guess: %v", err)
	}
	e.srv.Vetty.ClearFault()
	liveVettyChattr(t, e, liveVettyKey)
	e.srv.Vetty.SetFault(standin.Fault{Kind: standin.FaultNotFound, Path: "/packages"})
	got := findOutcome(t, e.refresh(t), "vetty-chattr", SecretCheckName("api_key"))
	if got.Result != ResultUnknown || !strings.Contains(got.Detail, "PATCHBAY_VETTY_URL") {
		t.Fatalf("dashboard: %+v", got)
	}
	if c := e.checkView(t, "vetty-chattr", SecretCheckName("api_key")); c.Result != ResultUnknown || !strings.Contains(c.Detail, "PATCHBAY_VETTY_URL") {
		t.Fatalf("stored %+v", c)
	}
}

// A wrongly guessed EU address (a name that does not resolve) is unknown
// and names the guess and PATCHBAY_LEVER_URL, on the step and the
// dashboard; the step is not recorded and no vendor backoff starts.
func TestWrongEUAddressIsUnknownAndNamed(t *testing.T) {
	e := newLiveEnv(t)
	vs := e.svc.Vendors.(*Vendors)
	vs.URLs.LeverEU = standin.UnresolvableLeverEU
	const want = "patchbay's Lever EU address (api.eu.lever.co) is inferred, not documented by Lever; " +
		"if your Lever account is in the EU and this persists, set PATCHBAY_LEVER_URL to the API address Lever gives you"
	sub, out := e.check(t, "certn-lever", "lever-key", map[string]string{"region": "eu"}, liveCertnKey)
	if out.OK || out.Unreachable || !out.Guess || out.Result != ResultUnknown || !strings.Contains(out.Detail, want) || !strings.Contains(out.Detail, "does not resolve") {
		t.Fatalf("outcome %+v", out)
	}
	if strings.Contains(out.Fix, "check the network") || !strings.Contains(out.Fix, "PATCHBAY_LEVER_URL") {
		t.Fatalf("fix %q", out.Fix)
	}
	if err := e.svc.Complete(context.Background(), sub, out); !errors.Is(err, ErrCheckFailed) {
		t.Fatalf("complete through a failed guess: %v", err)
	}
	vs.URLs.LeverEU = e.srv.LeverEUURL
	liveRun(t, e, "certn-lever", "lever-key", map[string]string{"region": "eu"}, map[string]string{"api_key": liveCertnKey})
	vs.URLs.LeverEU = standin.UnresolvableLeverEU
	sum := e.refresh(t)
	got := findOutcome(t, sum, "certn-lever", SecretCheckName("api_key"))
	if got.Result != ResultUnknown || !strings.Contains(got.Detail, want) {
		t.Fatalf("dashboard: %+v", got)
	}
	if len(sum.Skipped) != 0 {
		t.Errorf("a wrong guess counted as the vendor failing: %+v", sum.Skipped)
	}
}

// US and EU are separate Lever deployments: a key refused in the region
// chosen is tried once in the other, and the region that accepts it is
// recorded with the step.
func TestLeverKeyOfTheOtherRegionIsRecordedThere(t *testing.T) {
	e := newLiveEnv(t)
	e.svc.Vendors.(*Vendors).URLs.LeverEU = e.srv.LeverEUURL
	key := standin.EUAccountKey + "-lever-key-0123"
	sub, out := e.check(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, key)
	if !out.OK || out.Corrections["region"] != "eu" || !strings.Contains(out.Detail, "the key belongs to Lever EU, not US") {
		t.Fatalf("outcome %+v", out)
	}
	if err := e.svc.Complete(context.Background(), sub, out); err != nil {
		t.Fatal(err)
	}
	states, err := e.db.StepStates(context.Background(), e.svc.Profile, "certn-lever")
	if err != nil {
		t.Fatal(err)
	}
	if got := states["lever-key"].Values["region"]; got != "eu" {
		t.Fatalf("recorded region %q, want eu", got)
	}
	if got := findOutcome(t, e.refresh(t), "certn-lever", SecretCheckName("api_key")); got.Result != ResultValid {
		t.Fatalf("dashboard after the move: %+v", got)
	}
	if n := e.srv.LeverEU.Requests(); n == 0 {
		t.Fatal("the EU deployment was never asked")
	}

	// A key refused by both deployments is refused, with one try each.
	e.srv.Lever.ResetRequests()
	e.srv.LeverEU.ResetRequests()
	_, out = e.check(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, "invalid-lever-key-01234")
	if out.OK || out.Corrections != nil || out.Result != ResultUnauthorized || !strings.Contains(out.Detail, "refused (401)") {
		t.Fatalf("invalid key: %+v", out)
	}
	if n := e.srv.LeverEU.Requests(); n != 1 {
		t.Fatalf("the other region was asked %d times, want once", n)
	}
}

// On the dashboard, a recorded region the key does not belong to is drift
// naming the region to re-run the step with.
func TestRecordedRegionOfAnotherDeploymentIsDrift(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	e.svc.Vendors.(*Vendors).URLs.LeverEU = e.srv.LeverEUURL
	setLiveSecret(t, e, "certn-lever", "api_key", standin.EUAccountKey+"-lever-key-0123")
	got := findOutcome(t, e.refresh(t), "certn-lever", SecretCheckName("api_key"))
	if got.Result != ResultDrift || !strings.Contains(got.Detail, "region EU") {
		t.Fatalf("dashboard: %+v", got)
	}
}

// ChartHop's Lever key must read confidential requisitions too; a key
// without confidential access is refused there and the step says why.
func TestChartHopLeverKeyWithoutConfidentialAccess(t *testing.T) {
	e := newLiveEnv(t)
	values := map[string]string{"region": "us", "write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"}
	_, out := e.check(t, "charthop-lever", "lever-key", values, standin.NoConfidentialKey+"-lever-key-01")
	if out.OK || out.Unreachable || !strings.Contains(out.Detail, "confidentiality=confidential") || !strings.Contains(out.Detail, "confidential requisitions") {
		t.Fatalf("outcome %+v", out)
	}
	for _, want := range []string{"confidential access", "Requisition Management add-on", "Super Admin", "API management"} {
		if !strings.Contains(out.Fix, want) {
			t.Errorf("fix %q: no %q", out.Fix, want)
		}
	}
	liveCharthopLever(t, e, liveCharthopKey)
	setLiveSecret(t, e, "charthop-lever", "api_key", standin.NoConfidentialKey+"-lever-key-01")
	got := findOutcome(t, e.refresh(t), "charthop-lever", SecretCheckName("api_key"))
	if got.Result != ResultForbidden || !strings.Contains(got.Detail, "confidential access") {
		t.Fatalf("dashboard: %+v", got)
	}
}

// A Lever page with hasNext and no next must not end the stage list short:
// the trigger stage on the missing page would show as false drift.
func TestStagesWithoutNextAreNotFalseDrift(t *testing.T) {
	e := newTestEnv(t) // three stages a page: "Background Check" is on page 3
	e.completeCertnLever(t, "lever-key-0123456789ab")
	e.srv.Lever.SetFault(standin.Fault{Kind: standin.FaultNoNext, Path: "/stages"})
	got := findOutcome(t, e.refresh(t), "certn-lever", CheckTriggerStage)
	if got.Result == ResultDrift || got.Result == ResultValid || !strings.Contains(got.Detail, "no next token") {
		t.Fatalf("trigger stage: %+v", got)
	}
}

// A step run whose check failed on a guess says so (not "couldn't reach
// the vendor") and offers no unverified completion.
func TestStepRunFailureNamesAGuess(t *testing.T) {
	e := newLiveEnv(t)
	e.srv.Vetty.SetFault(standin.Fault{Kind: standin.FaultNotFound, Path: "/packages"})
	_, out := e.check(t, "vetty-chattr", "vetty-key", vettyKeyValues, liveVettyKey)
	run := loadedRun(t, "vetty-chattr", "vetty-key", StepView{}, StepLoad{})
	if p := run.Submit(vettyKeyValues, map[string]string{"api_key": liveVettyKey}); p != nil {
		t.Fatalf("answers refused: %+v", p)
	}
	run.Checked(out, nil, time.Second)
	f := run.Failure()
	if !f.Guess || f.Unreachable || run.CanCompleteUnverified() || !strings.Contains(f.Fix, "PATCHBAY_VETTY_URL") {
		t.Fatalf("failure %+v", f)
	}
}

// An endpoint override replaces a vendor's own address for the vendor it
// names only; without overrides every vendor answers at its own address.
func TestOverrideNamesOnlyTheOverriddenVendor(t *testing.T) {
	if got := (&Vendors{}).Override("lever"); got != "" {
		t.Fatalf("no URLs: override %q", got)
	}
	v := &Vendors{URLs: &URLs{Lever: "http://127.0.0.1:9/lever/v1"}}
	if got := v.Override("lever"); got != "http://127.0.0.1:9/lever/v1" {
		t.Fatalf("lever override %q", got)
	}
	if got := v.Override("vetty"); got != "" {
		t.Fatalf("vetty override %q", got)
	}
}

// An unreachable vendor is worded by the innermost cause, not the whole
// chain of wrapped messages.
func TestUnreachableSaysTheInnermostCause(t *testing.T) {
	err := fmt.Errorf("lever GET /stages: %w: dial tcp 127.0.0.1:9: connect: connection refused", httpx.ErrUnreachable)
	if got := Classify(err); got.Result != ResultUnreachable || got.Detail != "could not be reached: connection refused" {
		t.Fatalf("Classify = %+v", got)
	}
	if got := lastPart(errors.New("no separator")); got != "no separator" {
		t.Fatalf("lastPart = %q", got)
	}
}

// A refused key's fix says where the key comes from when the step has no
// advice of its own.
func TestRefusedKeyFixNamesWhereTheKeyComesFrom(t *testing.T) {
	e := newLiveEnv(t)
	_, out := e.check(t, "vetty-chattr", "vetty-key", vettyKeyValues, "vetty-invalid-key-000000")
	in, _ := steps.Lookup("vetty-chattr")
	st, _ := in.Step("vetty-key")
	if st.Refused != "" {
		t.Fatalf("%s now has advice of its own for a refused key: test a step without", st.ID)
	}
	if !strings.Contains(out.Fix, "from "+st.Where) {
		t.Fatalf("fix %q does not name %q", out.Fix, st.Where)
	}
}

// A ChartHop Lever key that reads everything, confidential requisitions
// included, passes, and the step says its write permissions stay attested.
func TestChartHopLeverKeyReadingEverythingPasses(t *testing.T) {
	e := newLiveEnv(t)
	values := map[string]string{"region": "us", "write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"}
	_, out := e.check(t, "charthop-lever", "lever-key", values, liveCharthopKey)
	if !out.OK || !strings.Contains(out.Detail, "confidentiality=confidential") || !strings.Contains(out.Detail, "write permissions cannot be read back") {
		t.Fatalf("outcome %+v", out)
	}
	_, out = e.check(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, liveCertnKey)
	if !out.OK || strings.Contains(out.Detail, "write permissions") {
		t.Fatalf("certn outcome %+v", out)
	}
}
