package steps

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The five toggles of ChartHop's Lever Requisitions "Other Options" section
// (field keys of charthop-lever/charthop-options).
const (
	OptRunDaily              = "run_daily"
	OptSyncOnChange          = "sync_on_change"
	OptReverseSync           = "reverse_sync"
	OptReconciliation        = "reconciliation"
	OptRemoteLocationDefault = "remote_location_default"
)

// The sources of truth of charthop-lever/charthop-source.
const (
	TruthChartHop = "charthop" // outbound: ChartHop → Lever
	TruthLever    = "lever"    // inbound: Lever → ChartHop
)

// optionToggle describes one toggle in our words, after the article's table.
type optionToggle struct {
	Key, Label, Help string
}

// optionToggles is the toggles in the order ChartHop shows them.
var optionToggles = []optionToggle{
	{OptRunDaily, "Run Daily", "Runs the app every morning: job-related candidate metrics are pulled whatever the direction, and with the inbound flow the inbound job data flow also runs daily (so does Reconciliation when it is on)."},
	{OptSyncOnChange, "Sync On Change", "Turns on the outbound flow: changes to open jobs in ChartHop are pushed to Lever as soon as they are made. Cannot be on while Reverse Sync is on."},
	{OptReverseSync, "Reverse Sync", "Makes Lever the system of record: ChartHop gets Lever's new open roles when the inbound flow runs. Cannot be on while Sync On Change is on."},
	{OptReconciliation, "Reconciliation", "Reconciles Lever's roles and fields with ChartHop, treating ChartHop as the source of truth (an open job in ChartHop that Lever lacks gets a matching req in Lever); ad hoc, or daily with Run Daily. Cannot be on while Reverse Sync is on."},
	{OptRemoteLocationDefault, "Remote Location As Default", "Newly synced records without a location get the location Remote."},
}

// OptionKeys returns the toggle keys in ChartHop's order.
func OptionKeys() []string {
	keys := make([]string, len(optionToggles))
	for i, t := range optionToggles {
		keys[i] = t.Key
	}
	return keys
}

// flowName words a source of truth for messages.
func flowName(source string) string {
	switch source {
	case TruthChartHop:
		return "ChartHop as the source of truth (outbound flow)"
	case TruthLever:
		return "Lever as the source of truth (inbound flow)"
	}
	return "source " + strconv.Quote(source)
}

// RuleKind is what an option rule says.
type RuleKind string

const (
	// RuleExcludes: Option and Other cannot both be on.
	RuleExcludes RuleKind = "excludes"
	// RuleUnavailable: Option cannot be on with this Source.
	RuleUnavailable RuleKind = "unavailable"
	// RuleRequires: with this Source, Option must be on.
	RuleRequires RuleKind = "requires"
	// RuleRecommends: with this Source, Option should be on (not blocking).
	RuleRecommends RuleKind = "recommends"
)

// OurReadingNote marks rules whose source is our reading of the article's
// required/recommended table, whose cells were lost.
const OurReadingNote = "our reading of the article's table, whose cells were lost"

// OptionRule is one row of the option table.
type OptionRule struct {
	Kind   RuleKind
	Option string // a toggle key
	Other  string // RuleExcludes: the other toggle
	Source string // RuleUnavailable/Requires/Recommends: TruthChartHop or TruthLever
	// Reason is the why, in the words the UI shows next to the toggle.
	Reason string
	// OurReading is true when the rule is our reading of the article's lost
	// table rather than something the article states (see OurReadingNote).
	OurReading bool
}

