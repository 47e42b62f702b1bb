package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/spf13/cobra"
)

// ResetOptions are what `patchbay reset` needs.
type ResetOptions struct {
	F           *Factory
	Integration string
	Step        string // "" for every step
	Yes         bool
	// RemoveSecrets is the admin's explicit consent to delete the secrets of
	// the reset steps from the secrets store; --yes never implies it.
	RemoveSecrets bool
}

func newResetCmd(f *Factory) *cobra.Command {
	opts := &ResetOptions{F: f}
	cmd := &cobra.Command{
		Use:   "reset INTEGRATION[/STEP]",
		Short: "Forget the progress of an integration or one step (asks first; --yes for scripts)",
		Long: `reset forgets what patchbay recorded for an integration, or for one of its
steps: answers, proofs and live check results. Nothing changes in the vendors'
systems.

Secrets are never removed silently. The secrets the reset steps created stay
in the keyring (or vault), and the next run of the step offers to keep them,
unless you agree to remove them: on a terminal patchbay asks separately
(default: keep); in scripts pass --remove-secrets. Every removal is recorded
in the history.

To stop vetty-chattr for good after deleting its key in Vetty, use
patchbay disconnect vetty-chattr.`,
		Example: `  patchbay reset certn-lever/certn-packages
  patchbay reset charthop-lever --yes
  patchbay reset certn-lever/lever-key --yes --remove-secrets`,
		Args: exactArgs(1, "INTEGRATION or INTEGRATION/STEP, e.g. certn-lever/lever-key"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.Contains(args[0], "/") {
				integ, step, err := steps.ParseRef(args[0])
				if err != nil {
					return usageError("%v", err)
				}
				opts.Integration, opts.Step = integ, step
			} else {
				if _, ok := steps.Lookup(args[0]); !ok {
					return usageError("unknown integration %q: choose one of %s", args[0], strings.Join(steps.IntegrationIDs(), ", "))
				}
				opts.Integration = args[0]
			}
			return resetRun(cmd.Context(), opts)
		},
		ValidArgsFunction: completeResetRefs,
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation (scripts); secrets are still kept unless --remove-secrets")
	cmd.Flags().BoolVar(&opts.RemoveSecrets, "remove-secrets", false, "also delete the secrets these steps created from the keyring or vault")
	return cmd
}

func resetRun(ctx context.Context, opts *ResetOptions) error {
	f := opts.F
	out := termsafe.NewWriter(f.IO.Out)
	// Forgetting progress is SQLite only; the secrets store is opened only
	// when a removal is agreed, so a locked keyring does not block a reset.
	rsvc, err := f.ReadService(ctx)
	if err != nil {
		return err
	}
	plan, err := rsvc.PlanReset(ctx, opts.Integration, opts.Step)
	if err != nil {
		return err
	}
	target := opts.Integration
	if opts.Step != "" {
		target += "/" + opts.Step
	}
	if len(plan.Steps) == 0 && (len(plan.Secrets) == 0 || !opts.RemoveSecrets && opts.Yes) {
		fmt.Fprintf(out, "Nothing to reset: %s has no recorded progress.\n", target)
		printKeptSecrets(out, plan, target)
		return nil
	}
	if !opts.Yes && !f.IO.CanPrompt() {
		return fmt.Errorf("%w: reset asks before forgetting progress; pass --yes in scripts (secrets are kept unless you also pass --remove-secrets)", errNeedsTerminal)
	}

	if len(plan.Steps) > 0 {
		fmt.Fprintf(out, "This forgets what patchbay recorded for %s: %s (answers, proofs and check results). Nothing changes in the vendors' systems.\n",
			plan.Integration.Name, strings.Join(plan.Steps, ", "))
		if !opts.Yes {
			ok, err := f.yes("Forget this progress?")
			if err != nil {
				return err
			}
			if !ok {
				fmt.Fprintln(out, "Nothing was changed.")
				return nil
			}
		}
	}
	remove := opts.RemoveSecrets
	if len(plan.Secrets) > 0 && !remove && !opts.Yes {
		fmt.Fprintf(out, "\nThese secrets stay in the %s unless you agree to remove them:\n", plan.Secrets[0].Backend)
		for _, sv := range plan.Secrets {
			fmt.Fprintf(out, "  %s %s%s\n", sv.Key, app.Ending(sv.Last4), previousNote(sv))
		}
		fmt.Fprintln(out, "Remove them only if they are revoked in the vendor's UI or you will not use them again.")
		if remove, err = f.yes("Remove them from the secrets store too?"); err != nil {
			return err
		}
	}

	if !remove && len(plan.Steps) == 0 {
		fmt.Fprintln(out, "Nothing was changed.")
		return nil
	}
	svc := rsvc
	if remove && len(plan.Secrets) > 0 {
		if svc, err = f.Service(ctx); err != nil {
			return err
		}
	}
	res, err := svc.Reset(ctx, app.ResetRequest{Integration: opts.Integration, Step: opts.Step, RemoveSecrets: remove})
	if err != nil {
		return err
	}
	printResetResult(out, res)
	if len(res.Kept) > 0 {
		printKeptSecrets(out, plan, target)
	}
	return nil
}

func previousNote(sv app.SecretView) string {
	if sv.HasPrevious {
		return " (and the previous value kept from a rotation)"
	}
	return ""
}

func printResetResult(w io.Writer, res app.ResetResult) {
	w = termsafe.NewWriter(w) // vendor names and details are shown, never obeyed
	if len(res.Steps) > 0 {
		fmt.Fprintf(w, "Forgot: %s.\n", strings.Join(res.Steps, ", "))
	}
	for _, r := range res.Removed {
		fmt.Fprintf(w, "Removed %s %s%s from the %s.\n", r.Key, app.Ending(r.Last4), map[bool]string{true: " and its previous value", false: ""}[r.Previous], r.Backend)
	}
	if len(res.Removed) > 0 {
		fmt.Fprintln(w, "Every removal is in the history (patchbay history).")
	}
}

func printKeptSecrets(w io.Writer, plan app.ResetPlan, target string) {
	w = termsafe.NewWriter(w) // vendor names and details are shown, never obeyed
	if len(plan.Secrets) == 0 {
		return
	}
	var keys []string
	for _, sv := range plan.Secrets {
		keys = append(keys, sv.Key+" "+app.Ending(sv.Last4))
	}
	fmt.Fprintf(w, "Kept in the %s: %s. The next run of the step offers to keep it; to delete it: patchbay reset %s --remove-secrets\n",
		plan.Secrets[0].Backend, strings.Join(keys, ", "), target)
}

// DisconnectOptions are what `patchbay disconnect` needs.
type DisconnectOptions struct {
	F           *Factory
	Integration string
	Yes         bool
}

func newDisconnectCmd(f *Factory) *cobra.Command {
	opts := &DisconnectOptions{F: f}
	cmd := &cobra.Command{
		Use:   "disconnect vetty-chattr",
		Short: "Record that you deleted Vetty's key for Chattr, and remove patchbay's copy",
		Long: `disconnect ends the vetty-chattr integration for good. First delete the API
key in Vetty (Settings › API Management): Chattr can then no longer order
checks. disconnect records that you did, removes patchbay's copy of the key
from the keyring (or vault) and forgets the integration's progress; all of it
goes in the history.

To pause the integration instead, toggle it off in Chattr (Onboarding ›
Background Checks › Vetty); patchbay need not know.`,
		Example: `  patchbay disconnect vetty-chattr
  patchbay disconnect vetty-chattr --yes`,
		Args: exactArgs(1, "the integration to disconnect: vetty-chattr"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := app.DisconnectGuidance(args[0]); !ok {
				return usageError("%s cannot be disconnected: only vetty-chattr has a disconnect path; to forget progress use patchbay reset %s", args[0], args[0])
			}
			opts.Integration = args[0]
			return disconnectRun(cmd.Context(), opts)
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{steps.IntegrationVettyChattr}, cobra.ShellCompDirectiveNoFileComp
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "you deleted the key in the vendor's UI: do not ask (scripts)")
	return cmd
}

func disconnectRun(ctx context.Context, opts *DisconnectOptions) error {
	f := opts.F
	out := termsafe.NewWriter(f.IO.Out)
	if !opts.Yes && !f.IO.CanPrompt() {
		return fmt.Errorf("%w: disconnect asks you to confirm that you deleted the key in the vendor's UI; pass --yes in scripts", errNeedsTerminal)
	}
	svc, err := f.Service(ctx)
	if err != nil {
		return err
	}
	plan, err := svc.PlanReset(ctx, opts.Integration, "")
	if err != nil {
		return err
	}
	if len(plan.Steps) == 0 && len(plan.Secrets) == 0 {
		fmt.Fprintf(out, "Nothing to disconnect: %s has no recorded progress and no stored key.\n", opts.Integration)
		return nil
	}
	hint, _ := app.DisconnectGuidance(opts.Integration)
	if !opts.Yes {
		fmt.Fprintf(out, "To disconnect %s, %s.\n", plan.Integration.Name, hint)
		for _, sv := range plan.Secrets {
			fmt.Fprintf(out, "patchbay will remove its copy of %s %s%s from the %s.\n", sv.Key, app.Ending(sv.Last4), previousNote(sv), sv.Backend)
		}
		ok, err := f.yes("Have you deleted the key in the vendor's UI, and should patchbay remove its copy now?")
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(out, "Nothing was changed.")
			return nil
		}
	}
	res, err := svc.Disconnect(ctx, opts.Integration)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Disconnected %s.\n", plan.Integration.Name)
	printResetResult(out, res)
	return nil
}

// completeResetRefs offers integrations and INTEGRATION/STEP references.
func completeResetRefs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	refs, dir := completeStepRefs(cmd, args, toComplete)
	return append(steps.IntegrationIDs(), refs...), dir
}
