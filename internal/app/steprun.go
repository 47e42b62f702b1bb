package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
)

// A step run is the one walk through a step that every front end shares:
// load the prior answers → answers → validate → live check → outcome →
// complete / complete unverified / retry / edit. StepRun holds the decisions
// (what each field offers and pre-fills, what is refused and in which words,
// what an outcome means and what to do next); the full-screen form,
// accessible mode and scripted `run` only render it and feed it input. It
// does no I/O itself: the front ends call StepBackend (LoadStep, Check,
// Complete) where their loop allows it and hand the answers back.

// StepBackend is what a step run reads and writes through. *Service
// implements it; the TUI's tests fake it.
type StepBackend interface {
	StepInput(ctx context.Context, integration, step string) (StepInput, error)
	Options(ctx context.Context, integration string, src steps.OptionSource) ([]steps.Option, error)
	Check(ctx context.Context, sub Submission) (Outcome, error)
	Complete(ctx context.Context, sub Submission, out Outcome) error
}

// StepCheckTimeout bounds one step's live check; past it the vendor counts
// as unreachable.
const StepCheckTimeout = 20 * time.Second

// ErrNoOptions: the vendor answered with an empty list.
var ErrNoOptions = errors.New("the vendor returned an empty list")

// StepLoad is what a run of one step starts from.
type StepLoad struct {
	Input StepInput
	// Prior holds the recorded answers of the steps this one depends on
	// (the options step reads the source of truth there).
	Prior steps.Answers
	// Options holds, per field key, the vendor's list; OptErr why it could
	// not be loaded (the field is then typed by hand).
	Options map[string][]steps.Option
	OptErr  map[string]error
}

// LoadStep reads what a run of st starts from. A vendor list that cannot be
// loaded is not an error: the field falls back to manual entry.
func LoadStep(ctx context.Context, b StepBackend, integration string, st steps.Step) (StepLoad, error) {
	l := StepLoad{Prior: steps.Answers{}, Options: map[string][]steps.Option{}, OptErr: map[string]error{}}
	in, err := b.StepInput(ctx, integration, st.ID)
	if err != nil {
		return StepLoad{}, err
	}
	l.Input = in
	for _, dep := range dependencySteps(st) {
		din, err := b.StepInput(ctx, integration, dep)
		if err != nil {
			return StepLoad{}, fmt.Errorf("reading the answers of %s: %w", dep, err)
		}
		if len(din.Values) > 0 {
			l.Prior[dep] = din.Values
		}
	}
	for _, f := range st.Fields {
		if f.Source == steps.SourceNone {
			continue
		}
		opts, err := b.Options(ctx, integration, f.Source)
		switch {
		case err != nil:
			l.OptErr[f.Key] = err
		case len(opts) == 0:
			l.OptErr[f.Key] = ErrNoOptions
		default:
			l.Options[f.Key] = opts
		}
	}
	return l, nil
}

func dependencySteps(st steps.Step) []string {
	var ids []string
	for _, d := range st.DependsOn {
		if !slices.Contains(ids, d.Step) {
			ids = append(ids, d.Step)
		}
	}
	return ids
}

// StepPhase is where a run of one step stands.
type StepPhase int

const (
	PhaseLoading    StepPhase = iota // prior answers and vendor lists on their way
	PhaseLoadFailed                  // they could not be read
	PhaseAnswering                   // the instructions and the answers
	PhaseChecking                    // the live check runs
	PhaseFailed                      // the check said no, could not run, or was cancelled
	PhaseCompleting                  // the one write runs; never cancelled
	PhaseSaveFailed                  // the write failed: nothing was stored
	PhaseDone                        // stored, with its proof
)

// SecretKeep says what an empty secret answer means.
type SecretKeep int

const (
	KeepNone   SecretKeep = iota // an answer is required
	KeepStored                   // the secret in the store stays
	KeepTyped                    // the one typed earlier in this run stays
)

