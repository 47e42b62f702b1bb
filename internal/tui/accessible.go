package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// RunAccessible runs the same steps as Run as plain line-by-line prompts, for
// screen readers (`--accessible`): no alternate screen, no animation, no
// colour. It prints each step's place, actions and caveats as text, asks the
// fields with Huh's accessible prompts, prints "checking…" and the outcome,
// completes the step and, in ModeSetup, goes on to the next one. In ModeHome
// it prints the dashboard and offers a menu.
//
// in and out default to opts.In/opts.Out, then stdin/stdout. A secret is read
// without echo when in is a terminal. When the answers run out (a pipe),
// ErrInputEnded is returned and nothing is saved for the unfinished step.
func RunAccessible(ctx context.Context, opts Options, in io.Reader, out io.Writer) error {
	if opts.Backend == nil {
		return ErrNoBackend
	}
	if in == nil {
		in = opts.In
	}
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = opts.Out
	}
	if out == nil {
		out = os.Stdout
	}
	a := &accessible{
		c:      newCommon(ctx, opts, true),
		rawIn:  in,
		in:     lineReaderFor(ctx, in),
		rawOut: out,
		// Screen readers read escape codes aloud: strip every one; what
		// came from outside is then shown, never obeyed (termsafe).
		out: &colorprofile.Writer{Forward: termsafe.NewWriter(out), Profile: colorprofile.NoTTY},
	}
	a.c.animate = false
	a.live, _ = opts.Live.(liveOnce)
	defer a.c.clip.flush() // a copied secret does not outlive the run
	switch opts.Mode {
	case ModeSetup:
		return a.setup(opts.StartIntegration, opts.StartStep)
	case ModeRunStep:
		iv, err := a.integration(opts.StartIntegration)
		if err != nil {
			return err
		}
		_, err = a.runStep(iv, opts.StartStep, false)
		return err
	}
	return a.home()
}

type accessible struct {
	c      *common
	rawIn  io.Reader
	in     *lineReader
	rawOut io.Writer
	out    io.Writer
	// live runs the live checks once, for "Verify now"; nil when the
	// caller gave no refresher (the option is then not offered).
	live liveOnce
}

// lineReader hands out at most one line per Read. Huh's accessible prompts
// wrap the reader in a new bufio.Scanner for every question; a scanner that
// read ahead would swallow the answers to the next questions.
//
// Lines are read by one goroutine, so that a Read gives up as soon as ctx
// ends (Ctrl+C, SIGTERM): a prompt then ends at once, as if the input had,
// instead of waiting for a line and taking it as an answer.
type lineReader struct {
	ctx     context.Context
	r       *bufio.Reader
	once    sync.Once
	read    chan lineRead
	pending []byte
	eof     bool
	lines   int // lines delivered so far
}

type lineRead struct {
	line []byte
	err  error
}

// lastInput is the line reader of the last run's input. A run started
// again on the same input (after a switch of profile) goes on with it, so
// a line it read ahead is not lost, and no second reader competes for the
// next line typed.
var lastInput struct {
	sync.Mutex
	in io.Reader
	l  *lineReader
}

func lineReaderFor(ctx context.Context, in io.Reader) *lineReader {
	lastInput.Lock()
	defer lastInput.Unlock()
	same := lastInput.l != nil && reflect.TypeOf(in).Comparable() &&
		reflect.TypeOf(lastInput.in) == reflect.TypeOf(in) && lastInput.in == in
	if same && !lastInput.l.eof {
		lastInput.l.ctx = ctx
		return lastInput.l
	}
	l := newLineReader(ctx, in)
	lastInput.in, lastInput.l = in, l
	return l
}

