package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/steps"
)

// The live-check table. Every check patchbay runs on what an admin entered
// is one entry, keyed by the steps.CheckKind that names it: a step's Check
// (run when the step is completed), a step's Drift (run by the dashboard
// on the step's recorded answers), an integration's Signals, and, for a
// stored secret, the Check of the step that creates it. Service.Check runs
// the entry of the step being completed, the refresher the entries the
// recorded state allows; both read the one Verdict an entry returns.
var liveChecks = map[steps.CheckKind]liveCheck{
	steps.CheckVettyKey: {vendor: VendorVetty, secret: "api_key", proof: steps.ProofVerified, run: checkVettyKey},
	steps.CheckLeverKeyCertn: {vendor: VendorLever, secret: "api_key", proof: steps.ProofVerified,
		run: leverKeyCheck(leverKeyNeeds{who: "Certn", endpoints: []string{"/stages", "/tags", "/opportunities"}})},
	steps.CheckLeverKeyChartHop: {vendor: VendorLever, secret: "api_key", proof: steps.ProofVerified,
		run: leverKeyCheck(leverKeyNeeds{who: "ChartHop", endpoints: []string{"/requisitions", lever.ConfidentialRequisitions, "/requisition_fields", "/postings", "/users"},
			note: "the write permissions cannot be read back, so they stay as you confirmed them"})},
	steps.CheckLeverSignature: {vendor: VendorLocal, secret: "signing_token", proof: steps.ProofChecked, run: checkSignature},
	steps.CheckLeverStage: {vendor: VendorLever, secret: "api_key", row: CheckTriggerStage, proof: steps.ProofVerified,
		run: checkLeverStage},
	steps.CheckVettyPackages: {vendor: VendorVetty, secret: "api_key", row: CheckPackageMapping, proof: steps.ProofVerified,
		run: checkVettyPackages},
	steps.CheckOptionRules: {vendor: VendorLocal, row: CheckOptionRules, proof: steps.ProofChecked, run: checkOptionRules},
	steps.CheckCertnTags:   {vendor: VendorLever, secret: "api_key", row: CheckCertnTags, run: checkCertnTags},
}

// liveCheck is one entry of the table.
type liveCheck struct {
	// vendor is whose API the check calls (VendorLocal: none); the
	// refresher bounds and backs off checks per vendor.
	vendor string
	// secret is the integration's secret the check reads, "" for none.
	secret string
	// row names the dashboard row of a Drift or Signals run; a secret's
	// own check is named SecretCheckName.
	row string
	// proof is what the check proves when a step passes it.
	proof steps.Proof
	run   func(ctx context.Context, a *asker, c checkInput) Verdict
}

// checkInput is what one run of a check reads.
type checkInput struct {
	in     steps.Integration
	step   steps.Step        // the step whose answers are checked; zero for a signal
	values map[string]string // that step's answers
	prior  steps.Answers     // the integration's recorded answers
	secret string            // the key of the secret the entry reads
	key    string            // its value
	region string            // the Lever region, for Lever checks
	// recorded: the check re-reads what is recorded (the dashboard), not
	// answers being entered; the advice differs.
	recorded bool
}

// Verdict is what one live check found. A step's Outcome and a dashboard
// row are both read from it, so the two never word one answer apart.
type Verdict struct {
	Result string // ResultValid … ResultUnknown
	Detail string // what was found, in plain words
	Fix    string // what the admin can do about it; "" when nothing
	// Counts are numbers the check found (Lever's CERTN tags → candidates),
	// kept apart from the words for monitoring.
	Counts map[string]int
	// retryAfter is a rate-limited vendor's Retry-After.
	retryAfter time.Duration
	// guess: the check failed the way a wrong guess about the vendor
	// explains (package inferred). Unknown, and no proof of anything: a
	// step is not recorded until the guess is corrected or the answer
	// changes.
	guess bool
	// moved is the Lever region whose deployment accepts a key refused in
	// the region given; corrections are the answers a step records instead.
	moved       string
	corrections map[string]string
}

