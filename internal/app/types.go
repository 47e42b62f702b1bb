// Package app holds patchbay's application services: running a step
// (validate, live check, secret, record), rotating a secret, computing
// status and refreshing live checks. It wires store, store/secrets, clients
// and steps together so that the TUI and the non-interactive commands share
// one implementation.
package app

import (
	"time"

	"github.com/patchbay/patchbay/internal/steps"
)

// Overview is what the home screen and `status` show for one profile.
type Overview struct {
	Profile        string
	SecretsBackend string
	Integrations   []IntegrationView
	Events         []EventView // newest first
}

// IntegrationView is one integration's progress, secrets and last checks.
type IntegrationView struct {
	Integration steps.Integration
	State       steps.State
	Done, Total int
	NextStep    string // "" when complete
	Steps       []StepView
	Secrets     []SecretView
	Checks      []CheckView
	Attention   []string // plain reasons the state is needs_attention
	// Unchecked are the checks whose last run gave no verdict (vendor
	// unreachable, rate limited, check could not run): their result is
	// unknown, which is not healthy either.
	Unchecked []CheckView
}

// StepView is one step's recorded progress.
type StepView struct {
	Step        steps.Step
	Status      steps.Status
	Proof       steps.Proof // "" until done
	CompletedAt time.Time   // zero until done
}

// SecretView is a secret's metadata; never its value.
type SecretView struct {
	Key            string
	Backend        string
	Last4          string
	CreatedAt      time.Time
	ExpiresAt      time.Time // zero when the secret does not expire
	LastVerifiedAt time.Time
	Live           string // last live result: valid, unauthorized, forbidden, unreachable, rate_limited, unknown
	HasPrevious    bool   // a rotated-out copy is kept until revocation is confirmed
}

// ExpiresIn returns the time left before expiry, and false when it never expires.
func (s SecretView) ExpiresIn(now time.Time) (time.Duration, bool) {
	if s.ExpiresAt.IsZero() {
		return 0, false
	}
	return s.ExpiresAt.Sub(now), true
}

// CheckView is the latest result of one live check.
type CheckView struct {
	Name      string
	Result    string // valid, unauthorized, forbidden, unreachable, rate_limited, drift, unknown
	Detail    string
	CheckedAt time.Time
	Counts    map[string]int // numbers the check found (CERTN tag counts)
}

// EventView is one audit log entry.
type EventView struct {
	At          time.Time
	Integration string
	Step        string
	Kind        string
	Summary     string
}

// StepInput is what a run of one step starts from: the prior non-secret
// answers (pre-filled; Enter keeps them) and which secrets are already stored
// (so a secret field can default to "keep current").
type StepInput struct {
	Values        map[string]string
	StoredSecrets map[string]bool
}

// Submission is an admin's answers to one step.
type Submission struct {
	Integration string
	Step        string
	Values      map[string]string // non-secret answers, already validated
	Secrets     map[string]string // secret answers; a key absent here keeps the stored secret
}

// Outcome is the result of a step's live check.
type Outcome struct {
	Proof    steps.Proof
	OK       bool     // false: the check failed (wrong key, missing stage...), see Detail and Fix
	Detail   string   // what was found, in plain words
	Fix      string   // what to do in the vendor's UI when it failed
	Warnings []string // non-blocking
	// Unreachable is true when the check could not decide (the vendor could
	// not be reached, rate limited, a guess about it failed): the admin may
	// complete the step as unverified.
	Unreachable bool
	// Endpoint is the base URL that answered when it was an endpoint
	// override (PATCHBAY_<VENDOR>_URL), "" for the vendor's own address.
	Endpoint string
	// Guess is true when the check failed the way a wrong guess patchbay
	// makes about the vendor explains (Detail and Fix name it): not a
	// network problem, and nothing is proven, so the step is not recorded.
	Guess bool
	// Result is the live result a check that could not decide records
	// (unreachable, rate_limited, unknown); "" means unreachable.
	Result string
	// Corrections are answers the vendor's reply corrected (the Lever
	// region a key belongs to); Complete records them instead of the given.
	Corrections map[string]string
}
