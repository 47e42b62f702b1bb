package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Check names the refresher adds to those in complete.go.
const (
	// CheckPackageMapping: every Vetty package the chattr-packages mapping
	// names is still listed by Vetty. This is where "the default package is
	// gone" can be caught live: Certn's packages cannot be listed through
	// any API we know (vendor-apis.md), so certn.default_package has no
	// live check, while Vetty lists its packages.
	CheckPackageMapping = "vetty.package_mapping"
	expiryCheckPrefix   = "expiry."
)

// StoreUnreadablePrefix starts the detail of an "unknown" secret check
// whose secret could not be read because the secrets store failed (locked
// keyring, wrong vault passphrase, no Secret Service): nothing can be
// checked, so the integration needs the admin even though no vendor gave
// a verdict.
const StoreUnreadablePrefix = "secrets store unreadable: "

// ExpiryCheckName is the name of the expiry countdown of one secret.
func ExpiryCheckName(key string) string { return expiryCheckPrefix + key }

// certnTagPrefix marks the status tags Certn writes on Lever candidates.
const certnTagPrefix = "CERTN - "

// certnTagOrder is the order Certn's statuses happen in (Certn's current
// documentation); other CERTN tags follow alphabetically.
var certnTagOrder = []string{
	"Submitted", "Applicant Started", "In Progress", "Complete (Clear)", "Complete (Review)", "ERROR (No Email)",
}

// outcome is what one check found.
type outcome struct {
	result string
	detail string
	// failed: the vendor could not be asked (unreachable, rate limited);
	// it counts towards the vendor's backoff.
	failed     bool
	retryAfter time.Duration
}

// plannedCheck is one check of a refresh.
type plannedCheck struct {
	ref       CheckRef
	secretKey string // set for secret.<key>: a verdict updates its verification time
	// uses is the metadata, as planned, of the secrets the check reads. A
	// result is stored only while they are still the stored ones: what a
	// vendor says of a key rotated or re-entered meanwhile (here or by
	// another patchbay) is about a key no longer in use.
	uses []store.SecretMeta
	run  func(ctx context.Context) outcome
}

// refreshPlan is every check the recorded state allows, in catalog order,
// with the stored results they replace.
type refreshPlan struct {
	checks []plannedCheck
	prev   map[string]store.CheckResult // integration + "\x00" + name → stored result
}

// StoreUnreadable reports whether a check result says a secret could not
// be read because the secrets store failed: the result stays "unknown" (no
// vendor gave a verdict), but nothing can be checked until the admin
// unlocks or repairs the store, so it needs attention.
func StoreUnreadable(result, detail string) bool {
	return result == ResultUnknown && strings.HasPrefix(detail, StoreUnreadablePrefix)
}

// checkNeedsAttention reports whether a check result needs the admin.
func checkNeedsAttention(result, detail string) bool {
	return needsAttention(result) || StoreUnreadable(result, detail)
}

// couldNotCheck reports whether a check result is no verdict at all: the
// vendor could not be asked (unreachable, rate limited) or the check could
// not run (unknown). A store that cannot be read is attention instead: the
// admin must unlock or repair it.
func couldNotCheck(result, detail string) bool {
	switch result {
	case ResultUnreachable, ResultRateLimited:
		return true
	case ResultUnknown:
		return !StoreUnreadable(result, detail)
	}
	return false
}

// attentionWords names a result in an event's summary.
func attentionWords(result, detail string) string {
	if StoreUnreadable(result, detail) {
		return strings.TrimSuffix(StoreUnreadablePrefix, ": ")
	}
	return strings.ReplaceAll(result, "_", " ")
}

// plan builds the checks from what is recorded: a check runs only when the
// steps it needs are recorded and its secrets have metadata.
func (r *Refresher) plan(ctx context.Context) (refreshPlan, error) {
	db, profile := r.svc.DB, r.svc.Profile
	all, err := db.AllStepStates(ctx, profile)
	if err != nil {
		return refreshPlan{}, err
	}
	metas, err := db.Secrets(ctx, profile, "")
	if err != nil {
		return refreshPlan{}, err
	}
	prev, err := db.Checks(ctx, profile, "")
	if err != nil {
		return refreshPlan{}, err
	}
	p := refreshPlan{prev: map[string]store.CheckResult{}}
	for _, c := range prev {
		p.prev[c.Integration+"\x00"+c.Name] = c
	}
	cx := &checkCtx{r: r, memo: &memo{}}
	for _, in := range steps.Catalog() {
		p.checks = append(p.checks, cx.integrationChecks(in, all[in.ID], metas)...)
	}
	return p, nil
}