// outcome is the verdict as the result of a step's check.
func (v Verdict) outcome(lc liveCheck) Outcome {
	out := Outcome{Proof: lc.proof, OK: v.Result == ResultValid, Detail: v.Detail, Fix: v.Fix, Corrections: v.corrections}
	if !out.OK {
		out.Result = v.Result
	}
	vendor := vendorName(lc.vendor)
	switch v.Result {
	case ResultUnreachable:
		out.Unreachable = true
		out.Fix = fmt.Sprintf("%s could not be reached: check the network and retry, or complete the step as unverified and verify it later from the dashboard", vendor)
	case ResultRateLimited:
		out.Unreachable = true
		out.Fix = fmt.Sprintf("%s asks patchbay to slow down: wait a minute and retry, or complete the step as unverified", vendor)
	case ResultUnknown:
		out.Guess = v.guess
		if out.Fix == "" {
			out.Fix = "retry; if it keeps failing, check the vendor's status page"
		}
	}
	return out
}

// row is the verdict as a dashboard row: the advice follows the finding.
func (v Verdict) row() outcome {
	o := outcome{result: v.Result, detail: v.Detail, retryAfter: v.retryAfter, counts: v.Counts}
	o.failed = v.Result == ResultUnreachable || v.Result == ResultRateLimited
	if v.Fix != "" {
		o.detail += "; " + v.Fix
	}
	return o
}

// errNoVendors: the service was built without vendor clients.
var errNoVendors = errors.New("no vendor clients are configured")

// asker makes the checks' vendor calls, each at most once per refresh (or
// per step check): checks that need the same list with the same key share
// its answer, so a refresh asks Lever for /stages and /tags once per key.
type asker struct {
	vendors Checker
	memo    *memo
}

func newAsker(vendors Checker) *asker { return &asker{vendors: vendors, memo: &memo{}} }

