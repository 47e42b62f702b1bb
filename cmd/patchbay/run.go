package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/patchbay/patchbay/internal/tui"
	"github.com/spf13/cobra"
)

// RunOptions are what `patchbay run` and `patchbay setup` need.
type RunOptions struct {
	F           *Factory
	Integration string
	Step        string // "" for setup: the first unfinished step
	Sets        []string
	Setup       bool
}

func newRunCmd(f *Factory) *cobra.Command {
	opts := &RunOptions{F: f}
	cmd := &cobra.Command{
		Use:   "run INTEGRATION/STEP",
		Short: "Run (or re-run) one step, e.g. to replace a key",
		Long: `run walks you through one step again. Your previous answers are pre-filled
(Enter keeps them) and stored secrets default to "keep current".

Without a terminal, give the answers as --set KEY=VALUE. Secrets are read from
standard input (--set api_key=@-) or a file (--set api_key=@PATH), never from
the command line itself.`,
		Example: `  patchbay run certn-lever/lever-trigger-stage
  printf '%s' "$KEY" | patchbay run certn-lever/lever-key --set region=us --set api_key=@-`,
		Args: exactArgs(1, "INTEGRATION/STEP, e.g. certn-lever/lever-key"),
		RunE: func(cmd *cobra.Command, args []string) error {
			integ, step, err := steps.ParseRef(args[0])
			if err != nil {
				return usageError("%v", err)
			}
			opts.Integration, opts.Step = integ, step
			return runRun(cmd.Context(), opts)
		},
		ValidArgsFunction: completeStepRefs,
	}
	cmd.Flags().StringArrayVar(&opts.Sets, "set", nil, "answer a field: `KEY=VALUE` (repeatable; secrets as KEY=@- or KEY=@PATH)")
	return cmd
}

func newSetupCmd(f *Factory) *cobra.Command {
	opts := &RunOptions{F: f, Setup: true}
	cmd := &cobra.Command{
		Use:   "setup INTEGRATION",
		Short: "Guided onboarding of one integration, resuming where you left off",
		Long: `setup walks you through an integration step by step, from the first click in
the vendor's UI to the last check, resuming at the first unfinished step.

Integrations: ` + strings.Join(steps.IntegrationIDs(), ", ") + `

Without a terminal, setup runs the next unfinished step with the answers given
as --set KEY=VALUE (secrets as KEY=@- or KEY=@PATH) and says which step is next.`,
		Example: `  patchbay setup certn-lever
  patchbay setup vetty-chattr --set confirmed=true`,
		Args: exactArgs(1, "INTEGRATION, one of "+strings.Join(steps.IntegrationIDs(), ", ")),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := steps.Lookup(args[0]); !ok {
				return usageError("unknown integration %q: choose one of %s", args[0], strings.Join(steps.IntegrationIDs(), ", "))
			}
			opts.Integration = args[0]
			return runRun(cmd.Context(), opts)
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return steps.IntegrationIDs(), cobra.ShellCompDirectiveNoFileComp
		},
	}
	cmd.Flags().StringArrayVar(&opts.Sets, "set", nil, "answer a field of the next step: `KEY=VALUE` (repeatable)")
	return cmd
}

func runRun(ctx context.Context, opts *RunOptions) error {
	f := opts.F
	if len(opts.Sets) == 0 && f.IO.CanPrompt() {
		svc, err := f.Service(ctx)
		if err != nil {
			return err
		}
		mode := tui.ModeRunStep
		if opts.Setup {
			mode = tui.ModeSetup
		}
		return f.runTUI(ctx, svc, tui.Options{Mode: mode, StartIntegration: opts.Integration, StartStep: opts.Step})
	}
	in, _ := steps.Lookup(opts.Integration)
	if opts.Step != "" {
		// The answers are checked before anything is opened or created: a
		// typo in --set (or in --profile with it) changes nothing.
		st, _ := in.Step(opts.Step)
		values, given, err := parseScripted(f, in, st, opts.Sets)
		if err != nil {
			return err
		}
		svc, err := f.Service(ctx)
		if err != nil {
			return err
		}
		return runScriptedAndNext(ctx, f, svc, in, st, values, given)
	}
	svc, err := f.Service(ctx)
	if err != nil {
		return err
	}
	ov, err := svc.Overview(ctx)
	if err != nil {
		return err
	}
	stepID := ""
	for _, iv := range ov.Integrations {
		if iv.Integration.ID == in.ID {
			stepID = iv.NextStep
		}
	}
	if stepID == "" {
		fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "%s is complete: every step is done. Re-run one with patchbay run %s/STEP.\n", in.Name, in.ID)
		return nil
	}
	st, _ := in.Step(stepID)
	values, given, err := parseScripted(f, in, st, opts.Sets)
	if err != nil {
		return err
	}
	return runScriptedAndNext(ctx, f, svc, in, st, values, given)
}

