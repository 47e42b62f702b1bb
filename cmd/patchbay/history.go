package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/spf13/cobra"
)

// HistoryOptions are what `patchbay history` needs.
type HistoryOptions struct {
	F           *Factory
	Integration string // "" for every integration
	JSON        bool
	Limit       int
}

func newHistoryCmd(f *Factory) *cobra.Command {
	opts := &HistoryOptions{F: f}
	cmd := &cobra.Command{
		Use:   "history [INTEGRATION]",
		Short: "The audit log: step runs, verifications, rotations, revocations, resets, disconnections",
		Long: `history prints what patchbay did for this profile, newest first: each step
run, live verification, rotation and revocation, reset, removal of a secret,
disconnection and recovery from an interrupted write.

It never shows a secret: at most its last 4 characters. --json prints one
object for scripts; --limit 0 prints the whole log.`,
		Example: `  patchbay history
  patchbay history certn-lever --limit 10
  patchbay history --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if _, ok := steps.Lookup(args[0]); !ok {
					return usageError("unknown integration %q: choose one of %s", args[0], strings.Join(steps.IntegrationIDs(), ", "))
				}
				opts.Integration = args[0]
			}
			if opts.Limit < 0 {
				return usageError("--limit %d: give 0 (everything) or a positive number", opts.Limit)
			}
			return historyRun(cmd.Context(), opts)
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return steps.IntegrationIDs(), cobra.ShellCompDirectiveNoFileComp
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object")
	cmd.Flags().IntVar(&opts.Limit, "limit", 50, "show at most `N` entries, newest first (0: all)")
	return cmd
}

func historyRun(ctx context.Context, opts *HistoryOptions) error {
	// The log is in SQLite: reading it never waits on a keyring.
	svc, err := opts.F.ReadService(ctx)
	if err != nil {
		return err
	}
	report, err := svc.History(ctx, opts.Integration, opts.Limit)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.F.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	printHistory(opts.F.IO.Out, report)
	return nil
}

func printHistory(w io.Writer, r app.HistoryReport) {
	w = termsafe.NewWriter(w) // vendor names and details are shown, never obeyed
	if len(r.Events) == 0 {
		where := "profile " + r.Profile
		if r.Integration != "" {
			where = r.Integration + " in " + where
		}
		fmt.Fprintf(w, "Nothing recorded yet for %s.\n", where)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tINTEGRATION\tSTEP\tKIND\tSUMMARY")
	for _, e := range r.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"),
			dash(e.Integration), dash(e.Step), e.Kind, oneLine(e.Summary))
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table row on one line whatever a summary holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
