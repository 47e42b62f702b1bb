package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

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
	// LeverSignatureSelfTest signs and verifies a sample payload with the token.
	LeverSignatureSelfTest(token string) error
}

// Endpoints each integration's Lever key must be able to read.
var (
	CertnLeverEndpoints    = []string{"/stages", "/tags", "/opportunities"}
	ChartHopLeverEndpoints = []string{"/requisitions", "/requisition_fields", "/postings", "/users"}
)

// Classification is a client error in the terms the dashboard uses.
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

// Check runs the live check a step wants. It writes nothing.
func (s *Service) Check(ctx context.Context, sub Submission) (Outcome, error) {
	in, st, err := lookup(sub.Integration, sub.Step)
	if err != nil {
		return Outcome{}, err
	}
	states, err := s.DB.StepStates(ctx, s.Profile, sub.Integration)
	if err != nil {
		return Outcome{}, err
	}
	values, warnings, err := st.ValidateAnswers(sub.Values, steps.AnswersFromRecords(records(states)))
	if err != nil {
		return Outcome{}, err
	}
	secretsGiven, err := validateSecrets(st, sub.Secrets)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Proof: st.Proof, OK: true, Warnings: warnings}
	if st.Check == steps.CheckNone && !createsSigningToken(st) {
		out.Detail = proofDetail(st.Proof)
		out.Warnings = append(out.Warnings, s.tagCollisions(ctx, in, values)...)
		return out, nil
	}
	if s.Vendors == nil {
		return Outcome{}, errors.New("no vendor clients configured")
	}
	res := s.liveCheck(ctx, in, st, values, secretsGiven)
	res.Warnings = append(warnings, res.Warnings...)
	if res.OK && res.Proof == steps.ProofVerified {
		if vendor, u := s.override(st.Check); u != "" {
			// Then it is that endpoint's word, not the vendor's: say so.
			res.Endpoint = u
			res.Detail += " (answered by " + u + ", an endpoint override, not " + vendor + "'s own address)"
		}
	}
	return res, nil
}

// override is the vendor a check asks and the endpoint override replacing
// its address, if any.
func (s *Service) override(check steps.CheckKind) (vendor, url string) {
	vendor = "lever"
	if check == steps.CheckVettyKey {
		vendor = "vetty"
	}
	if ov, ok := s.Vendors.(interface{ Override(vendor string) string }); ok {
		return vendor, ov.Override(vendor)
	}
	return vendor, ""
}