// StepRun is one run of one step. Its zero value is not usable: see NewStepRun.
type StepRun struct {
	Integration steps.Integration
	Index       int // the step's position in the integration
	Step        steps.Step
	Setup       bool     // guided setup: the front end goes on to the next step
	Was         StepView // the step as recorded before this run

	Phase   StepPhase
	LoadErr error
	// Notices are warnings shown with the instructions, before any answer:
	// earlier steps of the integration that are not done.
	Notices []string

	load    StepLoad
	answers map[string]string // accepted non-secret answers: what the next ask pre-fills
	typed   map[string]string // secrets accepted in this run; never rendered
	rules   *OptionRules

	sub       Submission
	warnings  []string // the answers' warnings
	outcome   Outcome
	checkErr  error // the check could not run
	cancelled bool
	saveErr   error
}

// NewStepRun starts a run of one step of iv's integration.
func NewStepRun(iv IntegrationView, stepID string, setup bool) (*StepRun, error) {
	in := iv.Integration
	idx := in.StepIndex(stepID)
	if idx < 0 {
		return nil, fmt.Errorf("%w: %s has no step %q", steps.ErrUnknownStep, in.ID, stepID)
	}
	r := &StepRun{Integration: in, Index: idx, Step: in.Steps[idx], Setup: setup}
	var before []string
	for _, sv := range iv.Steps {
		if sv.Step.ID == stepID {
			r.Was = sv
			break
		}
		if sv.Status != steps.StatusDone {
			before = append(before, sv.Step.Title)
		}
	}
	if len(before) > 0 {
		r.Notices = append(r.Notices, fmt.Sprintf("Not done yet before this step: %s. The article does them first; you can go on, but this step may rely on them.", strings.Join(before, "; ")))
	}
	return r, nil
}

// Start begins (or retries) the load.
func (r *StepRun) Start() { r.Phase, r.LoadErr = PhaseLoading, nil }

// Loaded takes the load's result.
func (r *StepRun) Loaded(l StepLoad, err error) {
	if err != nil {
		r.Phase, r.LoadErr = PhaseLoadFailed, err
		return
	}
	r.load = l
	r.answers = map[string]string{}
	r.typed = map[string]string{}
	r.rules = optionRulesFor(r.Step, l.Prior)
	r.initAnswers()
	r.Phase = PhaseAnswering
}

// fresh reports whether the step was never completed.
func (r *StepRun) fresh() bool {
	return r.Was.CompletedAt.IsZero() && r.Was.Status != steps.StatusDone
}

// initAnswers pre-fills every non-secret field: the recorded answer, else
// the default; the options step starts a first run from what the flow asks
// for; a re-run of an attested step pre-selects its confirmation.
func (r *StepRun) initAnswers() {
	values := r.load.Input.Values
	for _, f := range r.Step.Fields {
		v, has := values[f.Key]
		switch f.Kind {
		case steps.KindSecret:
			continue
		case steps.KindToggle:
			if r.rules != nil && r.rules.Source != "" && (r.fresh() || !has) {
				v = strconv.FormatBool(steps.RecommendedOptions(r.rules.Source)[f.Key])
			} else if !has {
				v = f.Default
			}
		case steps.KindConfirm:
			v = ""
			if !r.fresh() && r.Was.Status == steps.StatusDone {
				v = "true"
			}
		default:
			if !has {
				v = f.Default
			}
		}
		// A recorded answer that no longer passes (a validator tightened
		// since) is not offered as the default.
		// (A checklist keeps its ticks: they are progress, not a default.)
		if v != "" && f.Kind != steps.KindConfirm && f.Kind != steps.KindMultiSelect {
			if _, _, err := f.Check(v); err != nil {
				v = f.Default
			}
		}
		r.answers[f.Key] = v
	}
	if r.rules != nil {
		on := r.rules.Allowed(togglesOf(r.answers))
		for k, b := range on {
			r.answers[k] = strconv.FormatBool(b)
		}
	}
}

// Rules returns the live option rules of the ChartHop options step, nil
// for every other step.
func (r *StepRun) Rules() *OptionRules { return r.rules }

