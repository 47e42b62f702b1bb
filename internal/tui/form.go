package tui

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"charm.land/huh/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// formValue is one field's answer while a form is open: what app.StepRun
// planned for it, and the places Huh writes into. encode turns it into the
// `--set` encoding the run takes back.
type formValue struct {
	plan  app.FieldPlan
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
	// typed mirrors str for suggestion functions, which Huh runs off the UI
	// goroutine.
	typed atomic.Pointer[string]
	// touched is set once the admin changed the answer: no error is shown
	// on a field before that (Huh validates a checklist as soon as it is
	// focused).
	touched bool
	// refused is set when the admin tried to switch on a toggle the option
	// rules make unavailable.
	refused bool
}

func (v *formValue) encode() string {
	switch v.field.Kind {
	case steps.KindToggle, steps.KindConfirm:
		return strconv.FormatBool(v.on.Load())
	case steps.KindMultiSelect:
		if v.plan.Choice {
			return strings.Join(v.multi, ",")
		}
	}
	return v.str
}

// newFormValues prepares one formValue per planned field, pre-filled.
func newFormValues(plans []app.FieldPlan) []*formValue {
	vals := make([]*formValue, 0, len(plans))
	for _, p := range plans {
		v := &formValue{plan: p, field: p.Field}
		v.fill()
		vals = append(vals, v)
	}
	return vals
}

// fill puts the planned answer in the places Huh reads.
func (v *formValue) fill() {
	switch v.field.Kind {
	case steps.KindSecret:
		v.str = ""
	case steps.KindToggle, steps.KindConfirm:
		v.on.Store(v.plan.Value == "true")
	case steps.KindMultiSelect:
		if v.plan.Choice {
			v.multi = splitList(v.plan.Value)
		} else {
			v.str = v.plan.Value
		}
	default:
		v.str = v.plan.Value
	}
	s := v.str
	v.typed.Store(&s)
	v.touched = false
}

// replan takes a fresh plan (the run remembered the accepted answers).
func (v *formValue) replan(p app.FieldPlan) {
	v.plan = p
	v.fill()
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

// formSpec is everything a step form is built from.
type formSpec struct {
	run    *app.StepRun
	theme  huh.Theme
	keys   *KeyMap
	width  int
	height int
}

// checkValue validates one answer as the form sees it, through the run.
func (sp formSpec) checkValue(v *formValue, raw string) error {
	return sp.run.CheckField(v.field.Key, raw)
}

// buildForm turns a step's planned fields into one Huh group. Secrets are
// password inputs; selects and checklists offer their options; toggles and
// confirmations are yes/no buttons; everything else is a text input checked
// by the run.
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
	f, p := v.field, v.plan
	title, desc := p.Title, p.Description
	if p.Completes {
		// Said here, where the key works (the accessible prompts read
		// whole lines and cannot complete).
		key := huh.NewDefaultKeyMap().Input.AcceptSuggestion.Help().Key
		desc = strings.TrimSuffix(desc, ".") + " (" + key + " completes the package after =)."
	}
	check := func(raw string) error { return sp.checkValue(v, raw) }
	switch {
	case f.Kind == steps.KindSecret:
		in := huh.NewInput().Key(f.Key).Title(title).Description(desc).
			EchoMode(huh.EchoModePassword).Value(&v.str).Validate(check)
		switch p.Keep {
		case app.KeepStored:
			in.Placeholder("keep current")
		case app.KeepTyped:
			in.Placeholder("keep the one you typed")
		}
		return in
	case p.Choice && f.Kind == steps.KindSelect:
		return huh.NewSelect[string]().Key(f.Key).Title(title).Description(desc).
			Options(choiceOptions(p, v.str)...).Value(&v.str).Validate(check)
	case p.Choice && f.Kind == steps.KindMultiSelect:
		opts := choiceOptions(p, "")
		// Huh sizes a checklist from its options minus its title and
		// description, which can leave one row visible: size it whole.
		w := sp.width
		if w <= 0 {
			w = 80
		}
		h := 1 + strings.Count(wrap(desc, max(w-4, 10)), "\n") + 1 + len(opts)
		return huh.NewMultiSelect[string]().Key(f.Key).Title(title).Description(desc).
			Options(opts...).Accessor(multiAccessor{v}).Height(h).
			Validate(func(sel []string) error {
				if !v.touched {
					return nil // the run refuses it on submit, naming it
				}
				return check(strings.Join(sel, ","))
			})
	case f.Kind == steps.KindToggle:
		c := huh.NewConfirm().Key(f.Key).Title(title).
			Affirmative("On").Negative("Off").Accessor(boolAccessor{v: v, all: all, rules: sp.run.Rules()})
		if rules := sp.run.Rules(); rules != nil {
			// The rules span several toggles: each toggle's description and
			// the screen's footer say live what is allowed, an unavailable
			// toggle cannot be switched on, and the run refuses a broken set
			// on submit.
			return c.DescriptionFunc(func() string { return rules.Describe(f, togglesOn(all)) }, v.state).
				Validate(func(on bool) error { return check(strconv.FormatBool(on)) })
		}
		return c.Description(desc).Validate(func(on bool) error { return check(strconv.FormatBool(on)) })
	case f.Kind == steps.KindConfirm:
		return huh.NewConfirm().Key(f.Key).Title(title).Description(desc).
			Affirmative("Yes, done").Negative("Not yet").Accessor(boolAccessor{v: v}).
			Validate(func(on bool) error {
				if !on {
					// The run's message names confirmed=true, the command
					// line's wording; here the answer is a key press.
					return errors.New(f.Label + ": press y (Yes, done) once it is done in the vendor's UI, or esc to come back later")
				}
				return check("true")
			})
	}
	in := huh.NewInput().Key(f.Key).Title(title).Description(desc).
		Accessor(textAccessor{v}).Validate(check)
	if f.Kind == steps.KindNumber {
		in.CharLimit(6)
	}
	if len(p.Options) > 0 {
		if f.Kind == steps.KindMapping {
			// Completion finishes the package after '=', not the pair.
			run := sp.run
			in.SuggestionsFunc(func() []string { return run.Completions(f.Key, *v.typed.Load()) }, &v.str)
		} else {
			in.Suggestions(optionValues(p.Options))
		}
	}
	return in
}