func createsSigningToken(st steps.Step) bool {
	for _, k := range st.Creates {
		if k == "signing_token" {
			return true
		}
	}
	return false
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

func (s *Service) liveCheck(ctx context.Context, in steps.Integration, st steps.Step, values, given map[string]string) Outcome {
	switch st.Check {
	case steps.CheckVettyKey:
		key, err := s.secretFor(ctx, in.ID, "api_key", given)
		if err != nil {
			return failedPrecondition(err)
		}
		pkgs, err := s.Vendors.VettyPackages(ctx, key)
		if err != nil {
			return outcomeOf(err, st, "Vetty")
		}
		return Outcome{Proof: steps.ProofVerified, OK: true, Detail: fmt.Sprintf("the key lists %d Vetty package(s): %s", len(pkgs), list(pkgs, 6))}

	case steps.CheckVettyPackages:
		key, err := s.secretFor(ctx, in.ID, "api_key", nil)
		if err != nil {
			return failedPrecondition(err)
		}
		pkgs, err := s.Vendors.VettyPackages(ctx, key)
		if err != nil {
			return outcomeOf(err, st, "Vetty")
		}
		m, err := steps.ParseChattrMapping(values["packages"])
		if err != nil {
			return Outcome{Proof: steps.ProofVerified, Detail: err.Error(), Fix: "edit the answers"}
		}
		var missing []string
		for _, pp := range m {
			if !slices.Contains(pkgs, pp.Package) {
				missing = append(missing, fmt.Sprintf("%q (for %s)", pp.Package, pp.Position))
			}
		}
		if len(missing) > 0 {
			return Outcome{Proof: steps.ProofVerified,
				Detail: fmt.Sprintf("Vetty does not list %s; it lists: %s", strings.Join(missing, ", "), list(pkgs, 12)),
				Fix:    "edit the answers and choose packages Vetty lists"}
		}
		return Outcome{Proof: steps.ProofVerified, OK: true, Detail: fmt.Sprintf("Vetty lists every package named (%d position(s))", len(m))}

	case steps.CheckLeverKeyCertn, steps.CheckLeverKeyChartHop:
		region, key, err := s.leverCredentials(ctx, in.ID, values, given)
		if err != nil {
			return failedPrecondition(err)
		}
		endpoints := CertnLeverEndpoints
		who := "Certn"
		if st.Check == steps.CheckLeverKeyChartHop {
			endpoints, who = ChartHopLeverEndpoints, "ChartHop"
		}
		if _, err := s.Vendors.LeverStages(ctx, region, key); err != nil {
			return outcomeOf(err, st, "Lever")
		}
		forbidden, err := s.Vendors.LeverProbe(ctx, region, key, endpoints)
		if err != nil {
			return outcomeOf(err, st, "Lever")
		}
		if len(forbidden) > 0 {
			return Outcome{
				Proof:  steps.ProofVerified,
				Detail: fmt.Sprintf("Lever accepted the key but refused %s (403)", strings.Join(forbidden, ", ")),
				Fix:    fmt.Sprintf("%s needs to read %s: give the key those permissions in Lever › Settings › Integrations and API (or generate a new key), then retry", who, strings.Join(endpoints, ", ")),
			}
		}
		detail := fmt.Sprintf("Lever (%s) accepted the key; it can read %s", region, strings.Join(endpoints, ", "))
		if st.Check == steps.CheckLeverKeyChartHop {
			detail += "; the write permissions cannot be read back, so they stay as you confirmed them"
		}
		return Outcome{Proof: steps.ProofVerified, OK: true, Detail: detail}

	case steps.CheckLeverStage:
		region, key, err := s.leverCredentials(ctx, in.ID, nil, nil)
		if err != nil {
			return failedPrecondition(err)
		}
		names, err := s.Vendors.LeverStages(ctx, region, key)
		if err != nil {
			return outcomeOf(err, st, "Lever")
		}
		want := values["stage"]
		for _, n := range names {
			if n == want {
				return Outcome{Proof: steps.ProofVerified, OK: true, Detail: fmt.Sprintf("the stage %q exists in Lever", want)}
			}
		}
		fix := fmt.Sprintf("pick one of Lever's stages (%s), or create %q in Lever › Settings › Pipeline and stages, then retry", list(names, 8), want)
		for _, n := range names {
			if strings.EqualFold(n, want) {
				fix = fmt.Sprintf("Lever spells it %q: stage names must match exactly", n)
			}
		}
		return Outcome{Proof: steps.ProofVerified, Detail: fmt.Sprintf("Lever has no stage named %q", want), Fix: fix}
	}
	if createsSigningToken(st) {
		token := given["signing_token"]
		if token == "" {
			v, err := s.Secret(ctx, in.ID, "signing_token")
			if err != nil {
				return failedPrecondition(err)
			}
			token = v
		}
		if err := s.Vendors.LeverSignatureSelfTest(token); err != nil {
			return Outcome{Proof: steps.ProofChecked, Detail: "the format check failed: " + err.Error(), Fix: "copy the signing token again from Lever's Webhooks tab"}
		}
		// Only Lever knows its token: this proves the format, not the value.
		return Outcome{Proof: steps.ProofChecked, OK: true, Detail: fmt.Sprintf("format check: %d characters, no whitespace, usable with Lever's signature scheme (HMAC-SHA256 of token + triggeredAt); Lever cannot be asked whether it is the token it signs with", utf8.RuneCountInString(token))}
	}
	return Outcome{Proof: st.Proof, OK: true}
}

// failedPrecondition is a check that cannot run because an earlier step is
// missing; it is not a vendor failure.
func failedPrecondition(err error) Outcome {
	return Outcome{Proof: steps.ProofVerified, Detail: err.Error(), Fix: "complete the earlier step first, then retry"}
}

// outcomeOf words a failed vendor call for the admin.
func outcomeOf(err error, st steps.Step, vendor string) Outcome {
	c := Classify(err)
	out := Outcome{Proof: steps.ProofVerified, Detail: fmt.Sprintf("%s: %s", vendor, c.Detail)}
	switch c.Result {
	case ResultUnreachable:
		out.Unreachable = true
		out.Fix = fmt.Sprintf("%s could not be reached: check the network and retry, or complete the step as unverified and verify it later from the dashboard", vendor)
	case ResultRateLimited:
		out.Unreachable = true
		out.Fix = fmt.Sprintf("%s asks patchbay to slow down: wait a minute and retry, or complete the step as unverified", vendor)
	case ResultUnauthorized:
		switch {
		case st.Refused != "":
			out.Fix = "the key was refused. " + st.Refused
		default:
			out.Fix = "the key was refused: copy it again (whole, without spaces)"
			if st.Where != "" {
				out.Fix += " from " + st.Where
			}
		}
		if st.Check == steps.CheckVettyKey {
			out.Fix += "; if it was copied whole, the key's IP range may not include this machine's address: check the key's IP Address field in Vetty › Settings › API Management (0.0.0.0/0 allows any address)"
		}
	case ResultForbidden:
		out.Fix = "the key is valid but lacks a permission: " + c.Detail
		if st.Check == steps.CheckVettyKey {
			out.Fix = "Vetty refused the key: its IP range may not include this machine's address; check the key's IP Address field in Vetty › Settings › API Management"
		}
	default:
		out.Fix = "retry; if it keeps failing, check the vendor's status page"
	}
	return out
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