func newLineReader(ctx context.Context, r io.Reader) *lineReader {
	return &lineReader{ctx: ctx, r: bufio.NewReader(r), read: make(chan lineRead)}
}

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		if l.eof {
			return 0, io.EOF
		}
		l.once.Do(func() {
			go func() {
				for {
					line, err := l.r.ReadBytes('\n')
					l.read <- lineRead{line, err}
					if err != nil {
						return
					}
				}
			}()
		})
		var got lineRead
		select {
		case got = <-l.read:
		case <-l.ctx.Done():
			l.eof = true
			return 0, io.EOF
		}
		if len(got.line) > 0 {
			l.lines++
			l.pending = got.line
		}
		if got.err != nil {
			l.eof = true
			if len(got.line) == 0 {
				return 0, io.EOF
			}
		}
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}

func (a *accessible) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(a.out, format, args...)
}

func (a *accessible) println(s string) { _, _ = fmt.Fprintln(a.out, s) }

func (a *accessible) ctxLoad() (context.Context, context.CancelFunc) {
	return context.WithTimeout(a.c.ctx, a.c.loadTimeout)
}

func (a *accessible) overview() (app.Overview, error) {
	ctx, cancel := a.ctxLoad()
	defer cancel()
	ov, err := a.c.backend.Overview(ctx)
	if err != nil {
		return app.Overview{}, fmt.Errorf("loading the profile: %w", err)
	}
	return ov, nil
}

func (a *accessible) integration(id string) (app.IntegrationView, error) {
	ov, err := a.overview()
	if err != nil {
		return app.IntegrationView{}, err
	}
	iv, ok := findIntegration(ov, id)
	if !ok {
		return app.IntegrationView{}, fmt.Errorf("%w: %q", steps.ErrUnknownIntegration, id)
	}
	return iv, nil
}

// setup walks an integration from its first unfinished step (or start).
func (a *accessible) setup(integration, start string) error {
	iv, err := a.integration(integration)
	if err != nil {
		return err
	}
	step := start
	if step == "" {
		step = iv.NextStep
	}
	if step == "" {
		a.println(iv.Integration.Name + " is already set up: every step is done.")
		return nil
	}
	for {
		done, err := a.runStep(iv, step, true)
		if err != nil || !done {
			return err
		}
		if iv, err = a.integration(integration); err != nil {
			return err
		}
		if iv.NextStep == "" || iv.NextStep == step {
			a.println("")
			a.println(iv.Integration.Name + ": every step is done.")
			for _, u := range iv.Integration.Usage {
				a.println("- " + u)
			}
			return nil
		}
		step = iv.NextStep
	}
}

// home prints the dashboard and lets the admin pick what to run.
func (a *accessible) home() error {
	for {
		ov, err := a.overview()
		if err != nil {
			return err
		}
		profiles := a.profiles()
		if len(profiles) > 1 {
			a.printProfiles(profiles)
		}
		a.printOverview(ov)
		var opts []huh.Option[string]
		for _, iv := range ov.Integrations {
			opts = append(opts, huh.NewOption(fmt.Sprintf("%s: %s, %d of %d steps done", iv.Integration.Name, stateWord(iv.State), iv.Done, iv.Total), iv.Integration.ID))
		}
		if a.canSwitch(profiles) {
			opts = append(opts, huh.NewOption("Switch to another profile", switchChoice))
		}
		opts = append(opts, huh.NewOption("Quit", ""))
		sel := huh.NewSelect[string]().Title("Which integration?").Options(opts...)
		if err := a.ask(sel, false); err != nil {
			return err
		}
		choice := a.selectValue(sel)
		if choice == "" {
			return nil
		}
		if isSwitch(choice) {
			switched, err := a.switchMenu(profiles)
			if err != nil || switched {
				return err
			}
			continue
		}
		iv, _ := findIntegration(ov, choice)
		if err := a.integrationMenu(iv); err != nil {
			return err
		}
	}
}

