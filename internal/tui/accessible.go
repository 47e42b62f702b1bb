package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
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
		in:     newLineReader(in),
		rawOut: out,
		// Screen readers read escape codes aloud: strip every one.
		out: &colorprofile.Writer{Forward: out, Profile: colorprofile.NoTTY},
	}
	a.c.animate = false
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
}

// lineReader hands out at most one line per Read. Huh's accessible prompts
// wrap the reader in a new bufio.Scanner for every question; a scanner that
// read ahead would swallow the answers to the next questions.
type lineReader struct {
	r       *bufio.Reader
	pending []byte
	eof     bool
	lines   int // lines delivered so far
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: bufio.NewReader(r)} }

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		if l.eof {
			return 0, io.EOF
		}
		line, err := l.r.ReadBytes('\n')
		if len(line) > 0 {
			l.lines++
			l.pending = line
		}
		if err != nil {
			l.eof = true
			if len(line) == 0 {
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
		a.printOverview(ov)
		var opts []huh.Option[string]
		for _, iv := range ov.Integrations {
			opts = append(opts, huh.NewOption(fmt.Sprintf("%s: %s, %d of %d steps done", iv.Integration.ID, stateWord(iv.State), iv.Done, iv.Total), iv.Integration.ID))
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
		iv, _ := findIntegration(ov, choice)
		if err := a.integrationMenu(iv); err != nil {
			return err
		}
	}
}

func (a *accessible) integrationMenu(iv app.IntegrationView) error {
	var opts []huh.Option[string]
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
	case choice == "setup":
		return a.setup(iv.Integration.ID, "")
	case strings.HasPrefix(choice, "step:"):
		_, err := a.runStep(iv, strings.TrimPrefix(choice, "step:"), false)
		return err
	}
	return nil
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
		for _, reason := range iv.Attention {
			a.println("  Needs attention: " + reason)
		}
		for _, s := range iv.Secrets {
			line := fmt.Sprintf("  Secret %s ending %s, in %s, created %s", s.Key, s.Last4, cmpOr(s.Backend, ov.SecretsBackend), ago(now, s.CreatedAt))
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
				line += ", last check " + humanResult(s.Live)
			}
			a.println(line + ".")
		}
		for _, ch := range iv.Checks {
			a.printf("  Check %s: %s, %s. %s\n", ch.Name, humanResult(ch.Result), ago(now, ch.CheckedAt), ch.Detail)
		}
	}
	a.println("")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// runStep runs one step to its end: it reports whether the step was
// completed (false when the admin stopped without saving).
func (a *accessible) runStep(iv app.IntegrationView, stepID string, setup bool) (bool, error) {
	idx := iv.Integration.StepIndex(stepID)
	if idx < 0 {
		return false, fmt.Errorf("%w: %s has no step %q", steps.ErrUnknownStep, iv.Integration.ID, stepID)
	}
	st := iv.Integration.Steps[idx]
	a.printStep(iv.Integration, idx, setup)

	ctx, cancel := a.ctxLoad()
	input, err := a.c.backend.StepInput(ctx, iv.Integration.ID, st.ID)
	prior := steps.Answers{}
	for _, dep := range dependencySteps(st) {
		if err != nil {
			break
		}
		var din app.StepInput
		din, err = a.c.backend.StepInput(ctx, iv.Integration.ID, dep)
		if len(din.Values) > 0 {
			prior[dep] = din.Values
		}
	}
	options := map[string][]steps.Option{}
	optErr := map[string]error{}
	for _, f := range st.Fields {
		if err == nil && f.Source != steps.SourceNone {
			if opts, oerr := a.c.backend.Options(ctx, iv.Integration.ID, f.Source); oerr != nil || len(opts) == 0 {
				optErr[f.Key] = cmpErr(oerr, errNoOptions)
			} else {
				options[f.Key] = opts
			}
		}
	}
	cancel()
	if err != nil {
		return false, fmt.Errorf("loading %s: %w", st.ID, err)
	}

	if err := a.offerCopies(iv.Integration.ID, st); err != nil {
		return false, err
	}

	fresh := true
	for _, sv := range iv.Steps {
		if sv.Step.ID == st.ID && (sv.Status == steps.StatusDone || !sv.CompletedAt.IsZero()) {
			fresh = false
		}
	}
	sp := formSpec{step: st, answers: input.Values, stored: input.StoredSecrets, typed: map[string]bool{},
		options: options, optErr: optErr, rules: rulesFor(st, prior), fresh: fresh}
	vals := newFormValues(sp)
	typed := map[string]string{}
	for {
		sub, warnings, err := a.askFields(iv.Integration.ID, st, vals, typed, prior)
		if err != nil {
			return false, err
		}
		done, again, err := a.checkAndComplete(st, sub, warnings, prior)
		if err != nil || !again {
			return done, err
		}
	}
}