// FieldPlan is one field as a front end asks for it.
type FieldPlan struct {
	Field steps.Field
	Title string // the label, with "(optional)" when it may be left empty
	// Value is the pre-filled answer in the `--set` encoding: the recorded
	// one, a default, or an earlier accepted answer of this run. Never an
	// answer that was refused. Empty for secrets.
	Value string
	// Options is what a choice offers (static, or the vendor's list); for a
	// free-form field helped by a vendor list, the names it may use.
	Options []steps.Option
	// Choice is true when the field is drawn as a list to pick from.
	Choice bool
	// Manual is set when the vendor's list could not be loaded: the field
	// is typed by hand and LoadErr says why.
	Manual  bool
	LoadErr error
	Keep    SecretKeep
	// Description is the help plus what an empty answer means and where
	// the offered names come from.
	Description string
	// Completes is true when Completions finishes a typed answer (the
	// package after '=' of a mapping). A front end that offers it as you
	// type says so with its own key; one that reads whole lines does not.
	Completes bool
}

// Fields plans every field of the step, pre-filled from the answers so far.
func (r *StepRun) Fields() []FieldPlan {
	out := make([]FieldPlan, 0, len(r.Step.Fields))
	for _, f := range r.Step.Fields {
		p := FieldPlan{Field: f, Title: f.Label, Value: r.answers[f.Key]}
		if f.Optional {
			p.Title += " (optional)"
		}
		switch f.Kind {
		case steps.KindSecret:
			switch {
			case r.typed[f.Key] != "":
				p.Keep = KeepTyped
			case r.load.Input.StoredSecrets[f.Key]:
				p.Keep = KeepStored
			}
		case steps.KindSelect, steps.KindMultiSelect:
			p.Options = f.Options
			if f.Source != steps.SourceNone {
				p.Options, p.LoadErr = r.load.Options[f.Key], r.load.OptErr[f.Key]
			}
			p.Manual = len(p.Options) == 0
			p.Choice = !p.Manual
		default:
			if f.Source != steps.SourceNone {
				p.Options, p.LoadErr = r.load.Options[f.Key], r.load.OptErr[f.Key]
				p.Manual = len(p.Options) == 0
			}
		}
		p.Completes = f.Kind == steps.KindMapping && !p.Manual && len(p.Options) > 0
		p.Description = r.describe(p)
		out = append(out, p)
	}
	return out
}

func (r *StepRun) describe(p FieldPlan) string {
	var parts []string
	if p.Field.Help != "" {
		parts = append(parts, p.Field.Help)
	}
	switch p.Keep {
	case KeepStored:
		parts = append(parts, "Leave empty to keep the current one.")
	case KeepTyped:
		parts = append(parts, "Leave empty to use the one you typed before.")
	}
	if p.Field.Source != steps.SourceNone {
		switch {
		case p.Manual && p.LoadErr != nil:
			parts = append(parts, "Couldn't load the list from the vendor ("+shortErr(p.LoadErr)+"): type it by hand.")
		case p.Manual:
			parts = append(parts, "Type it by hand.")
		case !p.Choice:
			names := optionValues(p.Options)
			parts = append(parts, sourceVendor(p.Field.Source)+" lists: "+strings.Join(names, ", ")+".")
			if p.Field.Kind == steps.KindMapping {
				parts = append(parts, "E.g. "+mappingExample(names)+".")
			}
		}
	}
	return strings.Join(parts, " ")
}

func sourceVendor(src steps.OptionSource) string {
	switch src {
	case steps.SourceVettyPackages:
		return "Vetty"
	case steps.SourceLeverStages:
		return "Lever"
	}
	return "The vendor"
}

// mappingExample writes a position mapping with the vendor's own names.
func mappingExample(names []string) string {
	ex := "Warehouse Associate=" + names[0]
	if len(names) > 1 {
		ex += ";Driver=" + names[len(names)-1]
	}
	return ex
}

func optionValues(opts []steps.Option) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Value
	}
	return out
}