func (a *accessible) integrationMenu(iv app.IntegrationView) error {
	var opts []huh.Option[string]
	if o, ok := a.verifyOption(iv); ok {
		opts = append(opts, o)
	}
	if iv.NextStep != "" {
		opts = append(opts, huh.NewOption("Continue the guided setup at: "+stepTitle(iv, iv.NextStep), "setup"))
	}
	for _, sv := range iv.Steps {
		opts = append(opts, huh.NewOption(fmt.Sprintf("Run step: %s (%s)", sv.Step.Title, statusWords(sv)), "step:"+sv.Step.ID))
	}
	opts = append(opts, huh.NewOption("Back", ""))
	sel := huh.NewSelect[string]().Title(iv.Integration.Name + ": what now?").Options(opts...)
	if err := a.ask(sel, false); err != nil {
		return err
	}
	switch choice := a.selectValue(sel); {
	case choice == "verify":
		return a.verifyNow(iv.Integration.ID)
	case choice == "setup":
		return homeGoesOn(a.setup(iv.Integration.ID, ""))
	case strings.HasPrefix(choice, "step:"):
		_, err := a.runStep(iv, strings.TrimPrefix(choice, "step:"), false)
		return homeGoesOn(err)
	}
	return nil
}

// homeGoesOn: a step stopped from the home menu comes back to it, as esc
// does on the full-screen step screen; nothing was saved for it.
func homeGoesOn(err error) error {
	var stopped *StepStopped
	if errors.As(err, &stopped) {
		return nil
	}
	return err
}

func stepTitle(iv app.IntegrationView, id string) string {
	if st, ok := iv.Integration.Step(id); ok {
		return st.Title
	}
	return id
}

func stateWord(s steps.State) string { return strings.ReplaceAll(string(s), "_", " ") }

func statusWords(sv app.StepView) string {
	switch sv.Status {
	case steps.StatusDone:
		return "done, " + string(sv.Proof)
	case steps.StatusNeedsRerun:
		return "needs re-run"
	}
	return "to do"
}

func (a *accessible) printOverview(ov app.Overview) {
	now := a.c.now()
	a.printf("Profile %s. Secrets are kept in: %s.\n", ov.Profile, ov.SecretsBackend)
	for _, iv := range ov.Integrations {
		a.println("")
		a.printf("%s (%s): %s, %d of %d steps done.", iv.Integration.Name, iv.Integration.ID, stateWord(iv.State), iv.Done, iv.Total)
		if iv.NextStep != "" {
			a.printf(" Next: %s.", stepTitle(iv, iv.NextStep))
		}
		a.println("")
		// A check that needs attention is said once, on its own line
		// below, by the name the dashboard gives it (as its card does).
		checks := map[string]bool{}
		for _, ch := range iv.Checks {
			checks[ch.Name] = true
		}
		attention := map[string]bool{}
		for _, reason := range iv.Attention {
			if name, _, ok := strings.Cut(reason, ": "); ok && checks[name] {
				attention[name] = true
				continue
			}
			a.println("  Needs attention: " + attentionWords(iv, reason) + ".")
		}
		for _, sv := range unverifiedSteps(iv) {
			a.println("  " + sv.Step.Title + " is unverified." + a.verifyHint())
		}
		for _, s := range iv.Secrets {
			line := fmt.Sprintf("  Secret %s ending %s, in %s, created %s", s.Key, s.Last4, cmpOr(s.Backend, ov.SecretsBackend), spokenAgo(now, s.CreatedAt))
			if left, ok := s.ExpiresIn(now); ok {
				days := int(left.Hours() / 24)
				switch {
				case left <= 0:
					line += ", EXPIRED"
				case days < 30:
					line += fmt.Sprintf(", WARNING: expires in %d days", days)
				default:
					line += fmt.Sprintf(", expires in %d days", days)
				}
			}
			if s.Live != "" {
				line += ", last check " + resultWords(a.c.styles, s.Live)
			}
			a.println(line + ".")
		}
		for _, ch := range iv.Checks {
			line := "  Check " + checkLabel(ch.Name)
			if attention[ch.Name] {
				line = "  Needs attention: check " + checkLabel(ch.Name)
			}
			line += ": " + resultWords(a.c.styles, ch.Result)
			if !ch.CheckedAt.IsZero() {
				line += ", " + spokenAgo(now, ch.CheckedAt)
			}
			line += "."
			if ch.Detail != "" {
				line += " " + ch.Detail
			}
			a.println(line)
		}
	}
	a.println("")
}

