package main

import (
	"bufio"
	"bytes"
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
	JSONL       bool
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
object for scripts (its "events" array written as the log is read, so
--limit 0 prints a log of any length in constant memory); --jsonl prints one
event object a line. --limit 0 prints the whole log.`,
		Example: `  patchbay history
  patchbay history certn-lever --limit 10
  patchbay history --json
  patchbay history --jsonl --limit 0 > audit.jsonl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if _, ok := steps.Lookup(args[0]); !ok {
					return usageError("unknown integration %q: choose one of %s", args[0], strings.Join(steps.IntegrationIDs(), ", "))
				}
				opts.Integration = args[0]
			}
			if opts.JSON && opts.JSONL {
				return usageError("--json and --jsonl: choose one")
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
	cmd.Flags().BoolVar(&opts.JSONL, "jsonl", false, "print one JSON object per event, a line each")
	cmd.Flags().IntVar(&opts.Limit, "limit", 50, "show at most `N` entries, newest first (0: all)")
	return cmd
}

func historyRun(ctx context.Context, opts *HistoryOptions) error {
	// The log is in SQLite: reading it never waits on a keyring.
	svc, err := opts.F.ReadService(ctx)
	if err != nil {
		return err
	}
	switch {
	case opts.JSON:
		return writeHistoryJSON(ctx, opts.F.IO.Out, svc, opts.Integration, opts.Limit)
	case opts.JSONL:
		return writeHistoryJSONL(ctx, opts.F.IO.Out, svc, opts.Integration, opts.Limit)
	}
	report, err := svc.History(ctx, opts.Integration, opts.Limit)
	if err != nil {
		return err
	}
	printHistory(opts.F.IO.Out, report)
	return nil
}

// writeHistoryJSON writes app.HistoryReport as json.Encoder with a two-space
// indent would, but event by event as they are read: the log is never held
// in memory, whatever its length.
func writeHistoryJSON(ctx context.Context, out io.Writer, svc *app.Service, integration string, limit int) error {
	w := bufio.NewWriter(out)
	head, err := json.Marshal(struct {
		Profile     string `json:"profile"`
		Integration string `json:"integration"`
	}{svc.Profile, integration})
	if err != nil {
		return err
	}
	// head is {"profile":…,"integration":…}; reopen it to append "events".
	var indented bytes.Buffer
	if err := json.Indent(&indented, head, "", "  "); err != nil {
		return err
	}
	w.Write(bytes.TrimSuffix(indented.Bytes(), []byte("\n}")))
	w.WriteString(",\n  \"events\": [")
	n := 0
	err = svc.EachHistoryEntry(ctx, integration, limit, func(e app.HistoryEntry) error {
		b, err := json.MarshalIndent(e, "    ", "  ")
		if err != nil {
			return err
		}
		sep := "\n    "
		if n > 0 {
			sep = ",\n    "
		}
		n++
		w.WriteString(sep)
		_, err = w.Write(b) // a closed pipe stops the reading here
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		w.WriteString("\n  ")
	}
	w.WriteString("]\n}\n")
	return w.Flush()
}

// writeHistoryJSONL writes one compact app.HistoryEntry a line, as read.
func writeHistoryJSONL(ctx context.Context, out io.Writer, svc *app.Service, integration string, limit int) error {
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	if err := svc.EachHistoryEntry(ctx, integration, limit, func(e app.HistoryEntry) error { return enc.Encode(e) }); err != nil {
		return err
	}
	return w.Flush()
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