// shortErr shortens an error for one line.
func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// Completions returns the full answers that complete what is typed so far
// in a position→package mapping: the text up to the last '=' followed by
// each vendor package the typed fragment starts. Other fields have none.
func (r *StepRun) Completions(key, typed string) []string {
	f, ok := r.Step.Field(key)
	if !ok || f.Kind != steps.KindMapping || f.Source == steps.SourceNone {
		return nil
	}
	opts := r.load.Options[key]
	seg := typed[strings.LastIndex(typed, ";")+1:]
	eq := strings.Index(seg, "=")
	if eq < 0 {
		return nil
	}
	head := typed[:len(typed)-len(seg)+eq+1]
	frag := strings.ToLower(strings.TrimLeft(seg[eq+1:], " "))
	var out []string
	for _, o := range opts {
		if strings.HasPrefix(strings.ToLower(o.Value), frag) {
			out = append(out, head+o.Value)
		}
	}
	return out
}

// Problem is an answer refused, in the admin's words: Message starts with
// the field's title; Field is the key of the field at fault ("" when the
// answers as a whole do not fit).
type Problem struct {
	Field   string
	Message string
	Err     error // what the validator said, for errors.Is
}

func (p *Problem) Error() string { return p.Message }

func (p *Problem) Unwrap() error { return p.Err }

// fieldProblem words a validator's error under the field's title.
func fieldProblem(f steps.Field, err error) *Problem {
	var fe *steps.FieldError
	msg := err
	if errors.As(err, &fe) {
		msg = fe.Err
	}
	m := msg.Error()
	sep := ": "
	for _, verb := range []string{"is ", "has ", "contains ", "must ", "maps ", "names ", "uses "} {
		if strings.HasPrefix(m, verb) {
			sep = " "
		}
	}
	return &Problem{Field: f.Key, Message: f.Label + sep + m, Err: err}
}

// CheckField checks one answer as typed (a secret left empty passes when
// one is kept). A vendor list that was loaded is enforced: a package Vetty
// does not list is refused with the ones it does.
func (r *StepRun) CheckField(key, raw string) error {
	p := r.checkField(key, raw)
	if p == nil {
		return nil
	}
	return p
}

func (r *StepRun) checkField(key, raw string) *Problem {
	f, ok := r.Step.Field(key)
	if !ok {
		return &Problem{Field: key, Message: fmt.Sprintf("%s has no field %q", r.Step.ID, key), Err: steps.ErrUnknownField}
	}
	if f.IsSecret() && strings.TrimSpace(raw) == "" {
		if r.keepOf(f) != KeepNone || f.Optional {
			return nil
		}
		return &Problem{Field: key, Message: f.Label + " is needed: none is stored yet", Err: ErrMissingSecret}
	}
	n, _, err := f.Check(raw)
	if err != nil {
		return fieldProblem(f, err)
	}
	if f.Kind == steps.KindMapping && f.Source == steps.SourceVettyPackages {
		if opts := r.load.Options[key]; len(opts) > 0 {
			return vettyPackagesProblem(f, n, optionValues(opts))
		}
	}
	return nil
}

// vettyPackagesProblem refuses a mapping naming a package Vetty does not
// list (in any case: the mapping takes Vetty's spelling, see vettySpelling).
func vettyPackagesProblem(f steps.Field, mapping string, listed []string) *Problem {
	m, err := steps.ParseChattrMapping(mapping)
	if err != nil {
		return fieldProblem(f, err)
	}
	for _, pp := range m {
		if slices.ContainsFunc(listed, func(l string) bool { return strings.EqualFold(l, pp.Package) }) {
			continue
		}
		msg := fmt.Sprintf("%s: Vetty does not list the package %q (for %s); it lists: %s", f.Label, pp.Package, pp.Position, strings.Join(listed, ", "))
		return &Problem{Field: f.Key, Message: msg, Err: steps.ErrInvalidValue}
	}
	return nil
}

// vettySpelling writes each package of a mapping as Vetty spells it (a
// completion keeps the case typed before it).
func vettySpelling(mapping string, listed []string) string {
	m, err := steps.ParseChattrMapping(mapping)
	if err != nil {
		return mapping
	}
	for i, pp := range m {
		for _, l := range listed {
			if strings.EqualFold(l, pp.Package) {
				m[i].Package = l
			}
		}
	}
	return steps.FormatChattrMapping(m)
}