// resultWords says a live result in the dashboard's words ("not checked",
// "rate limited"), without its colour.
func resultWords(s *Styles, result string) string { return ansi.Strip(s.LiveResult(result)) }

// attentionWords words a reason for attention with the names the admin
// sees elsewhere: a step by its title ("lever-key needs a re-run").
func attentionWords(iv app.IntegrationView, reason string) string {
	if id, rest, ok := strings.Cut(reason, " "); ok {
		if st, ok := iv.Integration.Step(id); ok {
			return st.Title + " " + rest
		}
	}
	return reason
}

// spokenAgo is ago in words a screen reader says well: "5 minutes ago",
// not "5m ago".
func spokenAgo(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	n, unit := 0, ""
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		n, unit = int(d/time.Minute), "minute"
	case d < 48*time.Hour:
		n, unit = int(d/time.Hour), "hour"
	default:
		n, unit = int(d/(24*time.Hour)), "day"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s ago", n, unit)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// StepStopped is returned when the admin stops a step after its check
// failed (accessible mode): nothing was saved, and the command fails as a
// scripted run of the same step does. Cause is app.ErrCheckFailed, or why
// the check could not run.
type StepStopped struct {
	Ref   string // INTEGRATION/STEP
	Cause error
}

func (e *StepStopped) Error() string { return e.Ref + " was not recorded: " + e.Cause.Error() }
func (e *StepStopped) Unwrap() error { return e.Cause }

func stopCause(f app.Failure) error {
	if f.CheckErr != nil {
		return f.CheckErr
	}
	return app.ErrCheckFailed
}

// runStep runs one step to its end: it reports whether the step was
// completed, or a *StepStopped when the admin stopped without saving. The
// run decides; this only prints it and reads the answers.
func (a *accessible) runStep(iv app.IntegrationView, stepID string, setup bool) (bool, error) {
	run, err := app.NewStepRun(iv, stepID, setup)
	if err != nil {
		return false, err
	}
	a.printStep(run)
	ctx, cancel := a.ctxLoad()
	l, err := app.LoadStep(ctx, a.c.backend, iv.Integration.ID, run.Step)
	cancel()
	run.Loaded(l, err)
	if err != nil {
		return false, fmt.Errorf("loading %s: %w", stepID, err)
	}
	if err := a.offerCopies(iv.Integration.ID, run.Step); err != nil {
		return false, err
	}
	for {
		switch run.Phase {
		case app.PhaseAnswering:
			if err := a.askFields(run); err != nil {
				return false, err
			}
		case app.PhaseChecking:
			for _, w := range run.AnswerWarnings() {
				a.println("Warning: " + w)
			}
			a.println("checking…")
			ctx, cancel := context.WithTimeout(a.c.ctx, a.c.checkTimeout)
			out, cerr := a.c.backend.Check(ctx, run.Submission())
			cancel()
			if cerr != nil && a.c.ctx.Err() != nil {
				return false, a.c.ctx.Err()
			}
			run.Checked(out, cerr, a.c.checkTimeout)
		case app.PhaseFailed:
			stop, err := a.failed(run)
			if err != nil {
				return false, err
			}
			if stop {
				return false, &StepStopped{Ref: iv.Integration.ID + "/" + stepID, Cause: stopCause(run.Failure())}
			}
		case app.PhaseCompleting:
			a.println("saving…")
			ctx, cancel := context.WithTimeout(context.WithoutCancel(a.c.ctx), a.c.completeTimeout)
			err := a.c.backend.Complete(ctx, run.Submission(), run.Outcome())
			cancel()
			run.Completed(err)
			if err != nil {
				return false, fmt.Errorf("saving %s (nothing was stored): %w", stepID, err)
			}
		case app.PhaseDone:
			return true, a.done(run)
		default:
			return false, fmt.Errorf("step run of %s stopped in phase %d", stepID, run.Phase)
		}
	}
}

func (a *accessible) printStep(run *app.StepRun) {
	in, st := run.Integration, run.Step
	a.println("")
	mode := ""
	if run.Setup {
		mode = " (guided setup)"
	}
	a.printf("%s, step %d of %d%s: %s\n", in.Name, run.Index+1, len(in.Steps), mode, st.Title)
	a.println("Where: " + st.Where)
	if st.Link != "" {
		a.println("Link: " + st.Link)
	}
	if len(st.Copy) > 0 {
		a.println("To paste elsewhere:")
		for i, it := range st.Copy {
			if it.Secret != "" {
				a.printf("  %d. %s: a secret, offered to the clipboard below, never shown.\n", i+1, it.Label)
			} else {
				a.printf("  %d. %s: %s\n", i+1, it.Label, it.Value)
			}
		}
	}
	if len(st.Actions) > 0 {
		a.println("What to do:")
		for i, act := range st.Actions {
			a.printf("  %d. %s\n", i+1, act)
		}
	}
	if len(st.Caveats) > 0 {
		a.println("Mind:")
		for _, c := range st.Caveats {
			a.println("  - " + c)
		}
	}
	for _, n := range run.Notices {
		a.println("Warning: " + n)
	}
	a.println("")
}

// offerCopies asks, for each secret the step hands on, whether to put it on
// the clipboard now.
func (a *accessible) offerCopies(integration string, st steps.Step) error {
	for _, it := range st.Copy {
		if it.Secret == "" {
			continue
		}
		yes := false
		if err := a.ask(huh.NewConfirm().Title("Copy "+it.Label+" to the clipboard now?").Value(&yes), false); err != nil {
			return err
		}
		if !yes {
			continue
		}
		ctx, cancel := a.ctxLoad()
		v, err := a.c.backend.Secret(ctx, integration, it.Secret)
		cancel()
		if err != nil {
			a.println("Couldn't copy " + it.Label + ": " + plainErr(err))
			continue
		}
		a.println(a.copySecret(it.Label, v))
	}
	return nil
}

// copySecret copies a secret and has it cleared from the native clipboard
// after clipboardClearAfter, unless the clipboard changed meanwhile, or
// when the run ends first.
func (a *accessible) copySecret(label, value string) string {
	said := a.copy(label, value)
	if !strings.HasPrefix(said, "Copied") {
		return said
	}
	d := a.c.clip.copied(value)
	if d == nil {
		return said + " Clear the clipboard yourself after pasting: patchbay cannot read it back here."
	}
	g, after, ctx := a.c.clip, a.c.clipboardWait, a.c.ctx
	go func() {
		if after(ctx, clipboardClearAfter) {
			_, _ = g.clear(d)
		}
	}()
	return strings.TrimSuffix(said, ".") + fmt.Sprintf("; it clears in %.0f s.", clipboardClearAfter.Seconds())
}

// copy puts a value on the native clipboard and, when the output is a
// terminal, sends it with OSC 52 too (which reaches the admin's own terminal
// over SSH). It returns what to tell the admin, without the value.
func (a *accessible) copy(label, value string) string {
	sent := false
	if f, ok := a.rawOut.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		_, _ = io.WriteString(a.rawOut, ansi.SetSystemClipboard(value))
		sent = true
	}
	if a.c.clipboard != nil {
		if err := a.c.clipboard(value); err == nil {
			sent = true
		}
	}
	if !sent {
		return "Couldn't copy " + label + ": no clipboard is available here."
	}
	return "Copied " + label + " to the clipboard (value hidden)."
}

