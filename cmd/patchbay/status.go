package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/spf13/cobra"
)

// StatusOptions are what `patchbay status` needs.
type StatusOptions struct {
	F    *Factory
	JSON bool
	// Live runs every live check against the vendors first, within
	// LiveTimeout; their results are stored like the dashboard's.
	Live        bool
	LiveTimeout time.Duration
	Now         func() time.Time
}

// defaultLiveTimeout bounds `status --live` as a whole; each check has its
// own, shorter bound (app.DefaultCheckTimeout).
const defaultLiveTimeout = 30 * time.Second

func newStatusCmd(f *Factory) *cobra.Command {
	opts := &StatusOptions{F: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Progress and health of every integration; exit 1 while anything needs attention, 3 when unknown",
		Long: `status prints each integration's progress, its secrets (backend, last 4
characters, age, expiry) and the last live check results with their age, from
what patchbay has recorded.

--live first runs every live check against the vendors (keys, permissions,
the trigger stage, Vetty packages, option rules, tag counts), concurrently and
within --timeout, and records the results. A vendor that cannot be reached is
reported, and makes the verdict unknown rather than healthy.

It exits 0 when nothing needs attention, 1 when something does, and 3
("unknown") when nothing does but some checks could not run (a vendor
unreachable or rate limiting, a check that could not start), so cron or a
monitoring system can call it; 1 wins over 3. --json prints one object for scripts.`,
		Example: `  patchbay status
  patchbay status --live --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("timeout") && !opts.Live {
				return usageError("--timeout only applies with --live")
			}
			if opts.LiveTimeout <= 0 {
				return usageError("--timeout %s: give a positive duration such as 30s", opts.LiveTimeout)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&opts.Live, "live", false, "run the live vendor checks first")
	cmd.Flags().DurationVar(&opts.LiveTimeout, "timeout", defaultLiveTimeout, "bound on the live checks as a whole (with --live)")
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	var svc *app.Service
	var err error
	if opts.Live {
		// The checks read the secrets, so this opens the secrets store.
		svc, err = opts.F.Service(ctx)
	} else {
		svc, err = opts.F.ReadService(ctx)
	}
	if err != nil {
		return err
	}
	if opts.Now != nil {
		svc.Now = opts.Now
	}
	notAnswered := 0
	if opts.Live {
		if notAnswered, err = statusLive(ctx, opts, svc); err != nil {
			return err
		}
	}
	report, err := svc.Status(ctx)
	if err != nil {
		return err
	}
	report.NotAnswered = notAnswered
	if report.EndpointOverrides, err = opts.F.Overrides(); err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.F.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		printStatus(opts.F.IO.Out, report)
	}
	switch {
	case !report.Healthy():
		return &silentExit{code: exitError}
	case report.Unchecked() > 0:
		return &silentExit{code: exitUnknown}
	}
	return nil
}

// statusLive runs every live check once and stores the results. Checks
// that did not answer within the bound keep their last result, which the
// report then shows with its age; it returns how many those were.
func statusLive(ctx context.Context, opts *StatusOptions, svc *app.Service) (notAnswered int, err error) {
	bctx, cancel := context.WithTimeout(ctx, opts.LiveTimeout)
	defer cancel()
	sum, err := app.NewRefresher(svc, app.RefreshOptions{}).RefreshAll(bctx)
	switch {
	case ctx.Err() != nil:
		return 0, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(opts.F.IO.ErrOut, "patchbay: %d live check(s) did not answer within %s; they show their last result\n", sum.Dropped, opts.LiveTimeout)
		return sum.Dropped, nil
	case err != nil:
		return 0, err
	}
	return 0, nil
}

func printStatus(w io.Writer, r app.StatusReport) {
	w = termsafe.NewWriter(w) // vendor names and details are shown, never obeyed
	fmt.Fprintf(w, "profile %s · secrets in %s\n", r.Profile, orNone(r.SecretsBackend))
	for _, in := range r.Integrations {
		fmt.Fprintf(w, "\n%s (%s): %s, %d/%d steps", in.Name, in.ID, strings.ReplaceAll(string(in.State), "_", " "), in.StepsDone, in.StepsTotal)
		if in.NextStep != nil {
			fmt.Fprintf(w, ", next %s", *in.NextStep)
		}
		fmt.Fprintln(w)
		for _, st := range in.Steps {
			proof := ""
			if st.Proof != nil {
				proof = string(*st.Proof)
			}
			fmt.Fprintf(w, "  %-2s %-22s %-11s %s\n", stepMark(st.Status), st.ID, strings.ReplaceAll(string(st.Status), "_", " "), proof)
		}
		for _, sec := range in.Secrets {
			line := fmt.Sprintf("  secret %s in %s", sec.Key, sec.Backend)
			if sec.Last4 != "" {
				line += " ending " + sec.Last4
			}
			line += ", created " + ago(r.GeneratedAt, sec.CreatedAt)
			if sec.ExpiresAt != nil {
				line += ", " + expiresIn(r.GeneratedAt, *sec.ExpiresAt)
			}
			line += ", live: " + sec.Live
			if sec.PreviousKept {
				line += ", previous copy kept until you confirm it was revoked"
			}
			fmt.Fprintln(w, line)
		}
		for _, c := range in.Checks {
			fmt.Fprintf(w, "  check %s: %s (%s)", c.Name, c.Result, ago(r.GeneratedAt, c.CheckedAt))
			if c.Detail != "" {
				fmt.Fprintf(w, " — %s", c.Detail)
			}
			fmt.Fprintln(w)
		}
		for _, a := range in.Attention {
			fmt.Fprintf(w, "  ! %s\n", a)
		}
		for _, wn := range in.Warnings {
			fmt.Fprintf(w, "  ~ %s\n", wn)
		}
	}
	unchecked := ""
	if n := r.Unchecked(); n > 0 {
		unchecked = fmt.Sprintf("%d check(s) could not run (%s), so their result is unknown", n, r.UncheckedWhy())
	}
	switch {
	case !r.Healthy() && unchecked != "":
		fmt.Fprintf(w, "\nSomething needs attention (marked !); besides, %s.\n", unchecked)
	case !r.Healthy():
		fmt.Fprintln(w, "\nSomething needs attention (marked !).")
	case unchecked != "":
		fmt.Fprintf(w, "\nNothing found that needs attention, but %s.\n", unchecked)
	default:
		fmt.Fprintln(w, "\nNothing needs attention.")
	}
}

func stepMark(s steps.Status) string {
	switch s {
	case steps.StatusDone:
		return "✓"
	case steps.StatusNeedsRerun:
		return "!"
	}
	return "·"
}

func orNone(s string) string {
	if s == "" {
		return "(not chosen yet)"
	}
	return s
}

// ago words how long ago t was, coarsely.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func expiresIn(now, t time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "EXPIRED on " + t.Format("2006-01-02")
	}
	return fmt.Sprintf("expires in %d days (%s)", int(d.Hours()/24), t.Format("2006-01-02"))
}