// optionRules is THE table: the TUI, the non-interactive path, the
// validator, drift checks and the tests all read it. Remote Location As
// Default is in no rule: it is free in both flows.
var optionRules = []OptionRule{
	{Kind: RuleExcludes, Option: OptSyncOnChange, Other: OptReverseSync,
		Reason: "the article says Sync On Change cannot be selected while Reverse Sync is on, nor the reverse: one pushes ChartHop's jobs to Lever, the other makes Lever the system of record"},
	{Kind: RuleExcludes, Option: OptReconciliation, Other: OptReverseSync,
		Reason: "the article says Reconciliation cannot be selected while Reverse Sync is on: Reconciliation treats ChartHop as the source of truth, Reverse Sync makes Lever the system of record"},
	{Kind: RuleUnavailable, Option: OptReverseSync, Source: TruthChartHop,
		Reason: "Reverse Sync makes Lever the system of record, which contradicts ChartHop as the source of truth (outbound)"},
	{Kind: RuleUnavailable, Option: OptSyncOnChange, Source: TruthLever,
		Reason: "Sync On Change pushes ChartHop's job changes to Lever, which contradicts Lever as the source of truth (inbound)"},
	{Kind: RuleUnavailable, Option: OptReconciliation, Source: TruthLever,
		Reason: "Reconciliation treats ChartHop as the source of truth, which contradicts Lever as the source of truth (inbound)"},
	{Kind: RuleRequires, Option: OptSyncOnChange, Source: TruthChartHop, OurReading: true,
		Reason: "the outbound flow runs through Sync On Change: it is what pushes ChartHop's job changes to Lever"},
	{Kind: RuleRecommends, Option: OptReconciliation, Source: TruthChartHop, OurReading: true,
		Reason: "Reconciliation creates in Lever the open jobs it is missing and keeps role and field data in line with ChartHop"},
	{Kind: RuleRecommends, Option: OptRunDaily, Source: TruthChartHop, OurReading: true,
		Reason: "Run Daily pulls candidate metrics every morning and runs Reconciliation daily instead of only ad hoc"},
	{Kind: RuleRequires, Option: OptReverseSync, Source: TruthLever, OurReading: true,
		Reason: "the inbound flow runs through Reverse Sync: it brings Lever's new open roles into ChartHop"},
	{Kind: RuleRecommends, Option: OptRunDaily, Source: TruthLever, OurReading: true,
		Reason: "Run Daily runs the inbound flow every morning and pulls candidate metrics"},
}

// ToggleEval is one toggle as the UI should draw it.
type ToggleEval struct {
	Key   string
	Label string
	On    bool
	// Available is false when the source or another toggle that is on rules
	// the toggle out; Reason then says why ("off because Reverse Sync is
	// on"). The UI shows such a toggle, disabled, with the reason.
	Available bool
	Reason    string
	// Required / Recommended for the chosen flow; Note says why, and that
	// it is our reading of the article.
	Required    bool
	Recommended bool
	Note        string
}

// OptionFinding is one broken rule (blocking) or unmet recommendation.
type OptionFinding struct {
	Rule    OptionRule
	Message string
}

// OptionsEval is the option table applied to one set of toggles.
type OptionsEval struct {
	Source  string
	Toggles []ToggleEval // in OptionKeys order
	// Violations block completing the step: two excluding toggles on, a
	// toggle on that the source makes unavailable, a required toggle off.
	Violations []OptionFinding
	// Recommendations do not block: a recommended toggle is off.
	Recommendations []OptionFinding
}

// OK reports whether no rule is broken.
func (e OptionsEval) OK() bool { return len(e.Violations) == 0 }

// Err joins the violations into one error wrapping ErrOptionRules, nil when
// there are none.
func (e OptionsEval) Err() error {
	if e.OK() {
		return nil
	}
	msgs := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		msgs[i] = v.Message
	}
	return fmt.Errorf("%w: %s", ErrOptionRules, strings.Join(msgs, "; "))
}