// askFields asks every field, each until the run accepts it, then submits
// the answers; when they do not fit together, the field at fault is asked
// again (every field when the run names none).
func (a *accessible) askFields(run *app.StepRun) error {
	vals := newFormValues(run.Fields())
	values, secrets := map[string]string{}, map[string]string{}
	ask := vals
	for {
		for _, v := range ask {
			if err := a.askField(run, v, vals); err != nil {
				return err
			}
			if v.field.IsSecret() {
				secrets[v.field.Key] = v.str
				v.str = ""
			} else {
				values[v.field.Key] = v.encode()
			}
		}
		p := run.Submit(values, secrets)
		if p == nil {
			if rules := run.Rules(); rules != nil {
				_, line := rulesSummary(rules, vals)
				a.println(line)
			}
			return nil
		}
		a.println("These answers do not fit together: " + p.Message)
		a.println("Please answer again (Enter keeps an answer).")
		a.println("")
		plans := run.Fields()
		ask = nil
		for i, v := range vals {
			if p.Field == "" || v.field.Key == p.Field {
				v.replan(plans[i])
				ask = append(ask, v)
			}
		}
	}
}

// askField asks one field until the run accepts its answer. A refused
// answer is never offered back as the default.
func (a *accessible) askField(run *app.StepRun, v *formValue, all []*formValue) error {
	f, p := v.field, v.plan
	rules := run.Rules()
	for {
		if p.Description != "" && (rules == nil || f.Kind != steps.KindToggle) {
			a.println(f.Label + ": " + p.Description)
		}
		if rules != nil && f.Kind == steps.KindToggle {
			a.println(f.Label + ": " + rules.Describe(f, togglesOn(all)))
		}
		var field huh.Field
		var read func() string
		title := p.Title
		switch {
		case f.Kind == steps.KindToggle || f.Kind == steps.KindConfirm:
			field = huh.NewConfirm().Title(title).Accessor(boolAccessor{v: v, all: all, rules: rules})
			read = func() string { return strconv.FormatBool(v.on.Load()) }
		case p.Choice && f.Kind == steps.KindSelect:
			sel := huh.NewSelect[string]().Title(title).Options(choiceOptions(p, v.str)...)
			if v.str != "" {
				// Enter keeps the recorded answer; with none, a number is required.
				sel.Value(&v.str)
			}
			field = sel
			read = func() string { return fmt.Sprint(sel.GetValue()) }
		case p.Choice && f.Kind == steps.KindMultiSelect:
			field = huh.NewMultiSelect[string]().Title(title + " (enter a number to tick or untick it, 0 when done)").
				Options(choiceOptions(p, "")...).Value(&v.multi)
			read = func() string { return strings.Join(v.multi, ",") }
		default:
			hint := ""
			switch {
			case f.IsSecret() && p.Keep == app.KeepStored:
				hint = " (Enter keeps the current one)"
			case f.IsSecret() && p.Keep == app.KeepTyped:
				hint = " (Enter keeps the one you typed)"
			case !f.IsSecret() && v.str != "":
				hint = " (Enter keeps: " + v.str + ")"
			}
			in := huh.NewInput().Title(title + hint + ":").Value(&v.str)
			if f.IsSecret() {
				in.EchoMode(huh.EchoModePassword)
			}
			field = in
			read = func() string { return v.str }
		}

		if err := a.ask(field, f.IsSecret()); err != nil {
			return err
		}
		raw := read()
		if f.Kind == steps.KindSelect && p.Choice {
			v.str = raw
		}
		if v.refused {
			a.println(f.Label + " stays off: " + rules.Describe(f, togglesOn(all)))
		}
		err := run.CheckField(f.Key, raw)
		if err == nil {
			return nil
		}
		v.fill() // the refused answer is not the next default
		a.println("That answer does not work: " + err.Error())
	}
}

