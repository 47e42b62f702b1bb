package steps

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Vendor addresses the steps link to or ask the admin to paste.
const (
	LinkVetty       = "https://client.vetty.co"
	LinkChattr      = "https://app.chattr.ai"
	LinkLever       = "https://hire.lever.co/settings/integrations"
	LinkCertn       = "https://app.certn.co"
	LinkChartHop    = "https://app.charthop.com"
	VettyWebhookURL = "https://us-central1-hire-humanly.cloudfunctions.net/vettyReceiveEvents"
	VettyWebhookKey = "chattr"
)

// leverSites is where an admin signs in to Lever, per region (the lever-key
// step's "region" answer); the links of the steps above say hire.lever.co,
// the US site.
var leverSites = map[string]string{
	"us":      "https://hire.lever.co",
	"eu":      "https://hire.eu.lever.co",
	"sandbox": "https://hire.sandbox.lever.co",
}

// ForLeverRegion returns the integration with its links to Lever's site
// pointed at the region's (EU accounts sign in at hire.eu.lever.co). An
// unknown or empty region leaves the links as they are.
func (in Integration) ForLeverRegion(region string) Integration {
	site, ok := leverSites[region]
	if !ok || region == "us" {
		return in
	}
	in.Steps = slices.Clone(in.Steps)
	for i := range in.Steps {
		if rest, found := strings.CutPrefix(in.Steps[i].Link, leverSites["us"]); found {
			in.Steps[i].Link = site + rest
		}
	}
	return in
}

// Integration IDs, in catalog order.
const (
	IntegrationVettyChattr   = "vetty-chattr"
	IntegrationCertnLever    = "certn-lever"
	IntegrationChartHopLever = "charthop-lever"
)

// FieldConfirmed is the key of the confirmation every attested step asks for.
const FieldConfirmed = "confirmed"

// Catalog returns every integration, in a fixed order. Each call builds
// fresh values, so a caller may change what it gets without affecting
// anyone else.
func Catalog() []Integration {
	return []Integration{
		finish(vettyChattr()),
		finish(certnLever()),
		finish(charthopLever()),
	}
}

// IntegrationIDs returns the integration IDs in catalog order.
func IntegrationIDs() []string {
	return []string{IntegrationVettyChattr, IntegrationCertnLever, IntegrationChartHopLever}
}

// Lookup returns the integration with that ID.
func Lookup(id string) (Integration, bool) {
	for _, in := range Catalog() {
		if in.ID == id {
			return in, true
		}
	}
	return Integration{}, false
}

// finish gives every field without a validator the one its kind implies,
// so Field.Validate is never nil in the catalog.
func finish(in Integration) Integration {
	for i := range in.Steps {
		for j := range in.Steps[i].Fields {
			f := &in.Steps[i].Fields[j]
			if f.Validate == nil {
				f.Validate = defaultValidator(*f)
			}
		}
	}
	return in
}

// Step returns the step with that ID.
func (in Integration) Step(id string) (Step, bool) {
	if i := in.StepIndex(id); i >= 0 {
		return in.Steps[i], true
	}
	return Step{}, false
}

// StepIndex returns the step's position in the integration, -1 when absent.
func (in Integration) StepIndex(id string) int {
	return slices.IndexFunc(in.Steps, func(s Step) bool { return s.ID == id })
}

// StepIDs returns the step IDs in order.
func (in Integration) StepIDs() []string {
	ids := make([]string, len(in.Steps))
	for i, s := range in.Steps {
		ids[i] = s.ID
	}
	return ids
}

// SecretKeys returns the keys of the secrets the integration keeps, in the
// order their steps create them.
func (in Integration) SecretKeys() []string {
	var keys []string
	for _, s := range in.Steps {
		keys = append(keys, s.Creates...)
	}
	return keys
}

// StepCreating returns the step that creates (asks for) the secret.
func (in Integration) StepCreating(secretKey string) (Step, bool) {
	for _, s := range in.Steps {
		if slices.Contains(s.Creates, secretKey) {
			return s, true
		}
	}
	return Step{}, false
}

// SecretField returns the field that holds the secret.
func (in Integration) SecretField(secretKey string) (Field, bool) {
	s, ok := in.StepCreating(secretKey)
	if !ok {
		return Field{}, false
	}
	return s.Field(secretKey)
}

// Field returns the step's field with that key.
func (s Step) Field(key string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// FieldKeys returns the step's field keys in order.
func (s Step) FieldKeys() []string {
	keys := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		keys[i] = f.Key
	}
	return keys
}

// SecretExpiry says when the secrets this step creates expire: created plus
// the months answered in ExpiryMonthsField. ok is false when the step names
// no such field or the answer is not a valid number of months.
func (s Step) SecretExpiry(values map[string]string, created time.Time) (expires time.Time, ok bool) {
	if s.ExpiryMonthsField == "" {
		return time.Time{}, false
	}
	n, _, err := ValidateExpiryMonths(values[s.ExpiryMonthsField])
	if err != nil {
		return time.Time{}, false
	}
	months, _ := strconv.Atoi(n)
	return created.AddDate(0, months, 0), true
}

