package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/spf13/cobra"
)

// RotateOptions are what `patchbay rotate` needs.
type RotateOptions struct {
	F           *Factory
	Integration string
	Key         string
	Sets        []string
	// Revoked records that the previous value was revoked in the vendor's UI.
	Revoked         bool
	AllowUnverified bool
}

func newRotateCmd(f *Factory) *cobra.Command {
	opts := &RotateOptions{F: f}
	cmd := &cobra.Command{
		Use:   "rotate INTEGRATION/SECRET",
		Short: "Replace a secret safely: verify the new one first, keep the old one until revoked",
		Long: `rotate replaces one stored secret (secrets: vetty-chattr/api_key,
certn-lever/api_key, certn-lever/signing_token, charthop-lever/api_key,
charthop-lever/webhook_secret).

It shows where to create the new credential in the vendor's UI, takes it, and
checks it live before anything is replaced: a new secret that fails the check
changes nothing. The old value is then kept as "previous" until you confirm
that you revoked it in the vendor's UI (rotate --revoked), and every step that
handed the old value to another system is marked needs_rerun, with the command
to re-run it.

Without a terminal, give the new secret on standard input or in a file:
--set api_key=@- or --set api_key=@PATH (never on the command line), and any
answer of the creating step to change, e.g. --set expiry_months=12 for a new
Vetty key.`,
		Example: `  patchbay rotate certn-lever/api_key
  printf '%s' "$NEW_KEY" | patchbay rotate certn-lever/api_key --set api_key=@-
  patchbay rotate vetty-chattr/api_key --set api_key=@/run/secrets/vetty --set expiry_months=12
  patchbay rotate --revoked certn-lever/api_key`,
		Args: exactArgs(1, "INTEGRATION/SECRET, e.g. certn-lever/api_key"),
		RunE: func(cmd *cobra.Command, args []string) error {
			integ, key, err := steps.ParseSecretRef(args[0])
			if err != nil {
				return usageError("%v", err)
			}
			if opts.Revoked && (len(opts.Sets) > 0 || opts.AllowUnverified) {
				return usageError("--revoked only records the revocation of the previous value: it takes no --set or --allow-unverified")
			}
			opts.Integration, opts.Key = integ, key
			return rotateRun(cmd.Context(), opts)
		},
		ValidArgsFunction: completeSecretRefs,
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Sets, "set", nil, "the new secret as `KEY=@-` or KEY=@PATH, and answers of the creating step to change (repeatable)")
	fl.BoolVar(&opts.Revoked, "revoked", false, "confirm that the previous value was revoked in the vendor's UI; its kept copy is deleted")
	fl.BoolVar(&opts.AllowUnverified, "allow-unverified", false, "rotate even when the vendor cannot be reached to verify the new secret")
	return cmd
}