// ask runs one field with Huh's accessible prompts. secret is true for a
// secret input: on a terminal it is read without echo, straight from it.
func (a *accessible) ask(field huh.Field, isSecret bool) error {
	before := a.in.lines
	var err error
	func() {
		defer func() {
			// Huh indexes a choice from what was read; at the end of the
			// input that can be out of range.
			if r := recover(); r != nil {
				if !a.in.eof {
					panic(r)
				}
				err = ErrInputEnded
			}
		}()
		if isSecret && a.inIsTerminal() {
			// Huh reads a password from the terminal itself, without echo;
			// the form would drop its error, so the field runs on its own.
			field.Init()
			field.Focus()
			err = field.RunAccessible(a.out, a.rawIn)
			_, _ = fmt.Fprintln(a.out)
			return
		}
		if isSecret {
			// Not a terminal (a pipe): nothing echoes; read it as a line.
			if in, ok := field.(*huh.Input); ok {
				in.EchoMode(huh.EchoModeNormal)
			}
		}
		err = huh.NewForm(huh.NewGroup(field)).
			WithAccessible(true).
			WithShowHelp(false).
			WithTheme(a.c.styles.Form).
			WithInput(a.in).
			WithOutput(a.out).
			Run()
	}()
	if cerr := a.c.ctx.Err(); cerr != nil {
		// Interrupted at a prompt: nothing answered is taken.
		return cerr
	}
	if err != nil {
		if errors.Is(err, huh.ErrUserAborted) {
			return ErrInputEnded
		}
		return err
	}
	if a.in.eof && a.in.lines == before && !(isSecret && a.inIsTerminal()) {
		return ErrInputEnded
	}
	return nil
}