func (r *StepRun) keepOf(f steps.Field) SecretKeep {
	switch {
	case r.typed[f.Key] != "":
		return KeepTyped
	case r.load.Input.StoredSecrets[f.Key]:
		return KeepStored
	}
	return KeepNone
}

// Submit takes the answers: values holds every non-secret field in the
// `--set` encoding (a field left out keeps its pre-filled answer), secrets
// the typed secrets ("" or absent keeps the stored or typed one). Answers
// that pass are remembered for the next ask; a refused one never is. On
// success the run moves to the check.
func (r *StepRun) Submit(values, secrets map[string]string) *Problem {
	vals := map[string]string{}
	var warnings []string
	var first *Problem
	for _, f := range r.Step.Fields {
		if f.IsSecret() {
			continue
		}
		v, ok := values[f.Key]
		if !ok {
			v = r.answers[f.Key]
		}
		if p := r.checkField(f.Key, v); p != nil {
			if first == nil {
				first = p
			}
			r.answers[f.Key] = r.fallback(f)
			continue
		}
		n, w, _ := f.Check(v)
		warnings = append(warnings, w...)
		if f.Kind == steps.KindMapping && f.Source == steps.SourceVettyPackages && len(r.load.Options[f.Key]) > 0 {
			n = vettySpelling(n, optionValues(r.load.Options[f.Key]))
			v = n
		}
		vals[f.Key] = v
		if n != "" || f.Optional {
			r.answers[f.Key] = n
		}
	}
	given := map[string]string{}
	for _, f := range r.Step.Fields {
		if !f.IsSecret() {
			continue
		}
		raw := secrets[f.Key]
		if p := r.checkField(f.Key, raw); p != nil {
			if first == nil {
				first = p
			}
			continue
		}
		if strings.TrimSpace(raw) == "" {
			if r.typed[f.Key] != "" {
				given[f.Key] = r.typed[f.Key]
			}
			continue
		}
		n, w, _ := f.Check(raw)
		warnings = append(warnings, w...)
		given[f.Key] = n
		r.typed[f.Key] = n
	}
	for k := range values {
		if _, ok := r.Step.Field(k); !ok {
			return &Problem{Field: k, Message: fmt.Sprintf("%q is not a field of %s; valid: %s", k, r.Step.ID, strings.Join(r.Step.FieldKeys(), ", ")), Err: steps.ErrUnknownField}
		}
	}
	if first != nil {
		return first
	}
	norm, w, err := r.Step.ValidateAnswers(vals, r.load.Prior)
	if err != nil {
		return r.stepProblem(err)
	}
	r.warnings = mergeWarnings(warnings, w)
	r.sub = Submission{Integration: r.Integration.ID, Step: r.Step.ID, Values: norm, Secrets: given}
	r.startCheck()
	return nil
}

// Remember keeps the answers that pass, without submitting them: a form
// left with esc comes back with them.
func (r *StepRun) Remember(values map[string]string) {
	for k, v := range values {
		f, ok := r.Step.Field(k)
		if !ok || f.IsSecret() || f.Kind == steps.KindConfirm {
			continue
		}
		if r.checkField(k, v) == nil {
			r.answers[k] = v
		}
	}
}

// fallback is what a refused field pre-fills next: the recorded answer when
// it still passes, else the default.
func (r *StepRun) fallback(f steps.Field) string {
	if v, ok := r.load.Input.Values[f.Key]; ok {
		if _, _, err := f.Check(v); err == nil {
			return v
		}
	}
	return f.Default
}

// ExplainFieldError words a validator's refusal of one of st's fields (a
// *steps.FieldError, e.g. from steps.ParseSets) as a step run words its
// own; nil for any other error.
func ExplainFieldError(st steps.Step, err error) *Problem {
	var fe *steps.FieldError
	if !errors.As(err, &fe) {
		return nil
	}
	f, ok := st.Field(fe.Field)
	if !ok {
		return nil
	}
	return fieldProblem(f, fe)
}