func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

func (a *accessible) printStep(in steps.Integration, idx int, setup bool) {
	st := in.Steps[idx]
	a.println("")
	mode := ""
	if setup {
		mode = " (guided setup)"
	}
	a.printf("%s, step %d of %d%s: %s\n", in.Name, idx+1, len(in.Steps), mode, st.Title)
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
		a.println(a.copy(it.Label, v))
	}
	return nil
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

// askFields asks every field, each until its answer is valid, then checks
// the answers as a whole (asking again from the top when they do not fit).
func (a *accessible) askFields(integration string, st steps.Step, vals []*formValue, typed map[string]string, prior steps.Answers) (app.Submission, []string, error) {
	for {
		var warnings []string
		values := map[string]string{}
		secrets := map[string]string{}
		rules := rulesFor(st, prior)
		for _, v := range vals {
			if err := a.askField(v, rules, vals); err != nil {
				return app.Submission{}, nil, err
			}
			k := v.field.Key
			if !v.field.IsSecret() {
				values[k] = v.encode()
				continue
			}
			raw := v.str
			v.str = ""
			switch {
			case strings.TrimSpace(raw) != "":
				n, w, _ := v.field.Check(raw) // askField validated it
				warnings = append(warnings, w...)
				secrets[k], typed[k] = n, n
				v.keep = keepTyped
			case v.keep == keepTyped:
				secrets[k] = typed[k]
			}
		}
		norm, w, err := st.ValidateAnswers(values, prior)
		warnings = append(warnings, w...)
		if err == nil {
			if rules != nil {
				_, line := rules.summary(vals)
				a.println(line)
			}
			return app.Submission{Integration: integration, Step: st.ID, Values: norm, Secrets: secrets}, warnings, nil
		}
		a.println("These answers do not fit together: " + err.Error())
		a.println("Please answer again (Enter keeps an answer).")
		a.println("")
	}
}