// EvaluateOptions applies the option table to the toggles that are on, for
// a source of truth (TruthChartHop or TruthLever). With any other source
// (none chosen yet) only the exclusions apply. Toggles absent from on are
// off; keys that are not toggles are ignored.
func EvaluateOptions(source string, on map[string]bool) OptionsEval {
	ev := OptionsEval{Source: source}
	for _, t := range optionToggles {
		ev.Toggles = append(ev.Toggles, ToggleEval{Key: t.Key, Label: t.Label, On: on[t.Key], Available: true})
	}
	toggle := func(key string) *ToggleEval {
		for i := range ev.Toggles {
			if ev.Toggles[i].Key == key {
				return &ev.Toggles[i]
			}
		}
		return nil
	}
	markOff := func(t *ToggleEval, reason string) {
		if t.Available {
			t.Available, t.Reason = false, reason
		}
	}
	// Source rules first, so a toggle the flow rules out gives that reason
	// rather than the (secondary) exclusion.
	for _, r := range optionRules {
		if r.Source != source || r.Kind == RuleExcludes {
			continue
		}
		t := toggle(r.Option)
		note := r.Reason
		if r.OurReading {
			note += " (" + OurReadingNote + ")"
		}
		switch r.Kind {
		case RuleUnavailable:
			markOff(t, fmt.Sprintf("off because the source of truth is %s: %s", sourceShort(source), r.Reason))
			if t.On {
				ev.Violations = append(ev.Violations, OptionFinding{r, fmt.Sprintf("%s is on but unavailable with %s; turn it off", t.Label, flowName(source))})
			}
		case RuleRequires:
			t.Required, t.Note = true, "required: "+note
			if !t.On {
				ev.Violations = append(ev.Violations, OptionFinding{r, fmt.Sprintf("%s is required with %s (%s); turn it on", t.Label, flowName(source), OurReadingNote)})
			}
		case RuleRecommends:
			t.Recommended, t.Note = true, "recommended: "+note
			if !t.On {
				ev.Recommendations = append(ev.Recommendations, OptionFinding{r, fmt.Sprintf("%s is recommended with %s (%s): %s", t.Label, flowName(source), OurReadingNote, r.Reason)})
			}
		}
	}
	for _, r := range optionRules {
		if r.Kind != RuleExcludes {
			continue
		}
		a, b := toggle(r.Option), toggle(r.Other)
		if b.On {
			markOff(a, "off because "+b.Label+" is on")
		}
		if a.On {
			markOff(b, "off because "+a.Label+" is on")
		}
		if a.On && b.On {
			ev.Violations = append(ev.Violations, OptionFinding{r, fmt.Sprintf("%s and %s cannot both be on; turn one off", a.Label, b.Label)})
		}
	}
	return ev
}

func sourceShort(source string) string {
	switch source {
	case TruthChartHop:
		return "ChartHop (outbound)"
	case TruthLever:
		return "Lever (inbound)"
	}
	return strconv.Quote(source)
}

// RecommendedOptions returns the toggles the table asks for with a source:
// required and recommended ones on, the rest off. The UI pre-fills the
// options step with it.
func RecommendedOptions(source string) map[string]bool {
	on := map[string]bool{}
	for _, k := range OptionKeys() {
		on[k] = false
	}
	for _, r := range optionRules {
		if r.Source == source && (r.Kind == RuleRequires || r.Kind == RuleRecommends) {
			on[r.Option] = true
		}
	}
	return on
}

// ValidateOptions checks the options step's answers (toggle key →
// "true"/"false", absent = off) against the table for a source of truth.
// Violations are the error (wrapping ErrOptionRules); recommendations are
// warnings. Without a valid source it fails with ErrPrerequisite: which
// toggles may be on depends on the flow.
func ValidateOptions(source string, values map[string]string) (warnings []string, err error) {
	if source != TruthChartHop && source != TruthLever {
		return nil, fmt.Errorf("%w: choose the source of truth first (charthop-lever/charthop-source); which options may be on depends on it", ErrPrerequisite)
	}
	on := map[string]bool{}
	var errs []error
	for _, k := range OptionKeys() {
		v, ok := values[k]
		if !ok {
			continue
		}
		n, _, verr := ValidateToggle(v)
		if verr != nil {
			errs = append(errs, &FieldError{Field: k, Err: verr})
			continue
		}
		on[k] = n == "true"
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	ev := EvaluateOptions(source, on)
	for _, r := range ev.Recommendations {
		warnings = append(warnings, r.Message)
	}
	return warnings, ev.Err()
}
