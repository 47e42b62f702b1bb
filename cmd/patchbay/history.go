package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
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
object for scripts; --jsonl prints one event object a line. --limit 0 prints
the whole log. Every format is written as the log is read, so a log of any
length prints in constant memory.`,
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
	return writeHistoryText(ctx, opts.F.IO.Out, svc, opts.Integration, opts.Limit)
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

// writeHistoryText writes the log as a table, row by row as it is read, so
// a log of any length is written in constant memory and its first rows
// appear at once. The columns are as wide as the catalog's longest
// integration and step IDs and the longest kind of event, not as the rows
// read: a longer value (from an older version) only pushes its own row.
func writeHistoryText(ctx context.Context, out io.Writer, svc *app.Service, integration string, limit int) error {
	buf := bufio.NewWriter(out)
	// termsafe sees each row whole (it must never be handed half a rune):
	// vendor names and details are shown, never obeyed.
	w := termsafe.NewWriter(buf)
	cols := historyColumns()
	n := 0
	err := svc.EachHistoryEntry(ctx, integration, limit, func(e app.HistoryEntry) error {
		if n == 0 {
			if err := cols.row(w, "TIME (UTC)", "INTEGRATION", "STEP", "KIND", "SUMMARY"); err != nil {
				return err
			}
		}
		n++
		// A closed pipe stops the reading here.
		return cols.row(w, e.At.UTC().Format("2006-01-02 15:04:05"), dash(e.Integration), dash(e.Step), e.Kind, oneLine(e.Summary))
	})
	if err != nil {
		return err
	}
	if n == 0 {
		where := "profile " + svc.Profile
		if integration != "" {
			where = integration + " in " + where
		}
		fmt.Fprintf(w, "Nothing recorded yet for %s.\n", where)
	}
	return buf.Flush()
}

// columns are the widths of the history table's first four columns.
type columns [4]int

func historyColumns() columns {
	c := columns{len("2006-01-02 15:04:05"), len("INTEGRATION"), len("STEP"), len("KIND")}
	for _, in := range steps.Catalog() {
		c[1] = max(c[1], len(in.ID))
		for _, id := range in.StepIDs() {
			c[2] = max(c[2], len(id))
		}
	}
	for _, k := range store.EventKinds() {
		c[3] = max(c[3], len(k))
	}
	return c
}

// row writes one row: each of the first four cells padded to its column
// and two spaces, then the last as it is.
func (c columns) row(w io.Writer, cells ...string) error {
	var b strings.Builder
	for i, cell := range cells[:4] {
		fmt.Fprintf(&b, "%-*s  ", c[i], cell)
	}
	b.WriteString(cells[4])
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
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