// askField asks one field until its answer passes the field's validator.
func (a *accessible) askField(v *formValue, rules *optionRules, all []*formValue) error {
	f := v.field
	for {
		if f.Help != "" {
			a.println(f.Label + ": " + f.Help)
		}
		if v.manual && v.loadErr != nil {
			a.println("Couldn't load the list from the vendor (" + plainErr(v.loadErr) + "): type it by hand.")
		}
		if rules != nil && f.Kind == steps.KindToggle {
			a.println(rules.describe(f, all))
		}
		var field huh.Field
		var read func() string
		title := f.Label
		switch {
		case f.Kind == steps.KindToggle || f.Kind == steps.KindConfirm:
			field = huh.NewConfirm().Title(title).Accessor(boolAccessor{v})
			read = func() string { return strconv.FormatBool(v.on.Load()) }
		case v.isChoice() && f.Kind == steps.KindSelect:
			opts := make([]huh.Option[string], 0, len(v.options))
			for _, o := range v.options {
				opts = append(opts, huh.NewOption(optionLabel(o), o.Value))
			}
			if v.str != "" && !slices.ContainsFunc(v.options, func(o steps.Option) bool { return o.Value == v.str }) {
				opts = append(opts, huh.NewOption(v.str+" (recorded; not in the current list)", v.str))
			}
			sel := huh.NewSelect[string]().Title(title).Options(opts...)
			if v.str != "" {
				// Enter keeps the recorded answer; with none, a number is required.
				sel.Value(&v.str)
			}
			field = sel
			read = func() string { return fmt.Sprint(sel.GetValue()) }
		case v.isChoice() && f.Kind == steps.KindMultiSelect:
			opts := make([]huh.Option[string], 0, len(v.options))
			for _, o := range v.options {
				opts = append(opts, huh.NewOption(optionLabel(o), o.Value))
			}
			field = huh.NewMultiSelect[string]().Title(title + " (enter a number to tick or untick it, 0 when done)").
				Options(opts...).Value(&v.multi)
			read = func() string { return strings.Join(v.multi, ",") }
		default:
			hint := ""
			switch {
			case f.IsSecret() && v.keep == keepStored:
				hint = " (Enter keeps the current one)"
			case f.IsSecret() && v.keep == keepTyped:
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
		if f.Kind == steps.KindSelect && v.isChoice() {
			v.str = raw
		}
		err := v.checkValue(raw)
		if err == nil {
			return nil
		}
		if f.IsSecret() {
			v.str = ""
		}
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

// checkAndComplete runs the live check and, when it passes (or the admin
// accepts an unverified completion), the write. again is true when the admin
// wants to edit the answers.
func (a *accessible) checkAndComplete(st steps.Step, sub app.Submission, warnings []string, prior steps.Answers) (done, again bool, err error) {
	for _, w := range warnings {
		a.println("Warning: " + w)
	}
	for {
		a.println("checking…")
		ctx, cancel := context.WithTimeout(a.c.ctx, a.c.checkTimeout)
		out, cerr := a.c.backend.Check(ctx, sub)
		cancel()
		switch {
		case errors.Is(cerr, context.DeadlineExceeded):
			out = app.Outcome{Proof: steps.ProofUnverified, Unreachable: true,
				Detail: fmt.Sprintf("The vendor did not answer within %s.", a.c.checkTimeout)}
		case cerr != nil:
			if a.c.ctx.Err() != nil {
				return false, false, a.c.ctx.Err()
			}
			a.println("The check could not run: " + plainErr(cerr) + ". Nothing was saved.")
		}
		if cerr == nil && out.OK {
			return a.complete(st, sub, out, prior, warnings)
		}
		if cerr == nil || errors.Is(cerr, context.DeadlineExceeded) {
			if out.Unreachable {
				a.println("Couldn't reach the vendor to check this step.")
			} else {
				a.println("The check failed. Nothing was saved.")
			}
			if out.Detail != "" {
				a.println("Found: " + out.Detail)
			}
			if out.Fix != "" {
				a.println("Fix: " + out.Fix)
			}
			for _, w := range mergeWarnings(warnings, out.Warnings)[len(mergeWarnings(warnings)):] {
				a.println("Warning: " + w)
			}
		}
		opts := []huh.Option[string]{huh.NewOption("Retry the check", "retry"), huh.NewOption("Edit the answers", "edit")}
		if cerr == nil && out.Unreachable || errors.Is(cerr, context.DeadlineExceeded) {
			opts = append(opts, huh.NewOption("Complete as unverified (verify later from the dashboard)", "unverified"))
		}
		opts = append(opts, huh.NewOption("Stop here (nothing is saved)", "stop"))
		sel := huh.NewSelect[string]().Title("What now?").Options(opts...)
		if err := a.ask(sel, false); err != nil {
			return false, false, err
		}
		switch a.selectValue(sel) {
		case "edit":
			return false, true, nil
		case "unverified":
			out.Proof = steps.ProofUnverified
			return a.complete(st, sub, out, prior, warnings)
		case "stop":
			return false, false, nil
		}
	}
}

// complete makes the step's one write. shown are the warnings already
// printed, which the outcome repeats.
func (a *accessible) complete(st steps.Step, sub app.Submission, out app.Outcome, prior steps.Answers, shown []string) (bool, bool, error) {
	a.println("saving…")
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.c.ctx), a.c.completeTimeout)
	err := a.c.backend.Complete(ctx, sub, out)
	cancel()
	if err != nil {
		return false, false, fmt.Errorf("saving %s (nothing was stored): %w", st.ID, err)
	}
	a.println("done ✓ proof: " + string(out.Proof))
	if out.Detail != "" {
		a.println(out.Detail)
	}
	for _, w := range mergeWarnings(shown, out.Warnings)[len(mergeWarnings(shown)):] {
		a.println("Warning: " + w)
	}
	if st.Handoff != nil {
		if h := st.Handoff(sub.Values, prior); h != "" {
			a.println("")
			a.println("Hand-off message:")
			a.println(strings.TrimRight(h, "\n"))
			copyIt := false
			if err := a.ask(huh.NewConfirm().Title("Copy the hand-off message to the clipboard?").Value(&copyIt), false); err != nil {
				return true, false, err
			}
			if copyIt {
				a.println(a.copy("the hand-off message", h))
			}
		}
	}
	return true, false, nil
}
