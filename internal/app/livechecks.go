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
	// counts are numbers the check found, kept apart from the words.
	counts map[string]int
}

// plannedCheck is one check of a refresh.
type plannedCheck struct {
	ref       CheckRef
	secretKey string // set for secret.<key>: a verdict updates its verification time
	// verifies names the step whose own check this is: when it passes, a
	// step completed unverified (the vendor was unreachable then) becomes
	// verified.
	verifies string
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
// be read because the secrets store failed: the result is "unknown" (no
// vendor gave a verdict, so nothing is known to be wrong with the key) and
// counts among the checks that could not run (status exits 3, PRODUCT.md),
// worded as the store's failure so the admin knows to unlock or repair it.
func StoreUnreadable(result, detail string) bool {
	return result == ResultUnknown && strings.HasPrefix(detail, StoreUnreadablePrefix)
}

// checkNeedsAttention reports whether a check result needs the admin: a
// vendor's verdict against the setup (refused, forbidden, drift).
func checkNeedsAttention(result, _ string) bool {
	return needsAttention(result)
}

// couldNotCheck reports whether a check result is no verdict at all: the
// vendor could not be asked (unreachable, rate limited) or the check could
// not run (unknown, the secrets store unreadable included).
func couldNotCheck(result, _ string) bool {
	switch result {
	case ResultUnreachable, ResultRateLimited, ResultUnknown:
		return true
	}
	return false
}

// eventful reports whether a change of a check's result goes in the
// history: into or out of attention, or of an unreadable secrets store.
func eventful(result, detail string) bool {
	return checkNeedsAttention(result, detail) || StoreUnreadable(result, detail)
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
	m := &memo{}
	cx := &checkCtx{r: r, memo: m, ask: &asker{vendors: r.svc.Vendors, memo: m}}
	for _, in := range steps.Catalog() {
		p.checks = append(p.checks, cx.integrationChecks(in, all[in.ID], metas)...)
	}
	return p, nil
}

// checkCtx is what the checks of one refresh share.
type checkCtx struct {
	r    *Refresher
	memo *memo  // secrets read in this refresh
	ask  *asker // vendor answers of this refresh
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

// integrationChecks plans, from the catalog's data, the checks of one
// integration: each stored secret's (the Check of the step creating it),
// each expiry countdown, each recorded step's Drift and the integration's
// Signals once the secret they read is stored.
func (cx *checkCtx) integrationChecks(in steps.Integration, states map[string]store.StepState, metas []store.SecretMeta) []plannedCheck {
	stored := map[string]store.SecretMeta{}
	for _, m := range metas {
		if m.Integration == in.ID {
			stored[m.Key] = m
		}
	}
	prior := steps.AnswersFromRecords(records(states))
	var out []plannedCheck
	for _, key := range in.SecretKeys() {
		if m, ok := stored[key]; ok {
			out = append(out, cx.secretCheck(in, m, states, prior))
		}
	}
	for _, key := range in.SecretKeys() {
		if m, ok := stored[key]; ok && !m.ExpiresAt.IsZero() {
			out = append(out, cx.expiryCheck(in, m))
		}
	}
	for _, st := range in.Steps {
		if rec, ok := recorded(states, st.ID); ok && st.Drift != steps.CheckNone {
			if p, ok := cx.tableCheck(in, st, st.Drift, rec.Values, stored, states, prior); ok {
				out = append(out, p)
			}
		}
	}
	for _, kind := range in.Signals {
		if p, ok := cx.tableCheck(in, steps.Step{}, kind, nil, stored, states, prior); ok {
			out = append(out, p)
		}
	}
	return out
}

// tableCheck plans one entry of the live-check table on recorded answers;
// false when the secret it reads is not stored.
func (cx *checkCtx) tableCheck(in steps.Integration, st steps.Step, kind steps.CheckKind, values map[string]string,
	stored map[string]store.SecretMeta, states map[string]store.StepState, prior steps.Answers) (plannedCheck, bool) {
	lc, ok := liveChecks[kind]
	if !ok {
		return plannedCheck{}, false
	}
	var uses []store.SecretMeta
	if lc.secret != "" {
		m, ok := stored[lc.secret]
		if !ok {
			return plannedCheck{}, false
		}
		uses = []store.SecretMeta{m}
	}
	ref := CheckRef{Integration: in.ID, Name: lc.row, Vendor: lc.vendor}
	verifies := ""
	if st.ID != "" && kind == st.Check && st.Proof == steps.ProofVerified {
		verifies = st.ID
	}
	return plannedCheck{ref: ref, uses: uses, verifies: verifies, run: func(ctx context.Context) outcome {
		c := checkInput{in: in, step: st, values: values, prior: prior, secret: lc.secret, recorded: true}
		if o := cx.inputs(ctx, lc, &c, uses, states, "the "+vendorName(lc.vendor)+" key"); o != nil {
			return *o
		}
		return lc.run(ctx, cx.ask, c).row()
	}}, true
}

// inputs fills in the region and the secret a check reads, as recorded;
// need is empty for a secret's own check (see secret).
func (cx *checkCtx) inputs(ctx context.Context, lc liveCheck, c *checkInput, uses []store.SecretMeta, states map[string]store.StepState, need string) *outcome {
	if len(uses) > 0 {
		key, o := cx.secret(ctx, c.in, uses[0], need)
		if o != nil {
			return o
		}
		c.key = key
	}
	if lc.vendor == VendorLever {
		region, o := leverRegion(c.in, states)
		if o != nil {
			return o
		}
		c.region = region
	}
	return nil
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

func (cx *checkCtx) secretCheck(in steps.Integration, m store.SecretMeta, states map[string]store.StepState, prior steps.Answers) plannedCheck {
	creator, _ := in.StepCreating(m.Key)
	lc, checkable := liveChecks[creator.Check]
	ref := CheckRef{Integration: in.ID, Name: SecretCheckName(m.Key), Vendor: VendorLocal}
	if checkable {
		ref.Vendor = lc.vendor
	}
	uses := []store.SecretMeta{m}
	verifies := ""
	if checkable && creator.Proof == steps.ProofVerified {
		verifies = creator.ID
	}
	return plannedCheck{ref: ref, secretKey: m.Key, verifies: verifies, uses: uses, run: func(ctx context.Context) outcome {
		if !checkable {
			if _, o := cx.secret(ctx, in, m, ""); o != nil {
				return *o
			}
			return outcome{result: ResultValid, detail: fmt.Sprintf("stored in %s; no vendor API can check it", secretsBackendName(m, cx.r.svc.Secrets))}
		}
		c := checkInput{in: in, step: creator, values: states[creator.ID].Values, prior: prior, secret: m.Key, recorded: true}
		if o := cx.inputs(ctx, lc, &c, uses, states, ""); o != nil {
			return *o
		}
		return lc.run(ctx, cx.ask, c).row()
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

// certnArticleStatuses are statuses the integration's article names that
// Certn's current list does not ("CERTN - Pending"): kept like the listed
// ones, never folded into CertnTagOther.
var certnArticleStatuses = []string{"Pending"}

// maxOtherCertnTags bounds the CERTN tags kept besides Certn's documented
// statuses: each is a stored count and a metrics series, and an account
// whose tags run to thousands must not make thousands of them.
const maxOtherCertnTags = 16

// CertnTagOther gathers the counts of the CERTN tags past maxOtherCertnTags.
const CertnTagOther = certnTagPrefix + "(other tags)"

// CertnTagCounts keeps Lever's "CERTN - …" tags and their counts: Certn's
// documented statuses, the first maxOtherCertnTags others alphabetically,
// and the rest summed as CertnTagOther.
func CertnTagCounts(tags map[string]int) map[string]int {
	out := map[string]int{}
	var others []string
	for tag, n := range tags {
		status, ok := strings.CutPrefix(tag, certnTagPrefix)
		switch {
		case !ok:
		case slices.Contains(certnTagOrder, status), slices.Contains(certnArticleStatuses, status):
			out[tag] = n
		default:
			others = append(others, tag)
		}
	}
	sort.Strings(others)
	for i, tag := range others {
		if i < maxOtherCertnTags {
			out[tag] = tags[tag]
		} else {
			out[CertnTagOther] += tags[tag]
		}
	}
	return out
}

// CertnTagSummary words the counts of Lever's "CERTN - …" tags, in the
// order Certn's statuses happen: "Submitted 3 · In Progress 4 · …", other
// tags after them alphabetically and CertnTagOther last.
func CertnTagSummary(tags map[string]int) string {
	counts := map[string]int{}
	var extra []string
	for tag, n := range tags {
		status, ok := strings.CutPrefix(tag, certnTagPrefix)
		if !ok || n <= 0 {
			continue
		}
		if _, seen := counts[status]; !seen && !slices.Contains(certnTagOrder, status) && tag != CertnTagOther {
			extra = append(extra, status)
		}
		counts[status] += n
	}
	if len(counts) == 0 {
		return "no candidate carries a CERTN tag yet"
	}
	sort.Strings(extra)
	extra = append(extra, strings.TrimPrefix(CertnTagOther, certnTagPrefix))
	var parts []string
	for _, status := range append(slices.Clone(certnTagOrder), extra...) {
		if n := counts[status]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", status, n))
		}
	}
	return strings.Join(parts, " · ")
}
