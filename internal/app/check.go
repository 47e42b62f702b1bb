package app

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/patchbay/patchbay/internal/steps"
)

// Live check results, as stored and as `status --json` prints them.
const (
	ResultValid        = "valid"
	ResultUnauthorized = "unauthorized"
	ResultForbidden    = "forbidden"
	ResultUnreachable  = "unreachable"
	ResultRateLimited  = "rate_limited"
	ResultDrift        = "drift"
	ResultUnknown      = "unknown"
)

// needsAttention reports whether a live result means the admin must act.
// Unreachable and rate limited are passing conditions, not faults of the setup.
func needsAttention(result string) bool {
	switch result {
	case ResultUnauthorized, ResultForbidden, ResultDrift:
		return true
	}
	return false
}

// Checker is what patchbay needs from the vendors' APIs. Its errors are the
// clients' typed errors (see Classify).
type Checker interface {
	// VettyPackages lists the package names the key can see.
	VettyPackages(ctx context.Context, key string) ([]string, error)
	// LeverStages lists the stage names of the account.
	LeverStages(ctx context.Context, region, key string) ([]string, error)
	// LeverProbe tries each endpoint and returns those the key may not read.
	LeverProbe(ctx context.Context, region, key string, endpoints []string) (forbidden []string, err error)
	// LeverTags counts candidates per tag.
	LeverTags(ctx context.Context, region, key string) (map[string]int, error)
}

// Classification is a vendor call's answer in the terms every surface uses
// (see vendorFailed, which adds what to do).
type Classification struct {
	Result string
	Detail string
}

// Classify maps a vendor call's error to a live result. classifyErr is
// provided by vendors.go, which knows the clients' typed errors.
func Classify(err error) Classification {
	if err == nil {
		return Classification{Result: ResultValid}
	}
	return classifyErr(err)
}

// Check runs the live check a step wants (its entry of the live-check
// table, see checks.go). It writes nothing.
func (s *Service) Check(ctx context.Context, sub Submission) (Outcome, error) {
	in, st, err := lookup(sub.Integration, sub.Step)
	if err != nil {
		return Outcome{}, err
	}
	states, err := s.DB.StepStates(ctx, s.Profile, sub.Integration)
	if err != nil {
		return Outcome{}, err
	}
	prior := steps.AnswersFromRecords(records(states))
	values, warnings, err := st.ValidateAnswers(sub.Values, prior)
	if err != nil {
		return Outcome{}, err
	}
	secretsGiven, err := validateSecrets(st, sub.Secrets)
	if err != nil {
		return Outcome{}, err
	}
	lc, ok := liveChecks[st.Check]
	if !ok {
		out := Outcome{Proof: st.Proof, OK: true, Warnings: warnings, Detail: proofDetail(st.Proof)}
		out.Warnings = append(out.Warnings, s.tagCollisions(ctx, in, values)...)
		return out, nil
	}
	if lc.vendor != VendorLocal && s.Vendors == nil {
		return Outcome{}, errNoVendors
	}
	c := checkInput{in: in, step: st, values: values, prior: prior, secret: lc.secret}
	var out Outcome
	if err := s.stepCheckInputs(ctx, lc, &c, secretsGiven); err != nil {
		// An earlier step is missing: not a vendor failure.
		out = Outcome{Proof: lc.proof, Detail: err.Error(), Fix: "complete the earlier step first, then retry"}
	} else {
		out = lc.run(ctx, newAsker(s.Vendors), c).outcome(lc)
	}
	out.Warnings = append(warnings, out.Warnings...)
	if out.OK && out.Proof == steps.ProofVerified {
		if u := s.override(lc.vendor); u != "" {
			// Then it is that endpoint's word, not the vendor's: say so.
			out.Endpoint = u
			out.Detail += " (answered by " + u + ", an endpoint override, not " + lc.vendor + "'s own address)"
		}
	}
	return out, nil
}

// override is the endpoint override replacing a vendor's address, if any.
func (s *Service) override(vendor string) string {
	if ov, ok := s.Vendors.(interface{ Override(vendor string) string }); ok {
		return ov.Override(vendor)
	}
	return ""
}

// stepCheckInputs fills in the secret and region a check reads: from the
// step's answers when it is the step that enters them, else as recorded.
func (s *Service) stepCheckInputs(ctx context.Context, lc liveCheck, c *checkInput, given map[string]string) error {
	var err error
	switch {
	case lc.vendor == VendorLever:
		c.region, c.key, err = s.leverCredentials(ctx, c.in.ID, c.values, given)
	case lc.secret != "":
		c.key, err = s.secretFor(ctx, c.in.ID, lc.secret, given)
	}
	return err
}

func proofDetail(p steps.Proof) string {
	switch p {
	case steps.ProofAttested:
		return "confirmed by you: patchbay cannot see this setting"
	case steps.ProofChecked:
		return "answers checked offline"
	}
	return ""
}

// validateSecrets normalizes the secrets given for a step (trimming pasted
// whitespace) and refuses keys the step does not create.
func validateSecrets(st steps.Step, given map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range given {
		f, ok := st.Field(k)
		if !ok || !f.IsSecret() {
			return nil, fmt.Errorf("step %s has no secret %q", st.ID, k)
		}
		if v == "" {
			continue // keep the stored one
		}
		n, _, err := f.Check(v)
		if err != nil {
			return nil, &steps.FieldError{Field: k, Err: err}
		}
		out[k] = n
	}
	return out, nil
}

func list(names []string, max int) string {
	if len(names) == 0 {
		return "none"
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	if len(sorted) > max {
		return strings.Join(sorted[:max], ", ") + fmt.Sprintf(" and %d more", len(sorted)-max)
	}
	return strings.Join(sorted, ", ")
}

// tagCollisions warns, for the Certn packages step, about package names that
// are already Lever tags (a package name on a candidate overrides the
// default package). It is best effort: without a stored Lever key, or with
// Lever unreachable, there is nothing to compare against.
func (s *Service) tagCollisions(ctx context.Context, in steps.Integration, values map[string]string) []string {
	pkgsValue, ok := values["packages"]
	if !ok || in.ID != steps.IntegrationCertnLever || s.Vendors == nil {
		return nil
	}
	pkgs, err := steps.ParseCertnPackages(pkgsValue)
	if err != nil {
		return nil
	}
	region, key, err := s.leverCredentials(ctx, in.ID, nil, nil)
	if err != nil {
		return nil
	}
	counts, err := s.Vendors.LeverTags(ctx, region, key)
	if err != nil {
		return nil
	}
	tags := make([]string, 0, len(counts))
	for t := range counts {
		tags = append(tags, t)
	}
	return steps.PackageTagCollisions(pkgs, tags)
}
