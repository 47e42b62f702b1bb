package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
)

// StatusReport is `patchbay status --json`: one object per profile, in the
// shape PRODUCT.md gives. Times are RFC 3339 in UTC; absent ones are null.
type StatusReport struct {
	Profile        string              `json:"profile"`
	SecretsBackend string              `json:"secrets_backend"`
	GeneratedAt    time.Time           `json:"generated_at"`
	Integrations   []IntegrationStatus `json:"integrations"`
	// NotAnswered counts the live checks of this run that gave no answer
	// within the run's bound (they show their last result).
	NotAnswered int `json:"not_answered"`
	// EndpointOverrides are the vendor addresses replaced for this run
	// (PATCHBAY_<VENDOR>_URL): whose answers the checks above are.
	EndpointOverrides []EndpointOverride `json:"endpoint_overrides,omitempty"`
}

// EndpointOverride is one vendor address replaced by a PATCHBAY_<VENDOR>_URL.
type EndpointOverride struct {
	Vendor   string `json:"vendor"`
	Variable string `json:"variable"`
	URL      string `json:"url"`
}

// IntegrationStatus is one integration in the status report.
type IntegrationStatus struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	State      steps.State    `json:"state"`
	StepsDone  int            `json:"steps_done"`
	StepsTotal int            `json:"steps_total"`
	NextStep   *string        `json:"next_step"`
	Steps      []StepStatus   `json:"steps"`
	Secrets    []SecretStatus `json:"secrets"`
	Checks     []CheckStatus  `json:"checks"`
	// Attention says why the state is needs_attention; Warnings are what
	// will need attention soon (a secret expiring within 30 days).
	Attention []string `json:"attention"`
	Warnings  []string `json:"warnings"`
	// Unchecked names the checks whose last result is no verdict
	// (unreachable, rate_limited, unknown).
	Unchecked []string `json:"unchecked"`
}

// StepStatus is one step in the status report.
type StepStatus struct {
	ID          string       `json:"id"`
	Status      steps.Status `json:"status"`
	Proof       *steps.Proof `json:"proof"`
	CompletedAt *time.Time   `json:"completed_at"`
}

// SecretStatus is one secret's metadata in the status report.
type SecretStatus struct {
	Key            string     `json:"key"`
	Backend        string     `json:"backend"`
	Last4          string     `json:"last4"`
	CreatedAt      time.Time  `json:"created_at"`
	ExpiresAt      *time.Time `json:"expires_at"`
	Live           string     `json:"live"`
	LastVerifiedAt *time.Time `json:"last_verified_at"`
	// PreviousKept is true while a rotated-out copy awaits revocation.
	PreviousKept bool `json:"previous_kept"`
}

// CheckStatus is the latest result of one live check, with its age.
type CheckStatus struct {
	Name       string    `json:"name"`
	Result     string    `json:"result"`
	Detail     string    `json:"detail"`
	CheckedAt  time.Time `json:"checked_at"`
	AgeSeconds int64     `json:"age_seconds"`
	// Counts are numbers the check found: Lever's CERTN tags → candidates.
	Counts map[string]int `json:"counts,omitempty"`
}

// Healthy reports whether nothing needs attention.
func (r StatusReport) Healthy() bool {
	for _, in := range r.Integrations {
		if in.State == steps.StateNeedsAttention {
			return false
		}
	}
	return true
}

// Unchecked counts the checks that could not run: those whose last result
// is no verdict, and those that did not answer in this run.
func (r StatusReport) Unchecked() int {
	n := r.NotAnswered
	for _, in := range r.Integrations {
		n += len(in.Unchecked)
	}
	return n
}