// parseScripted reads one step's --set answers (secrets from standard input
// or a file), refusing what the step run would refuse of their form.
func parseScripted(f *Factory, in steps.Integration, st steps.Step, sets []string) (values, given map[string]string, err error) {
	ref := in.ID + "/" + st.ID
	if len(sets) == 0 && needsAnswers(st) {
		return nil, nil, fmt.Errorf("%w: %s needs answers; give them with --set KEY=VALUE (fields: %s), or run it in a terminal",
			errNeedsTerminal, ref, fieldList(st))
	}
	reader := &secretReader{f: f}
	values, given, _, err = steps.ParseSets(st, sets, reader.read)
	if err != nil {
		if p := app.ExplainFieldError(st, err); p != nil {
			return nil, nil, usageError("%s: %s", ref, scriptedProblem(st, p))
		}
		return nil, nil, setsError(ref, err)
	}
	return values, given, nil
}

// runScriptedAndNext runs one step from its --set answers through the
// shared step run, then says which step is next.
func runScriptedAndNext(ctx context.Context, f *Factory, svc *app.Service, in steps.Integration, st steps.Step, values, given map[string]string) error {
	if err := runScripted(ctx, f, svc, in, st, values, given); err != nil {
		return err
	}
	return printNext(ctx, termsafe.NewWriter(f.IO.Out), svc, in)
}

// runScripted runs one step with answers given up front (run --set, apply)
// through the step run every front end shares: the answers are checked,
// the live check runs, and the step is recorded, or the refusal returned.
func runScripted(ctx context.Context, f *Factory, svc *app.Service, in steps.Integration, st steps.Step, values, given map[string]string) error {
	ref := in.ID + "/" + st.ID
	iv, err := integrationView(ctx, svc, in.ID)
	if err != nil {
		return err
	}
	run, err := app.NewStepRun(iv, st.ID, false)
	if err != nil {
		return err
	}
	l, err := app.LoadStep(ctx, svc, in.ID, st)
	run.Loaded(l, err)
	if err != nil {
		return err
	}
	out := termsafe.NewWriter(f.IO.Out)
	fmt.Fprintf(out, "%s — %s\n", ref, st.Title)
	for _, n := range run.Notices {
		fmt.Fprintf(out, "  warning: %s\n", n)
	}
	if p := run.Submit(values, given); p != nil {
		return usageError("%s: %s", ref, scriptedProblem(st, p))
	}
	for _, w := range run.AnswerWarnings() {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}
	cctx, cancel := context.WithTimeout(ctx, app.StepCheckTimeout)
	outcome, err := svc.Check(cctx, run.Submission())
	cancel()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		if isAnswerError(err) {
			return usageError("%s: %v", ref, err)
		}
		return err
	}
	run.Checked(outcome, err, app.StepCheckTimeout)
	for _, w := range run.Warnings()[len(run.AnswerWarnings()):] {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}
	// An unreachable vendor never blocks: the step completes unverified.
	if !run.CompleteUnverified() && run.Phase == app.PhaseFailed {
		fl := run.Failure()
		fmt.Fprintf(out, "  check failed: %s\n", fl.Detail)
		if fl.Fix != "" {
			fmt.Fprintf(out, "  what to do: %s\n", fl.Fix)
		}
		return fmt.Errorf("%s was not recorded: %w", ref, app.ErrCheckFailed)
	}
	err = svc.Complete(ctx, run.Submission(), run.Outcome())
	run.Completed(err)
	if err != nil {
		return err
	}
	switch done := run.Outcome(); done.Proof {
	case steps.ProofUnverified:
		fmt.Fprintf(out, "  done, unverified: %s\n  verify it later with patchbay status --live, or re-run it: patchbay run %s\n", done.Detail, ref)
	default:
		fmt.Fprintf(out, "  done — %s", done.Proof)
		if done.Detail != "" {
			fmt.Fprintf(out, ": %s", done.Detail)
		}
		fmt.Fprintln(out)
	}
	if msg := run.Handoff(); msg != "" {
		fmt.Fprintf(out, "\nTo send:\n%s\n", indent(msg, "  "))
	}
	return nil
}