func ask[T any](ctx context.Context, a *asker, key string, call func(Checker) (T, error)) (T, error) {
	var zero T
	v, err := a.memo.do(ctx, key, func() (any, error) {
		if a.vendors == nil {
			return nil, errNoVendors
		}
		return call(a.vendors)
	})
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

func (a *asker) leverStages(ctx context.Context, region, key string) ([]string, error) {
	return ask(ctx, a, "lever.stages\x00"+region+"\x00"+key, func(c Checker) ([]string, error) {
		return c.LeverStages(ctx, region, key)
	})
}

func (a *asker) leverTags(ctx context.Context, region, key string) (map[string]int, error) {
	return ask(ctx, a, "lever.tags\x00"+region+"\x00"+key, func(c Checker) (map[string]int, error) {
		return c.LeverTags(ctx, region, key)
	})
}

func (a *asker) leverProbe(ctx context.Context, region, key string, endpoints []string) ([]string, error) {
	return ask(ctx, a, "lever.probe\x00"+region+"\x00"+key+"\x00"+strings.Join(endpoints, ","), func(c Checker) ([]string, error) {
		return c.LeverProbe(ctx, region, key, endpoints)
	})
}

func (a *asker) vettyPackages(ctx context.Context, key string) ([]string, error) {
	return ask(ctx, a, "vetty.packages\x00"+key, func(c Checker) ([]string, error) {
		return c.VettyPackages(ctx, key)
	})
}

func checkVettyKey(ctx context.Context, a *asker, c checkInput) Verdict {
	pkgs, err := a.vettyPackages(ctx, c.key)
	if err != nil {
		return vendorFailed(VendorVetty, err, c)
	}
	return Verdict{Result: ResultValid, Detail: fmt.Sprintf("Vetty accepted the key; it lists %d package(s): %s", len(pkgs), list(pkgs, 6))}
}

// leverKeyNeeds is what an integration needs of its Lever key.
type leverKeyNeeds struct {
	who       string   // the system the key is for
	endpoints []string // what it must be able to read
	note      string   // said of a key that passes
}

// leverKeyCheck proves a Lever key and names each endpoint the integration
// needs that the key may not read. /stages and /tags are read in full,
// since the trigger stage and usage checks of the same refresh read those
// lists too; the other endpoints are probed with ?limit=1. A 401 anywhere
// refuses the key.
func leverKeyCheck(needs leverKeyNeeds) func(context.Context, *asker, checkInput) Verdict {
	check := leverKeyRead(needs)
	return func(ctx context.Context, a *asker, c checkInput) Verdict {
		v := check(ctx, a, c)
		if v.moved == "" || c.recorded {
			return v
		}
		// Refused in the region given, accepted in the other: the key
		// belongs there, and the step records that region instead.
		asked := c.region
		c.region = v.moved
		w := check(ctx, a, c)
		w.Detail = fmt.Sprintf("the key belongs to Lever %s, not %s (Lever's %s deployment refused it, the %s one accepts it), so patchbay records region %s; %s",
			RegionName(c.region), RegionName(asked), RegionName(asked), RegionName(c.region), RegionName(c.region), w.Detail)
		w.corrections = map[string]string{"region": c.region}
		return w
	}
}

// leverKeyRead reads what needs names with a key in one region.
func leverKeyRead(needs leverKeyNeeds) func(context.Context, *asker, checkInput) Verdict {
	return func(ctx context.Context, a *asker, c checkInput) Verdict {
		errs := make([]error, len(needs.endpoints))
		var (
			wg       sync.WaitGroup
			rest     []string
			denied   []string
			probeErr error
		)
		for i, ep := range needs.endpoints {
			switch ep {
			case "/stages":
				wg.Go(func() { _, errs[i] = a.leverStages(ctx, c.region, c.key) })
			case "/tags":
				wg.Go(func() { _, errs[i] = a.leverTags(ctx, c.region, c.key) })
			default:
				rest = append(rest, ep)
			}
		}
		if len(rest) > 0 {
			wg.Go(func() { denied, probeErr = a.leverProbe(ctx, c.region, c.key, rest) })
		}
		wg.Wait()
		for _, err := range append(slices.Clone(errs), probeErr) {
			if errors.Is(err, httpx.ErrUnauthorized) {
				return vendorFailed(VendorLever, err, c)
			}
		}
		var forbidden []string
		for i, ep := range needs.endpoints {
			var fe *httpx.ForbiddenError
			switch {
			case errors.As(errs[i], &fe), slices.Contains(denied, ep):
				forbidden = append(forbidden, ep)
			case errs[i] != nil:
				return vendorFailed(VendorLever, errs[i], c)
			}
		}
		if probeErr != nil {
			return vendorFailed(VendorLever, probeErr, c)
		}
		if len(forbidden) > 0 {
			return leverDenied(needs.who, needs.endpoints, forbidden)
		}
		detail := fmt.Sprintf("Lever (%s) accepted the key; it can read %s", c.region, strings.Join(needs.endpoints, ", "))
		if needs.note != "" {
			detail += "; " + needs.note
		}
		return Verdict{Result: ResultValid, Detail: detail}
	}
}

func checkSignature(_ context.Context, _ *asker, c checkInput) Verdict {
	if err := SignatureSelfTest(c.key); err != nil {
		return Verdict{Result: ResultDrift, Detail: "the format check failed: " + err.Error(), Fix: "copy the signing token again from Lever's Webhooks tab"}
	}
	// Only Lever knows its token: this proves the format, not the value.
	return Verdict{Result: ResultValid, Detail: fmt.Sprintf("format check: %d characters, no whitespace, usable with Lever's signature scheme (HMAC-SHA256 of token + triggeredAt); Lever cannot be asked whether it is the token it signs with", utf8.RuneCountInString(c.key))}
}

// checkLeverStage: the trigger stage is one of Lever's stages, spelled
// exactly as Lever spells it (Certn matches the name).
func checkLeverStage(ctx context.Context, a *asker, c checkInput) Verdict {
	want := c.values["stage"]
	names, err := a.leverStages(ctx, c.region, c.key)
	if err != nil {
		return vendorFailed(VendorLever, err, c)
	}
	if slices.Contains(names, want) {
		return Verdict{Result: ResultValid, Detail: fmt.Sprintf("the trigger stage %q exists in Lever", want)}
	}
	spelled := ""
	for _, n := range names {
		if strings.EqualFold(n, want) {
			spelled = n
		}
	}
	if c.recorded {
		fix := fmt.Sprintf("re-run %s/%s and give Certn the new stage name", c.in.ID, c.step.ID)
		if spelled != "" {
			return Verdict{Result: ResultDrift, Detail: fmt.Sprintf("Lever now spells the trigger stage %q, not %q (names must match exactly)", spelled, want), Fix: fix}
		}
		return Verdict{Result: ResultDrift, Detail: fmt.Sprintf("the trigger stage %q is no longer one of Lever's stages (renamed or deleted): candidates reaching it start no Certn check", want), Fix: fix}
	}
	fix := fmt.Sprintf("pick one of Lever's stages (%s), or create %q in Lever › Settings › Pipeline and stages, then retry", list(names, 8), want)
	if spelled != "" {
		fix = fmt.Sprintf("Lever spells it %q: stage names must match exactly", spelled)
	}
	return Verdict{Result: ResultDrift, Detail: fmt.Sprintf("Lever has no stage named %q", want), Fix: fix}
}

// checkVettyPackages: every package of the position → package mapping is
// one Vetty lists for the key.
func checkVettyPackages(ctx context.Context, a *asker, c checkInput) Verdict {
	pairs, err := steps.ParseChattrMapping(c.values["packages"])
	if err != nil {
		fix := "edit the answers"
		if c.recorded {
			fix = fmt.Sprintf("re-run %s/%s", c.in.ID, c.step.ID)
		}
		return Verdict{Result: ResultDrift, Detail: fmt.Sprintf("the mapping does not read: %v", err), Fix: fix}
	}
	pkgs, err := a.vettyPackages(ctx, c.key)
	if err != nil {
		return vendorFailed(VendorVetty, err, c)
	}
	var gone []string
	for _, pp := range pairs {
		if slices.Contains(pkgs, pp.Package) {
			continue
		}
		what := fmt.Sprintf("%q (for %s)", pp.Package, pp.Position)
		for _, name := range pkgs {
			if strings.EqualFold(name, pp.Package) {
				what += fmt.Sprintf(", now spelled %q", name)
			}
		}
		gone = append(gone, what)
	}
	if len(gone) > 0 {
		if c.recorded {
			return Verdict{Result: ResultDrift, Detail: "Vetty no longer lists " + strings.Join(gone, "; "),
				Fix: fmt.Sprintf("re-run %s/%s and send the new mapping to your Chattr account manager", c.in.ID, c.step.ID)}
		}
		return Verdict{Result: ResultDrift, Detail: fmt.Sprintf("Vetty does not list %s; it lists: %s", strings.Join(gone, ", "), list(pkgs, 12)),
			Fix: "edit the answers and choose packages Vetty lists"}
	}
	return Verdict{Result: ResultValid, Detail: fmt.Sprintf("Vetty lists every mapped package (%d position(s))", len(pairs))}
}

func checkCertnTags(ctx context.Context, a *asker, c checkInput) Verdict {
	tags, err := a.leverTags(ctx, c.region, c.key)
	if err != nil {
		return vendorFailed(VendorLever, err, c)
	}
	counts := CertnTagCounts(tags)
	return Verdict{Result: ResultValid, Detail: CertnTagSummary(counts), Counts: counts}
}

// checkOptionRules applies today's option table to the recorded toggles
// and source of truth: it catches options recorded before the source
// changed, or under rules this version of patchbay no longer accepts.
func checkOptionRules(_ context.Context, _ *asker, c checkInput) Verdict {
	source := c.prior.Get("charthop-source", "source")
	if source != steps.TruthChartHop && source != steps.TruthLever {
		return Verdict{Result: ResultUnknown, Detail: "no source of truth is recorded", Fix: fmt.Sprintf("run %s/charthop-source", c.in.ID)}
	}
	on := map[string]bool{}
	for _, k := range steps.OptionKeys() {
		on[k] = c.values[k] == "true"
	}
	ev := steps.EvaluateOptions(source, on)
	if !ev.OK() {
		msgs := make([]string, len(ev.Violations))
		for i, v := range ev.Violations {
			msgs[i] = v.Message
		}
		return Verdict{Result: ResultDrift, Detail: "the recorded options break the rules: " + strings.Join(msgs, "; "),
			Fix: fmt.Sprintf("re-run %s/%s and change them in ChartHop too", c.in.ID, c.step.ID)}
	}
	var onNames []string
	for _, t := range ev.Toggles {
		if t.On {
			onNames = append(onNames, t.Label)
		}
	}
	detail := fmt.Sprintf("the options follow the rules for source %s", source)
	if len(onNames) > 0 {
		detail += " (on: " + strings.Join(onNames, ", ") + ")"
	}
	return Verdict{Result: ResultValid, Detail: detail}
}