// checkCtx is what the checks of one refresh share.
type checkCtx struct {
	r    *Refresher
	memo *memo
}

// recorded reports whether a step's answers are recorded: done, or done
// once and now awaiting a re-run.
func recorded(states map[string]store.StepState, step string) (store.StepState, bool) {
	st, ok := states[step]
	if !ok {
		return st, false
	}
	s := steps.Status(st.Status)
	return st, s == steps.StatusDone || s == steps.StatusNeedsRerun
}

func (cx *checkCtx) integrationChecks(in steps.Integration, states map[string]store.StepState, metas []store.SecretMeta) []plannedCheck {
	stored := map[string]store.SecretMeta{}
	for _, m := range metas {
		if m.Integration == in.ID {
			stored[m.Key] = m
		}
	}
	var out []plannedCheck
	for _, key := range in.SecretKeys() {
		if m, ok := stored[key]; ok {
			out = append(out, cx.secretCheck(in, m, states))
		}
	}
	for _, key := range in.SecretKeys() {
		if m, ok := stored[key]; ok && !m.ExpiresAt.IsZero() {
			out = append(out, cx.expiryCheck(in, m))
		}
	}
	_, haveKey := stored["api_key"]
	switch in.ID {
	case steps.IntegrationVettyChattr:
		if st, ok := recorded(states, "chattr-packages"); ok && haveKey {
			out = append(out, cx.packageMappingCheck(in, stored["api_key"], st.Values["packages"]))
		}
	case steps.IntegrationCertnLever:
		if st, ok := recorded(states, "lever-trigger-stage"); ok && haveKey {
			out = append(out, cx.triggerStageCheck(in, stored["api_key"], states, st.Values["stage"]))
		}
		if haveKey {
			out = append(out, cx.certnTagsCheck(in, stored["api_key"], states))
		}
	case steps.IntegrationChartHopLever:
		if st, ok := recorded(states, "charthop-options"); ok {
			src, _ := recorded(states, "charthop-source")
			out = append(out, cx.optionRulesCheck(in, src.Values["source"], st.Values))
		}
	}
	return out
}

// secretVendor is the vendor that can judge a secret, VendorLocal when
// none can.
func secretVendor(integration, key string) string {
	if key != "api_key" {
		return VendorLocal
	}
	if integration == steps.IntegrationVettyChattr {
		return VendorVetty
	}
	return VendorLever
}

// secret reads a stored secret once per refresh. A missing one becomes a
// drift outcome naming the step to re-run; a store that fails (locked
// keyring, wrong vault passphrase, no Secret Service, no answer) an
// unknown outcome starting with StoreUnreadablePrefix. need is empty for
// the secret's own check; a check that only uses the secret names it
// ("the Lever key") and reports the problem as unknown, so that it is
// counted once, by the secret's own check.
func (cx *checkCtx) secret(ctx context.Context, in steps.Integration, m store.SecretMeta, need string) (string, *outcome) {
	wrap := func(o outcome) *outcome {
		if need != "" {
			o.result, o.detail = ResultUnknown, "needs "+need+": "+o.detail
		}
		return &o
	}
	st := cx.r.svc.Secrets
	if st == nil {
		return "", wrap(outcome{result: ResultUnknown, detail: "no secrets store is open, so " + m.Key + " cannot be read"})
	}
	where := secretsBackendName(m, st)
	unreadable := func(reason string) *outcome {
		return wrap(outcome{result: ResultUnknown, detail: fmt.Sprintf("%scould not read %s from %s: %s", StoreUnreadablePrefix, m.Key, where, reason)})
	}
	// A keyring that never answers leaves the check to its timeout, which
	// then reports the store rather than blaming the vendor. The mark
	// stays when the read failed: the check is then reporting the store
	// anyway, and the timeout must not win the race with another word.
	answered := waitingOn(ctx, unreadable(fmt.Sprintf("no answer within %s (is the keyring locked?)", cx.r.opts.CheckTimeout)))
	account := secrets.Account(cx.r.svc.Profile, in.ID, m.Key)
	v, err := cx.memo.do(ctx, "secret\x00"+account, func() (any, error) { return st.Get(ctx, account) })
	if err == nil || errors.Is(err, secrets.ErrNotFound) {
		answered()
	}
	switch {
	case errors.Is(err, secrets.ErrNotFound):
		step := "the step that creates it"
		if s, ok := in.StepCreating(m.Key); ok {
			step = in.ID + "/" + s.ID
		}
		return "", wrap(outcome{result: ResultDrift, detail: fmt.Sprintf("%s is missing from %s: re-run %s to enter it again", m.Key, where, step)})
	case err != nil:
		// Every other failure is the store's: locked, timed out,
		// unavailable, a wrong passphrase, a corrupt vault, or an error it
		// could not classify. Each leaves the secret unreadable.
		return "", unreadable(err.Error())
	}
	value := v.(string)
	switch d, err := cx.r.svc.drift(ctx, in, m, m.Fingerprint, value); {
	case err != nil:
		return "", unreadable(err.Error())
	case d != "":
		return "", wrap(outcome{result: ResultDrift, detail: d})
	}
	return value, nil
}