// ValidateAnswers checks a full set of the step's non-secret answers, as
// stored when the step completes: absent fields take their Default, every
// present field is checked and normalized, required fields must be there,
// then the step's cross-field Validate runs with prior (the integration's
// other recorded answers). Secret fields are skipped: whether a secret is
// new or "keep current" is the caller's business, and ParseSets or the form
// validates a new one. All problems are reported at once (errors.Join).
func (s Step) ValidateAnswers(values map[string]string, prior Answers) (normalized map[string]string, warnings []string, err error) {
	normalized = map[string]string{}
	var errs, missing []error
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if f, ok := s.Field(k); !ok {
			errs = append(errs, fmt.Errorf("%w: %q is not a field of %s; valid: %s", ErrUnknownField, k, s.ID, strings.Join(s.FieldKeys(), ", ")))
		} else if f.IsSecret() {
			errs = append(errs, fmt.Errorf("%w: %s is a secret and is never stored with the answers", ErrInvalidValue, k))
		}
	}
	for _, f := range s.Fields {
		if f.IsSecret() {
			continue
		}
		v, ok := values[f.Key]
		if !ok || strings.TrimSpace(v) == "" {
			if f.Default == "" {
				if !f.Optional {
					missing = append(missing, fmt.Errorf("%w: %s (%s)", ErrMissingValue, f.Key, f.Label))
				}
				continue
			}
			v = f.Default
		}
		n, w, ferr := f.Check(v)
		if ferr != nil {
			errs = append(errs, ferr)
			continue
		}
		warnings = append(warnings, w...)
		if n != "" {
			normalized[f.Key] = n
		}
	}
	errs = append(errs, missing...)
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	if s.Validate != nil {
		w, verr := s.Validate(maps.Clone(normalized), prior)
		warnings = append(warnings, w...)
		if verr != nil {
			return nil, warnings, verr
		}
	}
	return normalized, warnings, nil
}

// AnswersFromRecords gathers the non-secret answers of an integration's
// step records, for Step.Validate and Step.Handoff.
func AnswersFromRecords(records map[string]StepRecord) Answers {
	a := Answers{}
	for id, r := range records {
		if len(r.Values) > 0 {
			a[id] = maps.Clone(r.Values)
		}
	}
	return a
}

// ParseRef splits an `INTEGRATION/STEP` reference and checks both parts
// exist; an error lists the valid choices.
func ParseRef(ref string) (integration, step string, err error) {
	in, rest, err := splitRef(ref, "INTEGRATION/STEP")
	if err != nil {
		return "", "", err
	}
	if _, ok := in.Step(rest); !ok {
		return "", "", fmt.Errorf("%w: %s has no step %q; valid: %s", ErrUnknownStep, in.ID, rest, strings.Join(in.StepIDs(), ", "))
	}
	return in.ID, rest, nil
}

// ParseSecretRef splits an `INTEGRATION/SECRET` reference (as `patchbay
// rotate` takes) and checks both parts exist.
func ParseSecretRef(ref string) (integration, secret string, err error) {
	in, rest, err := splitRef(ref, "INTEGRATION/SECRET")
	if err != nil {
		return "", "", err
	}
	if !slices.Contains(in.SecretKeys(), rest) {
		return "", "", fmt.Errorf("%w: %s keeps no secret %q; valid: %s", ErrUnknownSecret, in.ID, rest, strings.Join(in.SecretKeys(), ", "))
	}
	return in.ID, rest, nil
}

func splitRef(ref, form string) (Integration, string, error) {
	id, rest, ok := strings.Cut(strings.TrimSpace(ref), "/")
	if !ok || id == "" || rest == "" || strings.Contains(rest, "/") {
		return Integration{}, "", fmt.Errorf("%w: %q is not %s (e.g. certn-lever/lever-key)", ErrBadRef, ref, form)
	}
	in, found := Lookup(id)
	if !found {
		return Integration{}, "", fmt.Errorf("%w: %q; valid: %s", ErrUnknownIntegration, id, strings.Join(IntegrationIDs(), ", "))
	}
	return in, rest, nil
}

// Field constructors keep the catalog files readable.

func confirmField(what string) Field {
	return Field{
		Key:   FieldConfirmed,
		Label: "Done in the vendor's UI",
		Help:  "Confirm once you have " + what + ". Only you can see it there, so this step is attested by you.",
		Kind:  KindConfirm,
	}
}

func secretField(key, label, help string) Field {
	return Field{Key: key, Label: label, Help: help, Kind: KindSecret}
}

func leverRegionField() Field {
	return Field{
		Key:   "region",
		Label: "Lever region",
		Help:  "Where your Lever account lives: US (hire.lever.co), EU (hire.eu.lever.co) or Lever's sandbox.",
		Kind:  KindSelect,
		Options: []Option{
			{Value: "us", Label: "US"},
			{Value: "eu", Label: "EU"},
			{Value: "sandbox", Label: "Sandbox"},
		},
	}
}