func rotateRun(ctx context.Context, opts *RotateOptions) error {
	f := opts.F
	ref := opts.Integration + "/" + opts.Key
	svc, err := f.Service(ctx)
	if err != nil {
		return err
	}
	out := termsafe.NewWriter(f.IO.Out)
	if opts.Revoked {
		last4, err := svc.ConfirmRevoked(ctx, opts.Integration, opts.Key)
		if errors.Is(err, app.ErrNoPrevious) {
			return usageError("%v", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Recorded: the previous %s (%s) is revoked; its copy was deleted from the %s.\n", ref, app.Ending(last4), svc.Secrets.Backend().Name)
		return nil
	}

	plan, err := svc.PlanRotation(ctx, opts.Integration, opts.Key)
	if err != nil {
		return err
	}
	reader := &secretReader{f: f}
	values, given, warnings, err := steps.ParseSets(plan.Step, opts.Sets, reader.read)
	if err != nil {
		return setsError(ref, err)
	}
	newValue, haveSecret := given[opts.Key]
	interactive := false
	if !haveSecret {
		if !f.IO.CanPrompt() {
			return fmt.Errorf("%w: rotate needs the new %s: pipe it with --set %s=@- or read it from a file with --set %s=@PATH, or run it in a terminal",
				errNeedsTerminal, opts.Key, opts.Key, opts.Key)
		}
		interactive = true
		printRotationGuide(out, plan)
		if err := askRotationAnswers(f, plan, values); err != nil {
			return err
		}
		if newValue, err = f.askSecret("New " + plan.Field.Label); err != nil {
			return err
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}

	fmt.Fprintf(out, "Checking the new %s before anything is replaced…\n", opts.Key)
	res, err := svc.Rotate(ctx, app.RotateRequest{
		Integration: opts.Integration, Key: opts.Key, NewValue: newValue, Values: values,
		AllowUnverified: opts.AllowUnverified,
	})
	if err != nil {
		return rotationError(out, ref, plan, res, err)
	}
	printRotated(out, res)
	if !interactive {
		return nil
	}
	return rotationFollowUp(ctx, f, svc, res)
}

// askRotationAnswers asks, on a terminal, for the answers a new credential
// may change: its lifetime (Vetty). Other answers keep their recorded value
// unless given with --set.
func askRotationAnswers(f *Factory, plan app.RotationPlan, values map[string]string) error {
	name := plan.Step.ExpiryMonthsField
	if name == "" {
		return nil
	}
	if _, given := values[name]; given {
		return nil
	}
	field, _ := plan.Step.Field(name)
	for attempt := 0; attempt < 3; attempt++ {
		v, err := f.ask(field.Label+" of the new "+plan.Field.Label, plan.Values[name])
		if err != nil {
			return err
		}
		n, _, err := field.Check(v)
		if err == nil {
			values[name] = n
			return nil
		}
		fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "  %v\n", err)
	}
	return usageError("%s: no valid answer", name)
}

func printRotationGuide(w io.Writer, plan app.RotationPlan) {
	w = termsafe.NewWriter(w) // vendor names and details are shown, never obeyed
	in, st := plan.Integration, plan.Step
	fmt.Fprintf(w, "Rotate %s/%s — %s\n", in.ID, plan.Key, plan.Field.Label)
	fmt.Fprintf(w, "Current value %s, created %s", app.Ending(plan.Current.Last4), plan.Current.CreatedAt.Format("2006-01-02"))
	if !plan.Current.ExpiresAt.IsZero() {
		fmt.Fprintf(w, ", expires %s", plan.Current.ExpiresAt.Format("2006-01-02"))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "\nFirst create the new one in %s", st.Where)
	if st.Link != "" {
		fmt.Fprintf(w, " (%s)", st.Link)
	}
	fmt.Fprintln(w, ":")
	for i, a := range st.Actions {
		fmt.Fprintf(w, "  %d. %s\n", i+1, a)
	}
	for _, c := range st.Caveats {
		fmt.Fprintf(w, "  ! %s\n", c)
	}
	fmt.Fprintf(w, "\npatchbay checks the new value before it replaces the current one, and keeps the current one as \"previous\" until you confirm you revoked it.\n")
	if len(plan.HandsOn) > 0 {
		fmt.Fprintf(w, "Afterwards these steps hand the new value on: %s.\n", joinList(plan.HandsOn))
	}
	fmt.Fprintln(w)
}

// rotationError shows why a rotation changed nothing, and says what to do.
func rotationError(w io.Writer, ref string, plan app.RotationPlan, res app.RotateResult, err error) error {
	w = termsafe.NewWriter(w) // vendor names and details are shown, never obeyed
	switch {
	case errors.Is(err, app.ErrCheckFailed), errors.Is(err, app.ErrNotVerified):
		fmt.Fprintf(w, "  check failed: %s\n", res.Outcome.Detail)
		if res.Outcome.Fix != "" {
			fmt.Fprintf(w, "  what to do: %s\n", res.Outcome.Fix)
		}
		if errors.Is(err, app.ErrNotVerified) {
			fmt.Fprintf(w, "  to rotate anyway and verify later: patchbay rotate %s --allow-unverified\n", ref)
		}
		fmt.Fprintf(w, "Nothing was changed: the current value (%s) stays in use.\n", app.Ending(plan.Current.Last4))
		return fmt.Errorf("%s was not rotated: %w", ref, err)
	case errors.Is(err, app.ErrSameSecret), isAnswerError(err):
		return usageError("%s: %v", ref, err)
	}
	return err
}

func printRotated(w io.Writer, res app.RotateResult) {
	w = termsafe.NewWriter(w) // vendor names and details are shown, never obeyed
	ref := res.Integration + "/" + res.Key
	fmt.Fprintf(w, "Rotated %s: %s → %s", ref, app.Ending(res.OldLast4), app.Ending(res.NewLast4))
	proof := res.Outcome.Proof
	if res.Outcome.Unreachable {
		proof = steps.ProofUnverified
	}
	if proof != "" {
		fmt.Fprintf(w, " — %s", proof)
	}
	if res.Outcome.Detail != "" {
		fmt.Fprintf(w, ": %s", res.Outcome.Detail)
	}
	fmt.Fprintln(w)
	if !res.ExpiresAt.IsZero() {
		fmt.Fprintf(w, "The new value expires on %s.\n", res.ExpiresAt.Format("2006-01-02"))
	}
	n := 1
	fmt.Fprintln(w, "\nWhat to do now:")
	if len(res.NeedsRerun) > 0 {
		fmt.Fprintf(w, "  %d. Hand the new value on: these steps need a re-run (do them before revoking the old value, or the other system stops working):\n", n)
		in, _ := steps.Lookup(res.Integration)
		for _, id := range res.NeedsRerun {
			st, _ := in.Step(id)
			fmt.Fprintf(w, "       patchbay run %s/%s    %s\n", res.Integration, id, st.Title)
		}
		n++
	}
	if res.PreviousKept {
		fmt.Fprintf(w, "  %d. Revoke the previous value (%s) in %s.\n", n, app.Ending(res.OldLast4), res.Revoke)
		fmt.Fprintf(w, "     Then confirm it, and patchbay deletes its kept copy: patchbay rotate --revoked %s\n", ref)
	} else {
		fmt.Fprintf(w, "  %d. The previous value was no longer in the secrets store; revoke it in %s if it still works.\n", n, res.Revoke)
	}
}

// rotationFollowUp leads the admin through the re-runs and the revocation
// on a terminal.
func rotationFollowUp(ctx context.Context, f *Factory, svc *app.Service, res app.RotateResult) error {
	for _, id := range res.NeedsRerun {
		ok, err := f.yes(fmt.Sprintf("\nRe-run %s/%s now?", res.Integration, id))
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := runRun(ctx, &RunOptions{F: f, Integration: res.Integration, Step: id}); err != nil {
			return err
		}
	}
	if !res.PreviousKept {
		return nil
	}
	ok, err := f.yes(fmt.Sprintf("\nHave you revoked the previous value (%s) in %s?", app.Ending(res.OldLast4), res.Revoke))
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "Once you have: patchbay rotate --revoked %s/%s\n", res.Integration, res.Key)
		return nil
	}
	last4, err := svc.ConfirmRevoked(ctx, res.Integration, res.Key)
	if err != nil {
		return err
	}
	fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "Recorded: the previous value (%s) is revoked; its copy was deleted from the %s.\n", app.Ending(last4), svc.Secrets.Backend().Name)
	return nil
}

func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := ""
	for i, it := range items {
		switch {
		case i == 0:
			out = it
		case i == len(items)-1:
			out += " and " + it
		default:
			out += ", " + it
		}
	}
	return out
}

// completeSecretRefs offers INTEGRATION/SECRET references to shell completion.
func completeSecretRefs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var refs []string
	for _, in := range steps.Catalog() {
		for _, k := range in.SecretKeys() {
			refs = append(refs, in.ID+"/"+k)
		}
	}
	sort.Strings(refs)
	return refs, cobra.ShellCompDirectiveNoFileComp
}