// checkProgress is what a running check is waiting on, for the outcome to
// report if the check overruns its timeout.
type checkProgress struct {
	mu    sync.Mutex
	stuck *outcome
}

type progressKey struct{}

// waitingOn records, until the returned func is called, the outcome the
// check reports if it overruns while waiting.
func waitingOn(ctx context.Context, o *outcome) func() {
	p, _ := ctx.Value(progressKey{}).(*checkProgress)
	if p == nil {
		return func() {}
	}
	p.mu.Lock()
	p.stuck = o
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.stuck = nil
		p.mu.Unlock()
	}
}

func (p *checkProgress) waiting() *outcome {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stuck
}

// region is the Lever region recorded with the integration's Lever key.
func leverRegion(in steps.Integration, states map[string]store.StepState) (string, *outcome) {
	if st, ok := recorded(states, "lever-key"); ok && st.Values["region"] != "" {
		return st.Values["region"], nil
	}
	return "", &outcome{result: ResultUnknown, detail: fmt.Sprintf("the Lever region is not recorded: re-run %s/lever-key", in.ID)}
}

func (cx *checkCtx) vendors() (Checker, *outcome) {
	if cx.r.svc.Vendors == nil {
		return nil, &outcome{result: ResultUnknown, detail: "no vendor clients are configured"}
	}
	return cx.r.svc.Vendors, nil
}

// vendorFailure turns a failed vendor call into an outcome.
func vendorFailure(vendor string, err error) outcome {
	c := Classify(err)
	o := outcome{result: c.Result, detail: vendorName(vendor) + ": " + c.Detail}
	switch c.Result {
	case ResultUnreachable:
		o.failed = true
	case ResultRateLimited:
		o.failed = true
		o.retryAfter, _ = httpx.RetryAfter(err)
	}
	return o
}

