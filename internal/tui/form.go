package tui

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"charm.land/huh/v2"

	"github.com/patchbay/patchbay/internal/steps"
)

// formValue is one field's answer while a form is open. Huh fields write into
// it through pointers; encode turns it into the `--set` string encoding.
type formValue struct {
	field steps.Field
	str   string
	multi []string
	// on is a toggle's or confirmation's answer. It is atomic because Huh
	// evaluates a field's DescriptionFunc in a command, off the UI goroutine,
	// and the option rules' descriptions read every toggle.
	on atomic.Bool
	// state mirrors the toggles for Huh to hash (it cannot see inside an
	// atomic), so it knows when to recompute a description. Only the UI
	// goroutine touches it.
	state *toggleState

	// options is what a select offers (static, or loaded from the vendor).
	options []steps.Option
	// manual is set when a dynamic list could not be loaded: the field is a
	// text input and loadErr says why.
	manual  bool
	loadErr error
	// keep says what an empty secret input means: keepStored (the secret in
	// the store stays), keepTyped (the one typed earlier in this run stays),
	// or keepNone (an answer is required).
	keep keepKind
}

type keepKind int

const (
	keepNone keepKind = iota
	keepStored
	keepTyped
)

func (v *formValue) encode() string {
	switch v.field.Kind {
	case steps.KindToggle, steps.KindConfirm:
		return strconv.FormatBool(v.on.Load())
	case steps.KindMultiSelect:
		if v.manual {
			return v.str
		}
		return strings.Join(v.multi, ",")
	}
	return v.str
}

// isChoice reports whether the field is drawn as a list to pick from.
func (v *formValue) isChoice() bool {
	return !v.manual && len(v.options) > 0 &&
		(v.field.Kind == steps.KindSelect || v.field.Kind == steps.KindMultiSelect)
}

// formSpec is everything a step form is built from. A new form is built for
// every run of the form; answers survive in values.
type formSpec struct {
	step    steps.Step
	answers map[string]string // non-secret answers to pre-fill
	stored  map[string]bool   // secrets already in the store
	typed   map[string]bool   // secrets typed earlier in this run
	options map[string][]steps.Option
	optErr  map[string]error
	rules   *optionRules // non-nil on the ChartHop options step
	// fresh is true when the step was never completed: the options step then
	// starts from what the chosen flow asks for, not from the defaults the
	// backend fills in.
	fresh  bool
	theme  huh.Theme
	keys   *KeyMap
	width  int
	height int
}