// stepProblem words a cross-field refusal and names the field at fault.
func (r *StepRun) stepProblem(err error) *Problem {
	var fe *steps.FieldError
	if errors.As(err, &fe) {
		if f, ok := r.Step.Field(fe.Field); ok {
			return fieldProblem(f, err)
		}
	}
	p := &Problem{Message: err.Error(), Err: err}
	if r.rules != nil && errors.Is(err, steps.ErrOptionRules) {
		ev := steps.EvaluateOptions(r.rules.Source, togglesOf(r.answers))
		if len(ev.Violations) > 0 {
			p.Field, p.Message = ev.Violations[0].Rule.Option, upperFirst(ev.Violations[0].Message)
		}
	}
	if errors.Is(err, steps.ErrPrerequisite) {
		p.Message = upperFirst(strings.TrimPrefix(err.Error(), steps.ErrPrerequisite.Error()+": "))
	}
	return p
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Warnings are the answers' warnings and the check's, once each.
func (r *StepRun) Warnings() []string { return mergeWarnings(r.warnings, r.outcome.Warnings) }

// AnswerWarnings are the answers' own warnings (shown while checking).
func (r *StepRun) AnswerWarnings() []string { return r.warnings }

// Submission is what the check and the write are given.
func (r *StepRun) Submission() Submission { return r.sub }

func (r *StepRun) startCheck() {
	r.Phase = PhaseChecking
	r.outcome, r.checkErr, r.cancelled = Outcome{}, nil, false
}

// Retry runs the check again with the same answers.
func (r *StepRun) Retry() { r.startCheck() }

// Edit goes back to the answers, pre-filled with the accepted ones.
func (r *StepRun) Edit() { r.Phase = PhaseAnswering }

// Back leaves a failed check or write for the instructions.
func (r *StepRun) Back() { r.Phase = PhaseAnswering }

// Cancel stops a running check: nothing is saved.
func (r *StepRun) Cancel() {
	if r.Phase == PhaseChecking {
		r.Phase, r.cancelled = PhaseFailed, true
	}
}

// Checked takes the live check's answer. A check that ran out of time
// (timeout is its bound) is the vendor being unreachable: it never blocks
// the admin.
func (r *StepRun) Checked(out Outcome, err error, timeout time.Duration) {
	if r.Phase != PhaseChecking {
		return
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		r.outcome = Outcome{
			Proof: steps.ProofUnverified, Unreachable: true,
			Detail: fmt.Sprintf("The vendor did not answer within %s.", timeout),
			Fix:    "Check your network, then retry; or complete the step as unverified and verify it later from the dashboard.",
		}
		r.Phase = PhaseFailed
	case err != nil:
		r.checkErr, r.Phase = err, PhaseFailed
	case !out.OK:
		r.outcome, r.Phase = out, PhaseFailed
	default:
		r.outcome, r.Phase = out, PhaseCompleting
	}
}

// CanCompleteUnverified reports whether the failed check only failed to
// reach the vendor.
func (r *StepRun) CanCompleteUnverified() bool {
	return r.Phase == PhaseFailed && !r.cancelled && r.checkErr == nil && r.outcome.Unreachable
}

// CompleteUnverified accepts the answers without the vendor's word.
func (r *StepRun) CompleteUnverified() bool {
	if !r.CanCompleteUnverified() {
		return false
	}
	r.outcome.Proof = steps.ProofUnverified
	r.Phase = PhaseCompleting
	return true
}

// RetrySave tries the write again.
func (r *StepRun) RetrySave() {
	if r.Phase == PhaseSaveFailed {
		r.Phase, r.saveErr = PhaseCompleting, nil
	}
}

// Outcome is the check's result, to be written by Complete.
func (r *StepRun) Outcome() Outcome { return r.outcome }

// Completed takes the write's result.
func (r *StepRun) Completed(err error) {
	if err != nil {
		r.Phase, r.saveErr = PhaseSaveFailed, err
		return
	}
	r.Phase = PhaseDone
	r.typed = map[string]string{} // stored now; nothing to keep in memory
}

// Failure says why the run stands in PhaseFailed or PhaseSaveFailed.
type Failure struct {
	Cancelled   bool
	CheckErr    error // the check could not run
	SaveErr     error // the write failed
	Unreachable bool  // the vendor could not be reached
	// Guess: what failed is a guess patchbay makes about the vendor (see
	// package inferred); Detail and Fix name it. Not a network problem.
	Guess       bool
	Detail, Fix string
}

// Failure describes the last failure.
func (r *StepRun) Failure() Failure {
	return Failure{Cancelled: r.cancelled, CheckErr: r.checkErr, SaveErr: r.saveErr,
		Unreachable: r.checkErr == nil && r.outcome.Unreachable, Detail: r.outcome.Detail, Fix: r.outcome.Fix,
		Guess: r.checkErr == nil && r.outcome.Guess}
}

// Handoff is the ready-to-send message of a completed step, "" for none.
func (r *StepRun) Handoff() string {
	if r.Step.Handoff == nil || r.sub.Values == nil {
		return ""
	}
	return r.Step.Handoff(r.sub.Values, r.load.Prior)
}

// NextStep is the step after this one in the integration, nil for the last.
func (r *StepRun) NextStep() *steps.Step {
	if r.Index+1 < len(r.Integration.Steps) {
		return &r.Integration.Steps[r.Index+1]
	}
	return nil
}

// Usage is shown after the last step of a guided setup.
func (r *StepRun) Usage() []string {
	if r.Setup && r.NextStep() == nil {
		return r.Integration.Usage
	}
	return nil
}

// mergeWarnings joins warning lists, dropping repeats, in order.
func mergeWarnings(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, w := range l {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// OptionRules draw and enforce ChartHop's option table while the admin
// flips toggles; the table itself lives in steps.
type OptionRules struct {
	Source string // "" while no source of truth is recorded
}

// optionRulesFor returns the rules for a step whose fields are ChartHop's
// option toggles, with the source of truth the step depends on; nil for
// every other step.
func optionRulesFor(st steps.Step, prior steps.Answers) *OptionRules {
	for _, k := range steps.OptionKeys() {
		f, ok := st.Field(k)
		if !ok || f.Kind != steps.KindToggle {
			return nil
		}
	}
	r := &OptionRules{}
	for _, d := range st.DependsOn {
		if v := prior.Get(d.Step, d.Field); v == steps.TruthChartHop || v == steps.TruthLever {
			r.Source = v
			break
		}
	}
	return r
}

func togglesOf(values map[string]string) map[string]bool {
	on := map[string]bool{}
	for _, k := range steps.OptionKeys() {
		on[k] = values[k] == "true"
	}
	return on
}

// Allowed returns the toggles with every unavailable one switched off: an
// unavailable toggle is shown off, with its reason, and cannot be on.
func (o *OptionRules) Allowed(on map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k, v := range on {
		out[k] = v
	}
	for range len(out) + 1 {
		changed := false
		for _, t := range steps.EvaluateOptions(o.Source, out).Toggles {
			if t.On && !t.Available {
				out[t.Key], changed = false, true
				break
			}
		}
		if !changed {
			break
		}
	}
	return out
}

// CanTurnOn reports whether a toggle may be switched on with the others as
// they are.
func (o *OptionRules) CanTurnOn(key string, on map[string]bool) bool {
	for _, t := range steps.EvaluateOptions(o.Source, on).Toggles {
		if t.Key == key {
			return t.Available
		}
	}
	return true
}

// Describe words one toggle's standing under the current answers.
func (o *OptionRules) Describe(f steps.Field, on map[string]bool) string {
	for _, t := range steps.EvaluateOptions(o.Source, on).Toggles {
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

// Summary is the live one-line verdict on the toggles.
func (o *OptionRules) Summary(on map[string]bool) (ok bool, line string) {
	if o.Source == "" {
		return false, "Choose the source of truth first (the charthop-source step): which options may be on depends on it."
	}
	ev := steps.EvaluateOptions(o.Source, on)
	if len(ev.Violations) > 0 {
		return false, ev.Violations[0].Message
	}
	if len(ev.Recommendations) > 0 {
		return true, "Rules met. " + ev.Recommendations[0].Message
	}
	switch o.Source {
	case steps.TruthChartHop:
		return true, "Rules met for ChartHop as the source of truth (outbound)."
	default:
		return true, "Rules met for Lever as the source of truth (inbound)."
	}
}