func (a *accessible) inIsTerminal() bool {
	f, ok := a.rawIn.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// selectValue reads what a select field was answered: Huh hands values back
// through the field's accessor.
func (a *accessible) selectValue(field huh.Field) string { return fmt.Sprint(field.GetValue()) }

// failed prints why the check did not pass and asks what now; stop is
// true when the admin stops without saving.
func (a *accessible) failed(run *app.StepRun) (stop bool, err error) {
	f := run.Failure()
	switch {
	case f.CheckErr != nil:
		a.println("The check could not run: " + plainErr(f.CheckErr) + ". Nothing was saved.")
	case f.Guess:
		a.println("Couldn't check this step: an address or answer patchbay guesses for this vendor may be wrong. Nothing was saved.")
	case f.Unreachable:
		a.println("Couldn't reach the vendor to check this step.")
	default:
		a.println("The check failed. Nothing was saved.")
	}
	if f.CheckErr == nil {
		if f.Detail != "" {
			a.println("Found: " + f.Detail)
		}
		if f.Fix != "" {
			a.println("Fix: " + f.Fix)
		}
		for _, w := range run.Warnings()[len(run.AnswerWarnings()):] {
			a.println("Warning: " + w)
		}
	}
	opts := []huh.Option[string]{huh.NewOption("Retry the check", "retry"), huh.NewOption("Edit the answers", "edit")}
	if run.CanCompleteUnverified() {
		opts = append(opts, huh.NewOption("Complete as unverified (verify it later, once the vendor answers)", "unverified"))
	}
	opts = append(opts, huh.NewOption("Stop here (nothing is saved)", "stop"))
	sel := huh.NewSelect[string]().Title("What now?").Options(opts...)
	if err := a.ask(sel, false); err != nil {
		return false, err
	}
	switch a.selectValue(sel) {
	case "retry":
		run.Retry()
	case "edit":
		run.Edit()
	case "unverified":
		run.CompleteUnverified()
	case "stop":
		return true, nil
	}
	return false, nil
}

// done prints the completed step: its proof, the warnings not yet printed
// and the hand-off message.
func (a *accessible) done(run *app.StepRun) error {
	out := run.Outcome()
	a.println("done ✓ proof: " + string(out.Proof))
	if out.Detail != "" {
		a.println(out.Detail)
	}
	for _, w := range run.Warnings()[len(run.AnswerWarnings()):] {
		a.println("Warning: " + w)
	}
	if h := run.Handoff(); h != "" {
		a.println("")
		a.println("Hand-off message:")
		a.println(strings.TrimRight(h, "\n"))
		copyIt := false
		if err := a.ask(huh.NewConfirm().Title("Copy the hand-off message to the clipboard?").Value(&copyIt), false); err != nil {
			return err
		}
		if copyIt {
			a.println(a.copy("the hand-off message", h))
		}
	}
	if out.Proof == steps.ProofUnverified {
		return a.offerVerify(run.Integration.ID)
	}
	return nil
}