// UncheckedWhy words why checks could not run, most frequent first, e.g.
// "2 unreachable, 1 rate limited".
func (r StatusReport) UncheckedWhy() string {
	counts := map[string]int{}
	var order []string
	add := func(why string, n int) {
		if _, ok := counts[why]; !ok {
			order = append(order, why)
		}
		counts[why] += n
	}
	for _, in := range r.Integrations {
		for _, c := range in.Checks {
			if couldNotCheck(c.Result, c.Detail) {
				add(attentionWords(c.Result, c.Detail), 1)
			}
		}
	}
	if r.NotAnswered > 0 {
		add("no answer in time", r.NotAnswered)
	}
	slices.SortStableFunc(order, func(a, b string) int { return counts[b] - counts[a] })
	parts := make([]string, len(order))
	for i, why := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[why], why)
	}
	return strings.Join(parts, ", ")
}

// Status builds the status report from what the store knows.
func (s *Service) Status(ctx context.Context) (StatusReport, error) {
	ov, err := s.overview(ctx, 0)
	if err != nil {
		return StatusReport{}, err
	}
	return StatusFrom(ov, s.now()), nil
}

// StatusFrom turns an overview into the status report.
func StatusFrom(ov Overview, now time.Time) StatusReport {
	r := StatusReport{Profile: ov.Profile, SecretsBackend: ov.SecretsBackend, GeneratedAt: now, Integrations: []IntegrationStatus{}}
	for _, iv := range ov.Integrations {
		is := IntegrationStatus{
			ID: iv.Integration.ID, Name: iv.Integration.Name, State: iv.State,
			StepsDone: iv.Done, StepsTotal: iv.Total,
			Steps: []StepStatus{}, Secrets: []SecretStatus{}, Checks: []CheckStatus{},
			Attention: append([]string{}, iv.Attention...), Warnings: ExpiryWarnings(iv, now),
			Unchecked: []string{},
		}
		for _, c := range iv.Unchecked {
			is.Unchecked = append(is.Unchecked, c.Name)
		}
		if iv.NextStep != "" {
			next := iv.NextStep
			is.NextStep = &next
		}
		for _, sv := range iv.Steps {
			ss := StepStatus{ID: sv.Step.ID, Status: sv.Status}
			if sv.Proof != "" {
				p := sv.Proof
				ss.Proof = &p
			}
			if !sv.CompletedAt.IsZero() {
				t := sv.CompletedAt.UTC()
				ss.CompletedAt = &t
			}
			is.Steps = append(is.Steps, ss)
		}
		for _, sv := range iv.Secrets {
			sec := SecretStatus{Key: sv.Key, Backend: sv.Backend, Last4: sv.Last4, CreatedAt: sv.CreatedAt.UTC(), Live: sv.Live, PreviousKept: sv.HasPrevious}
			if !sv.ExpiresAt.IsZero() {
				t := sv.ExpiresAt.UTC()
				sec.ExpiresAt = &t
			}
			if !sv.LastVerifiedAt.IsZero() {
				t := sv.LastVerifiedAt.UTC()
				sec.LastVerifiedAt = &t
			}
			is.Secrets = append(is.Secrets, sec)
		}
		for _, c := range iv.Checks {
			is.Checks = append(is.Checks, CheckStatus{
				Name: c.Name, Result: c.Result, Detail: c.Detail, CheckedAt: c.CheckedAt.UTC(), Counts: c.Counts,
				AgeSeconds: int64(now.Sub(c.CheckedAt) / time.Second),
			})
		}
		r.Integrations = append(r.Integrations, is)
	}
	return r
}

// ExpiryWarnings lists the integration's secrets that expire within
// ExpiryWarning (expired ones are in Attention instead).
func ExpiryWarnings(iv IntegrationView, now time.Time) []string {
	out := []string{}
	for _, sv := range iv.Secrets {
		left, ok := sv.ExpiresIn(now)
		if !ok || left <= 0 || left > ExpiryWarning {
			continue
		}
		days := int(left.Hours() / 24)
		out = append(out, fmt.Sprintf("secret %s expires in %d day(s), on %s: rotate it (patchbay rotate %s/%s)",
			sv.Key, days, sv.ExpiresAt.Format("2006-01-02"), iv.Integration.ID, sv.Key))
	}
	return out
}