// scriptedProblem words a refused answer with the --set key it came from.
func scriptedProblem(st steps.Step, p *app.Problem) string {
	fl, ok := st.Field(p.Field)
	switch {
	case !ok:
		return p.Message
	case fl.IsSecret():
		return fmt.Sprintf("%s (give it with --set %s=@- or --set %s=@PATH)", p.Message, fl.Key, fl.Key)
	}
	return fmt.Sprintf("%s (--set %s=…)", p.Message, fl.Key)
}

func integrationView(ctx context.Context, svc *app.Service, id string) (app.IntegrationView, error) {
	ov, err := svc.Overview(ctx)
	if err != nil {
		return app.IntegrationView{}, err
	}
	for _, iv := range ov.Integrations {
		if iv.Integration.ID == id {
			return iv, nil
		}
	}
	return app.IntegrationView{}, fmt.Errorf("%w %q", steps.ErrUnknownIntegration, id)
}

// printNext says how far the integration is and, scripted, the command
// that runs its next step.
func printNext(ctx context.Context, out io.Writer, svc *app.Service, in steps.Integration) error {
	iv, err := integrationView(ctx, svc, in.ID)
	if err != nil {
		return err
	}
	if iv.NextStep == "" {
		fmt.Fprintf(out, "%s: all %d steps done.\n", in.Name, iv.Total)
		return nil
	}
	next, _ := in.Step(iv.NextStep)
	fmt.Fprintf(out, "%s: %d of %d steps done; next: patchbay run %s/%s%s\n", in.Name, iv.Done, iv.Total, in.ID, next.ID, setFlags(next))
	return nil
}

// setFlags lists the --set flags a step's scripted run takes.
func setFlags(st steps.Step) string {
	var b strings.Builder
	for _, fl := range st.Fields {
		switch {
		case fl.IsSecret():
			fmt.Fprintf(&b, " --set %s=@-", fl.Key)
		case fl.Kind == steps.KindConfirm:
			fmt.Fprintf(&b, " --set %s=true", fl.Key)
		default:
			fmt.Fprintf(&b, " --set %s=…", fl.Key)
		}
	}
	return b.String()
}

// needsAnswers reports whether a step cannot complete without any --set.
func needsAnswers(st steps.Step) bool {
	for _, fl := range st.Fields {
		if !fl.Optional && fl.Default == "" {
			return true
		}
	}
	return false
}

func fieldList(st steps.Step) string {
	var keys []string
	for _, fl := range st.Fields {
		k := fl.Key
		if fl.IsSecret() {
			k += "=@-"
		}
		keys = append(keys, k)
	}
	return strings.Join(keys, ", ")
}

// secretReader reads secrets for --set KEY=@- (standard input, once) and
// KEY=@PATH. On a terminal, @- reads without echo, like a password prompt.
type secretReader struct {
	f         *Factory
	usedStdin bool
}

func (r *secretReader) read(ref string) ([]byte, error) {
	if ref == steps.StdinRef {
		if r.usedStdin {
			return nil, errors.New("standard input can give only one secret")
		}
		r.usedStdin = true
		if r.f.IO.InTTY {
			v, err := r.f.askSecret("Secret")
			return []byte(v), err
		}
		v, err := r.f.interruptible(func() (string, error) {
			b, err := readCapped(r.f.IO.In)
			return string(b), err
		}, nil)
		return []byte(v), err
	}
	// The caller names the file; the error never holds its content.
	ctx := r.f.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return readSecretFile(ctx, ref)
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// exactArgs is cobra.ExactArgs with a message that says what is expected.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("%s expects %s", cmd.CommandPath(), what)
		}
		return nil
	}
}

// completeStepRefs offers INTEGRATION/STEP references to shell completion.
func completeStepRefs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var refs []string
	for _, in := range steps.Catalog() {
		for _, st := range in.Steps {
			refs = append(refs, in.ID+"/"+st.ID)
		}
	}
	sort.Strings(refs)
	return refs, cobra.ShellCompDirectiveNoFileComp
}

// isAnswerError reports whether err is about the admin's answers (exit 2)
// rather than a failure of patchbay or a vendor.
func isAnswerError(err error) bool {
	for _, target := range []error{steps.ErrInvalidValue, steps.ErrMissingValue, steps.ErrOptionRules,
		steps.ErrPrerequisite, steps.ErrUnknownField, app.ErrMissingSecret} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// setsError words a --set problem: an interrupted read of the secret stays
// an interruption (exit 130); anything else is a usage error (exit 2).
func setsError(ref string, err error) error {
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return usageError("%s: %v", ref, err)
}