func (cx *checkCtx) vettyPackages(ctx context.Context, key string) ([]string, error) {
	v, err := cx.memo.do(ctx, "vetty.packages\x00"+key, func() (any, error) {
		vs, o := cx.vendors()
		if o != nil {
			return nil, errors.New(o.detail)
		}
		return vs.VettyPackages(ctx, key)
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

func (cx *checkCtx) secretCheck(in steps.Integration, m store.SecretMeta, states map[string]store.StepState) plannedCheck {
	ref := CheckRef{Integration: in.ID, Name: SecretCheckName(m.Key), Vendor: secretVendor(in.ID, m.Key)}
	return plannedCheck{ref: ref, secretKey: m.Key, uses: []store.SecretMeta{m}, run: func(ctx context.Context) outcome {
		value, o := cx.secret(ctx, in, m, "")
		if o != nil {
			return *o
		}
		switch {
		case ref.Vendor == VendorVetty:
			pkgs, err := cx.vettyPackages(ctx, value)
			if err != nil {
				return vendorFailure(VendorVetty, err)
			}
			return outcome{result: ResultValid, detail: fmt.Sprintf("Vetty accepted the key; it lists %d package(s)", len(pkgs))}
		case ref.Vendor == VendorLever:
			region, o := leverRegion(in, states)
			if o != nil {
				return *o
			}
			vs, o := cx.vendors()
			if o != nil {
				return *o
			}
			endpoints := CertnLeverEndpoints
			if in.ID == steps.IntegrationChartHopLever {
				endpoints = ChartHopLeverEndpoints
			}
			// The probe reads every endpoint the integration needs at once,
			// so it both proves the key (a 401 anywhere) and finds missing
			// permissions in one round trip.
			forbidden, err := vs.LeverProbe(ctx, region, value, endpoints)
			if err != nil {
				return vendorFailure(VendorLever, err)
			}
			if len(forbidden) > 0 {
				return outcome{result: ResultForbidden, detail: fmt.Sprintf("forbidden on %s: Lever accepted the key but refused it there (403); give it that permission in Lever › Settings › Integrations and API", strings.Join(forbidden, ", "))}
			}
			return outcome{result: ResultValid, detail: fmt.Sprintf("Lever (%s) accepted the key; it can read %s", region, strings.Join(endpoints, ", "))}
		case m.Key == "signing_token":
			if err := SignatureSelfTest(value); err != nil {
				return outcome{result: ResultDrift, detail: "the signature self-test failed: " + err.Error() + "; copy the token again from Lever's Webhooks tab"}
			}
			return outcome{result: ResultValid, detail: "a webhook signed with this token verifies with Lever's scheme"}
		default:
			return outcome{result: ResultValid, detail: fmt.Sprintf("stored in %s; no vendor API can check it", secretsBackendName(m, cx.r.svc.Secrets))}
		}
	}}
}

// expiryCheck counts down to a secret's expiry. It calls no vendor: the
// date was recorded when the secret was entered.
func (cx *checkCtx) expiryCheck(in steps.Integration, m store.SecretMeta) plannedCheck {
	ref := CheckRef{Integration: in.ID, Name: ExpiryCheckName(m.Key), Vendor: VendorLocal}
	return plannedCheck{ref: ref, uses: []store.SecretMeta{m}, run: func(context.Context) outcome {
		left := m.ExpiresAt.Sub(cx.r.now())
		date := m.ExpiresAt.UTC().Format("2006-01-02")
		rotate := fmt.Sprintf("patchbay rotate %s/%s", in.ID, m.Key)
		switch {
		case left <= 0:
			// An expired key is refused by its vendor: say so now rather
			// than when a candidate's check fails.
			return outcome{result: ResultUnauthorized, detail: fmt.Sprintf("expired on %s: the vendor refuses it; rotate it (%s)", date, rotate)}
		case left <= ExpiryWarning:
			return outcome{result: ResultValid, detail: fmt.Sprintf("expires in %d day(s), on %s: rotate it soon (%s)", int(left.Hours()/24), date, rotate)}
		}
		return outcome{result: ResultValid, detail: fmt.Sprintf("expires in %d days, on %s", int(left.Hours()/24), date)}
	}}
}

func (cx *checkCtx) packageMappingCheck(in steps.Integration, m store.SecretMeta, mapping string) plannedCheck {
	ref := CheckRef{Integration: in.ID, Name: CheckPackageMapping, Vendor: VendorVetty}
	return plannedCheck{ref: ref, uses: []store.SecretMeta{m}, run: func(ctx context.Context) outcome {
		pairs, err := steps.ParseChattrMapping(mapping)
		if err != nil {
			return outcome{result: ResultDrift, detail: fmt.Sprintf("the recorded mapping no longer reads: %v; re-run %s/chattr-packages", err, in.ID)}
		}
		key, o := cx.secret(ctx, in, m, "the Vetty key")
		if o != nil {
			return *o
		}
		pkgs, err := cx.vettyPackages(ctx, key)
		if err != nil {
			return vendorFailure(VendorVetty, err)
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
			return outcome{result: ResultDrift, detail: fmt.Sprintf("Vetty no longer lists %s: re-run %s/chattr-packages and send the new mapping to your Chattr account manager", strings.Join(gone, "; "), in.ID)}
		}
		return outcome{result: ResultValid, detail: fmt.Sprintf("Vetty lists every mapped package (%d position(s))", len(pairs))}
	}}
}

func (cx *checkCtx) leverStages(ctx context.Context, region, key string) ([]string, error) {
	v, err := cx.memo.do(ctx, "lever.stages\x00"+region+"\x00"+key, func() (any, error) {
		vs, o := cx.vendors()
		if o != nil {
			return nil, errors.New(o.detail)
		}
		return vs.LeverStages(ctx, region, key)
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// leverInputs gathers the key and region a Lever check needs.
func (cx *checkCtx) leverInputs(ctx context.Context, in steps.Integration, m store.SecretMeta, states map[string]store.StepState) (region, key string, o *outcome) {
	region, o = leverRegion(in, states)
	if o != nil {
		return "", "", o
	}
	key, o = cx.secret(ctx, in, m, "the Lever key")
	if o != nil {
		return "", "", o
	}
	if _, o = cx.vendors(); o != nil {
		return "", "", o
	}
	return region, key, nil
}

func (cx *checkCtx) triggerStageCheck(in steps.Integration, m store.SecretMeta, states map[string]store.StepState, stage string) plannedCheck {
	ref := CheckRef{Integration: in.ID, Name: CheckTriggerStage, Vendor: VendorLever}
	return plannedCheck{ref: ref, uses: []store.SecretMeta{m}, run: func(ctx context.Context) outcome {
		region, key, o := cx.leverInputs(ctx, in, m, states)
		if o != nil {
			return *o
		}
		names, err := cx.leverStages(ctx, region, key)
		if err != nil {
			return vendorFailure(VendorLever, err)
		}
		if slices.Contains(names, stage) {
			return outcome{result: ResultValid, detail: fmt.Sprintf("the trigger stage %q exists in Lever", stage)}
		}
		fix := fmt.Sprintf("re-run %s/lever-trigger-stage and give Certn the new stage name", in.ID)
		for _, n := range names {
			if strings.EqualFold(n, stage) {
				return outcome{result: ResultDrift, detail: fmt.Sprintf("Lever now spells the trigger stage %q, not %q (names must match exactly): %s", n, stage, fix)}
			}
		}
		return outcome{result: ResultDrift, detail: fmt.Sprintf("the trigger stage %q is no longer one of Lever's stages (renamed or deleted): candidates reaching it start no Certn check; %s", stage, fix)}
	}}
}

func (cx *checkCtx) certnTagsCheck(in steps.Integration, m store.SecretMeta, states map[string]store.StepState) plannedCheck {
	ref := CheckRef{Integration: in.ID, Name: CheckCertnTags, Vendor: VendorLever}
	return plannedCheck{ref: ref, uses: []store.SecretMeta{m}, run: func(ctx context.Context) outcome {
		region, key, o := cx.leverInputs(ctx, in, m, states)
		if o != nil {
			return *o
		}
		tags, err := cx.r.svc.Vendors.LeverTags(ctx, region, key)
		if err != nil {
			return vendorFailure(VendorLever, err)
		}
		return outcome{result: ResultValid, detail: CertnTagSummary(tags)}
	}}
}

// CertnTagSummary words the counts of Lever's "CERTN - …" tags, in the
// order Certn's statuses happen: "Submitted 3 · In Progress 4 · …".
func CertnTagSummary(tags map[string]int) string {
	counts := map[string]int{}
	var extra []string
	for tag, n := range tags {
		status, ok := strings.CutPrefix(tag, certnTagPrefix)
		if !ok || n <= 0 {
			continue
		}
		if _, seen := counts[status]; !seen && !slices.Contains(certnTagOrder, status) {
			extra = append(extra, status)
		}
		counts[status] += n
	}
	if len(counts) == 0 {
		return "no candidate carries a CERTN tag yet"
	}
	sort.Strings(extra)
	var parts []string
	for _, status := range append(slices.Clone(certnTagOrder), extra...) {
		if n := counts[status]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", status, n))
		}
	}
	return strings.Join(parts, " · ")
}

// optionRulesCheck applies today's option table to the recorded toggles
// and source of truth: it catches options recorded before the source
// changed, or under rules this version of patchbay no longer accepts.
func (cx *checkCtx) optionRulesCheck(in steps.Integration, source string, values map[string]string) plannedCheck {
	ref := CheckRef{Integration: in.ID, Name: CheckOptionRules, Vendor: VendorLocal}
	return plannedCheck{ref: ref, run: func(context.Context) outcome {
		if source != steps.TruthChartHop && source != steps.TruthLever {
			return outcome{result: ResultUnknown, detail: fmt.Sprintf("no source of truth is recorded: run %s/charthop-source", in.ID)}
		}
		on := map[string]bool{}
		for _, k := range steps.OptionKeys() {
			on[k] = values[k] == "true"
		}
		ev := steps.EvaluateOptions(source, on)
		if !ev.OK() {
			msgs := make([]string, len(ev.Violations))
			for i, v := range ev.Violations {
				msgs[i] = v.Message
			}
			return outcome{result: ResultDrift, detail: fmt.Sprintf("the recorded options break the rules: %s; re-run %s/charthop-options and change them in ChartHop too", strings.Join(msgs, "; "), in.ID)}
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
		return outcome{result: ResultValid, detail: detail}
	}}
}