// newFormValues prepares one formValue per field, pre-filled.
func newFormValues(sp formSpec) []*formValue {
	vals := make([]*formValue, 0, len(sp.step.Fields))
	for _, f := range sp.step.Fields {
		v := &formValue{field: f}
		prior, hasPrior := sp.answers[f.Key]
		if !hasPrior {
			prior = f.Default
		}
		switch f.Kind {
		case steps.KindSecret:
			switch {
			case sp.typed[f.Key]:
				v.keep = keepTyped
			case sp.stored[f.Key]:
				v.keep = keepStored
			}
		case steps.KindSelect, steps.KindMultiSelect:
			v.options = f.Options
			if f.Source != steps.SourceNone {
				if opts, ok := sp.options[f.Key]; ok {
					v.options = opts
				} else {
					v.manual = true
					v.loadErr = sp.optErr[f.Key]
				}
			}
			if len(v.options) == 0 {
				v.manual = true
			}
			if f.Kind == steps.KindMultiSelect && !v.manual {
				v.multi = splitList(prior)
			} else {
				v.str = prior
			}
		case steps.KindToggle:
			switch {
			case (sp.fresh || !hasPrior) && sp.rules != nil && sp.rules.source != "":
				// First run of the options step: start from what the table
				// asks for with the chosen flow.
				v.on.Store(steps.RecommendedOptions(sp.rules.source)[f.Key])
			default:
				on, _ := parseBool(prior)
				v.on.Store(on)
			}
		case steps.KindConfirm:
			// An attestation is given afresh each run, never pre-filled.
			v.on.Store(false)
		default:
			if f.Source != steps.SourceNone {
				// A free-form field (the Chattr mapping) may still be helped by a
				// vendor list: shown as a hint and offered as suggestions.
				v.options = sp.options[f.Key]
				v.loadErr = sp.optErr[f.Key]
			}
			v.str = prior
		}
		vals = append(vals, v)
	}
	return vals
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseBool(s string) (bool, bool) {
	n, _, err := steps.ValidateToggle(s)
	if err != nil {
		return false, false
	}
	return n == "true", true
}

// fieldErr unwraps a steps.FieldError: the form shows the message under the
// field, where the key prefix would only repeat its title.
func fieldErr(err error) error {
	var fe *steps.FieldError
	if errors.As(err, &fe) {
		return fe.Err
	}
	return err
}

// checkValue validates one answer as the form sees it.
func (v *formValue) checkValue(raw string) error {
	if v.field.Kind == steps.KindSecret && strings.TrimSpace(raw) == "" && v.keep != keepNone {
		return nil
	}
	_, _, err := v.field.Check(raw)
	return fieldErr(err)
}

// buildForm turns a step's fields into one Huh group. Secrets are password
// inputs; selects and checklists offer their options; toggles and
// confirmations are yes/no buttons; everything else is a text input checked
// by the field's own validator.
func buildForm(sp formSpec, vals []*formValue) *huh.Form {
	linkToggles(vals)
	fields := make([]huh.Field, 0, len(vals))
	for _, v := range vals {
		fields = append(fields, huhField(sp, v, vals))
	}
	km := huh.NewDefaultKeyMap()
	km.Quit = sp.keys.Cancel
	km.Select.Filter.SetEnabled(false)
	km.MultiSelect.Filter.SetEnabled(false)
	form := huh.NewForm(huh.NewGroup(fields...)).
		WithShowHelp(false).
		// Errors go on the screen's own footer line, which is always visible.
		WithShowErrors(false).
		WithTheme(sp.theme).
		WithKeyMap(km)
	if sp.width > 0 {
		form = form.WithWidth(sp.width)
	}
	if sp.height > 0 {
		form = form.WithHeight(sp.height)
	}
	return form
}

func huhField(sp formSpec, v *formValue, all []*formValue) huh.Field {
	f := v.field
	title := f.Label
	if f.Optional {
		title += " (optional)"
	}
	desc := fieldDescription(v)
	switch {
	case f.Kind == steps.KindSecret:
		in := huh.NewInput().Key(f.Key).Title(title).Description(desc).
			EchoMode(huh.EchoModePassword).Value(&v.str).
			Validate(v.checkValue)
		switch v.keep {
		case keepStored:
			in.Placeholder("keep current")
		case keepTyped:
			in.Placeholder("keep the one you typed")
		}
		return in
	case v.isChoice() && f.Kind == steps.KindSelect:
		opts := make([]huh.Option[string], 0, len(v.options)+1)
		for _, o := range v.options {
			opts = append(opts, huh.NewOption(optionLabel(o), o.Value))
		}
		// A recorded answer the vendor no longer lists (a renamed stage) stays
		// visible, so the admin sees what changed instead of a silent swap.
		if v.str != "" && !slices.ContainsFunc(v.options, func(o steps.Option) bool { return o.Value == v.str }) {
			opts = append(opts, huh.NewOption(v.str+" (recorded; not in the current list)", v.str))
		}
		return huh.NewSelect[string]().Key(f.Key).Title(title).Description(desc).
			Options(opts...).Value(&v.str).
			Validate(v.checkValue)
	case v.isChoice() && f.Kind == steps.KindMultiSelect:
		opts := make([]huh.Option[string], 0, len(v.options))
		for _, o := range v.options {
			opts = append(opts, huh.NewOption(optionLabel(o), o.Value))
		}
		// Huh sizes a checklist from its options minus its title and
		// description, which can leave one row visible: size it whole.
		w := sp.width
		if w <= 0 {
			w = 80
		}
		h := 1 + strings.Count(wrap(desc, max(w-4, 10)), "\n") + 1 + len(opts)
		return huh.NewMultiSelect[string]().Key(f.Key).Title(title).Description(desc).
			Options(opts...).Value(&v.multi).Height(h).
			Validate(func(sel []string) error { return v.checkValue(strings.Join(sel, ",")) })
	case f.Kind == steps.KindToggle:
		c := huh.NewConfirm().Key(f.Key).Title(title).
			Affirmative("On").Negative("Off").Accessor(boolAccessor{v})
		if sp.rules != nil {
			rules := sp.rules
			// The rules span several toggles, so they are not a field
			// validator (Huh would leave a stale error on a field the admin
			// already left): each toggle's description and the screen's
			// footer say live what is allowed, and the step's own Validate
			// refuses a broken set on submit.
			c.DescriptionFunc(func() string { return rules.describe(f, all) }, v.state).
				Validate(func(on bool) error { return v.checkValue(strconv.FormatBool(on)) })
			return c
		}
		return c.Description(desc).
			Validate(func(on bool) error { return v.checkValue(strconv.FormatBool(on)) })
	case f.Kind == steps.KindConfirm:
		return huh.NewConfirm().Key(f.Key).Title(title).Description(desc).
			Affirmative("Yes, done").Negative("Not yet").Accessor(boolAccessor{v}).
			Validate(func(on bool) error {
				if !on {
					// The catalog's message names confirmed=true, the command
					// line's wording; here the answer is a key press.
					return errors.New("press y (Yes, done) once it is done in the vendor's UI, or esc to come back later")
				}
				return v.checkValue(strconv.FormatBool(on))
			})
	}
	in := huh.NewInput().Key(f.Key).Title(title).Description(desc).
		Value(&v.str).Validate(v.checkValue)
	if f.Kind == steps.KindNumber {
		in.CharLimit(6)
	}
	if len(v.options) > 0 {
		sug := make([]string, len(v.options))
		for i, o := range v.options {
			sug[i] = o.Value
		}
		in.Suggestions(sug)
	}
	return in
}

func optionLabel(o steps.Option) string {
	if o.Label == "" || o.Label == o.Value {
		return o.Value
	}
	return o.Label + " (" + o.Value + ")"
}

// fieldDescription is the field's help plus what an empty answer means and,
// for a vendor list that could not be loaded, why it is typed by hand.
func fieldDescription(v *formValue) string {
	parts := []string{}
	if v.field.Help != "" {
		parts = append(parts, v.field.Help)
	}
	switch v.keep {
	case keepStored:
		parts = append(parts, "Leave empty to keep the current one.")
	case keepTyped:
		parts = append(parts, "Leave empty to use the one you typed before.")
	}
	if v.field.Source != steps.SourceNone {
		switch {
		case v.manual && v.loadErr != nil:
			parts = append(parts, "Couldn't load the list from the vendor ("+plainErr(v.loadErr)+"): type it by hand.")
		case v.manual:
			parts = append(parts, "Type it by hand.")
		case !v.isChoice() && len(v.options) > 0:
			names := make([]string, 0, len(v.options))
			for _, o := range v.options {
				names = append(names, o.Value)
			}
			parts = append(parts, "From the vendor: "+strings.Join(names, ", ")+".")
		}
	}
	return strings.Join(parts, " ")
}

// plainErr shortens an error for one line of the screen.
func plainErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// optionRules draws and enforces ChartHop's option table live while the
// admin flips toggles: the table itself lives in steps.
type optionRules struct {
	source string
}

// rulesFor returns the option rules for a step whose fields are ChartHop's
// option toggles, with the source of truth read from the answers of the step
// it depends on; nil for every other step.
func rulesFor(st steps.Step, prior steps.Answers) *optionRules {
	for _, k := range steps.OptionKeys() {
		f, ok := st.Field(k)
		if !ok || f.Kind != steps.KindToggle {
			return nil
		}
	}
	r := &optionRules{}
	for _, d := range st.DependsOn {
		if v := prior.Get(d.Step, d.Field); v == steps.TruthChartHop || v == steps.TruthLever {
			r.source = v
			break
		}
	}
	return r
}

// toggleState is what Huh hashes to notice a toggle changed.
type toggleState struct {
	On map[string]bool
}

// boolAccessor gives Huh a yes/no answer stored atomically in a formValue.
type boolAccessor struct{ v *formValue }

func (a boolAccessor) Get() bool { return a.v.on.Load() }

func (a boolAccessor) Set(b bool) {
	a.v.on.Store(b)
	if a.v.state != nil {
		a.v.state.On[a.v.field.Key] = b
	}
}

// linkToggles gives the toggles of one form a shared state for Huh to hash.
func linkToggles(all []*formValue) {
	st := &toggleState{On: map[string]bool{}}
	for _, v := range all {
		if v.field.Kind == steps.KindToggle {
			v.state = st
			st.On[v.field.Key] = v.on.Load()
		}
	}
}

func togglesOn(all []*formValue) map[string]bool {
	on := make(map[string]bool, len(all))
	for _, v := range all {
		if v.field.Kind == steps.KindToggle {
			on[v.field.Key] = v.on.Load()
		}
	}
	return on
}

func (r *optionRules) eval(all []*formValue) steps.OptionsEval {
	return steps.EvaluateOptions(r.source, togglesOn(all))
}

// describe words one toggle's standing under the current answers.
func (r *optionRules) describe(f steps.Field, all []*formValue) string {
	ev := r.eval(all)
	for _, t := range ev.Toggles {
		if t.Key != f.Key {
			continue
		}
		var parts []string
		if !t.Available {
			parts = append(parts, "Unavailable: "+t.Reason+".")
		}
		if t.Note != "" {
			parts = append(parts, upperFirst(t.Note)+".")
		}
		if len(parts) == 0 && f.Help != "" {
			parts = append(parts, f.Help)
		}
		return strings.Join(parts, " ")
	}
	return f.Help
}

// summary is the live one-line verdict under the form.
func (r *optionRules) summary(all []*formValue) (ok bool, line string) {
	if r.source == "" {
		return false, "Choose the source of truth first (the charthop-source step): which options may be on depends on it."
	}
	ev := r.eval(all)
	if len(ev.Violations) > 0 {
		return false, ev.Violations[0].Message
	}
	if len(ev.Recommendations) > 0 {
		return true, "Rules met. " + ev.Recommendations[0].Message
	}
	return true, "Rules met for " + sourceWord(r.source) + "."
}

func sourceWord(source string) string {
	switch source {
	case steps.TruthChartHop:
		return "ChartHop as the source of truth (outbound)"
	case steps.TruthLever:
		return "Lever as the source of truth (inbound)"
	}
	return source
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