// choiceOptions are a choice's options; a recorded answer the vendor no
// longer lists (a renamed stage) stays visible, so the admin sees what
// changed instead of a silent swap.
func choiceOptions(p app.FieldPlan, current string) []huh.Option[string] {
	opts := make([]huh.Option[string], 0, len(p.Options)+1)
	for _, o := range p.Options {
		opts = append(opts, huh.NewOption(optionLabel(o), o.Value))
	}
	if current != "" && !slices.ContainsFunc(p.Options, func(o steps.Option) bool { return o.Value == current }) {
		opts = append(opts, huh.NewOption(current+" (recorded; not in the current list)", current))
	}
	return opts
}

func optionValues(opts []steps.Option) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Value
	}
	return out
}

func optionLabel(o steps.Option) string {
	if o.Label == "" || o.Label == o.Value {
		return o.Value
	}
	return o.Label + " (" + o.Value + ")"
}

// plainErr shortens an error for one line of the screen.
func plainErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// toggleState is what Huh hashes to notice a toggle changed.
type toggleState struct {
	On map[string]bool
}

// boolAccessor gives Huh a yes/no answer stored atomically in a formValue.
// With option rules, an unavailable toggle cannot be switched on.
type boolAccessor struct {
	v     *formValue
	all   []*formValue
	rules *app.OptionRules
}

func (a boolAccessor) Get() bool { return a.v.on.Load() }

func (a boolAccessor) Set(b bool) {
	a.v.refused = false
	if b && a.rules != nil && a.v.field.Kind == steps.KindToggle && !a.rules.CanTurnOn(a.v.field.Key, togglesOn(a.all)) {
		b, a.v.refused = false, true
	}
	if a.v.on.Load() != b {
		a.v.touched = true
	}
	a.v.on.Store(b)
	if a.v.state != nil {
		a.v.state.On[a.v.field.Key] = b
	}
}

// textAccessor keeps a text answer and its copy for suggestion functions.
type textAccessor struct{ v *formValue }

func (a textAccessor) Get() string { return a.v.str }

func (a textAccessor) Set(s string) {
	if s != a.v.str {
		a.v.touched = true
	}
	a.v.str = s
	a.v.typed.Store(&s)
}

// multiAccessor keeps a checklist's ticks and notes the first change.
type multiAccessor struct{ v *formValue }

func (a multiAccessor) Get() []string { return a.v.multi }

func (a multiAccessor) Set(sel []string) {
	if !slices.Equal(sel, a.v.multi) {
		a.v.touched = true
	}
	a.v.multi = sel
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

// answersOf splits a form's answers into the run's two maps.
func answersOf(vals []*formValue) (values, secrets map[string]string) {
	values, secrets = map[string]string{}, map[string]string{}
	for _, v := range vals {
		if v.field.IsSecret() {
			secrets[v.field.Key] = v.str
			v.str = "" // the typed secret leaves the form's memory now
			continue
		}
		values[v.field.Key] = v.encode()
	}
	return values, secrets
}

// rulesSummary is the live one-line verdict under the options form.
func rulesSummary(r *app.OptionRules, vals []*formValue) (bool, string) {
	return r.Summary(togglesOn(vals))
}
