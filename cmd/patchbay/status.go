package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/metrics"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/spf13/cobra"
)

// StatusOptions are what `patchbay status` needs.
type StatusOptions struct {
	F    *Factory
	JSON bool
	// Format is text, json or prometheus (--json is --format json).
	Format string
	// Output, when set, receives the report instead of standard output,
	// replaced atomically (node_exporter's textfile collector reads it).
	Output string
	// AllProfiles reports every profile of the database at once.
	AllProfiles bool
	// Live runs every live check against the vendors first, within
	// LiveTimeout; their results are stored like the dashboard's.
	Live        bool
	LiveTimeout time.Duration
	Now         func() time.Time
}

// Status output formats.
const (
	formatText       = "text"
	formatJSON       = "json"
	formatPrometheus = "prometheus"
)

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

--all-profiles reports every profile (customer) of the database at once;
with --live their checks run concurrently, bounded per API key and overall.

--format json prints one object for scripts (--json is the same; with
--all-profiles: {"generated_at", "profiles": [...]}); --format prometheus
writes the Prometheus text exposition format, and --output FILE replaces FILE
atomically, for node_exporter's textfile collector.

It exits 0 when nothing needs attention, 1 when something does, and 3
("unknown") when nothing does but some checks could not run (a vendor
unreachable or rate limiting, the secrets store locked or unreadable, a
check that could not start), so cron or a
monitoring system can call it; 1 wins over 3. With --all-profiles, the worst
over all profiles.`,
		Example: `  patchbay status
  patchbay status --live --json
  patchbay status --all-profiles --live --format prometheus --output /var/lib/node_exporter/patchbay.prom`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("timeout") && !opts.Live {
				return usageError("--timeout only applies with --live")
			}
			if opts.LiveTimeout <= 0 {
				return usageError("--timeout %s: give a positive duration such as 30s", opts.LiveTimeout)
			}
			switch opts.Format {
			case formatText, formatJSON, formatPrometheus:
			default:
				return usageError("--format %q: choose text, json or prometheus", opts.Format)
			}
			if opts.JSON {
				if cmd.Flags().Changed("format") && opts.Format != formatJSON {
					return usageError("--json and --format %s disagree: give one of them", opts.Format)
				}
				opts.Format = formatJSON
			}
			if cmd.Flags().Changed("output") && opts.Output == "" {
				return usageError("--output needs a file name")
			}
			if opts.AllProfiles && cmd.Flags().Changed("profile") {
				return usageError("--all-profiles reports every profile: leave out --profile")
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object (same as --format json)")
	cmd.Flags().StringVar(&opts.Format, "format", formatText, "output `format`: text, json or prometheus")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the report to `FILE` (a file is replaced atomically; a device or FIFO is written to; - is standard output)")
	cmd.Flags().BoolVar(&opts.AllProfiles, "all-profiles", false, "report every profile of the database")
	cmd.Flags().BoolVar(&opts.Live, "live", false, "run the live vendor checks first")
	cmd.Flags().DurationVar(&opts.LiveTimeout, "timeout", defaultLiveTimeout, "bound on the live checks as a whole (with --live)")
	return cmd
}

// FleetReport is `status --all-profiles --json`: every profile's report.
type FleetReport struct {
	GeneratedAt time.Time          `json:"generated_at"`
	Profiles    []app.StatusReport `json:"profiles"`
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	var reports []app.StatusReport
	var err error
	if opts.AllProfiles {
		reports, err = fleetReports(ctx, opts)
	} else {
		var r app.StatusReport
		r, err = profileReport(ctx, opts)
		reports = []app.StatusReport{r}
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := renderStatus(&buf, opts, reports); err != nil {
		return err
	}
	if opts.Output != "" {
		if err := opts.F.writeOutput(opts.Output, buf.Bytes(), 0o644); err != nil {
			return err
		}
	} else if _, err := opts.F.IO.Out.Write(buf.Bytes()); err != nil {
		return err
	}
	return statusExit(reports...)
}

// statusExit is the verdict over reports: 1 when any needs attention,
// else 3 when any has a check that could not run, else 0.
func statusExit(reports ...app.StatusReport) error {
	unknown := false
	for _, r := range reports {
		if !r.Healthy() {
			return &silentExit{code: exitError}
		}
		unknown = unknown || r.Unchecked() > 0
	}
	if unknown {
		return &silentExit{code: exitUnknown}
	}
	return nil
}

func renderStatus(w io.Writer, opts *StatusOptions, reports []app.StatusReport) error {
	switch opts.Format {
	case formatPrometheus:
		return metrics.Write(w, reports)
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if opts.AllProfiles {
			return enc.Encode(FleetReport{GeneratedAt: now(opts), Profiles: reports})
		}
		return enc.Encode(reports[0])
	}
	if !opts.AllProfiles {
		printStatus(w, reports[0])
		return nil
	}
	if len(reports) == 0 {
		fmt.Fprintln(w, "No profiles yet: patchbay setup INTEGRATION --profile NAME creates one.")
		return nil
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w, "\n────────")
		}
		printStatus(w, r)
	}
	printFleetSummary(w, reports)
	return nil
}

func now(opts *StatusOptions) time.Time {
	if opts.Now != nil {
		return opts.Now().UTC()
	}
	return time.Now().UTC()
}

// profileReport is the --profile's report, after its live checks with --live.
func profileReport(ctx context.Context, opts *StatusOptions) (app.StatusReport, error) {
	var svc *app.Service
	var err error
	if opts.Live {
		// The checks read the secrets, so this opens the secrets store.
		svc, err = opts.F.Service(ctx)
	} else {
		svc, err = opts.F.ReadService(ctx)
	}
	if err != nil {
		return app.StatusReport{}, err
	}
	if opts.Now != nil {
		svc.Now = opts.Now
	}
	notAnswered := 0
	if opts.Live {
		if notAnswered, err = statusLive(ctx, opts, svc); err != nil {
			return app.StatusReport{}, err
		}
	}
	report, err := svc.Status(ctx)
	if err != nil {
		return app.StatusReport{}, err
	}
	report.NotAnswered = notAnswered
	if report.EndpointOverrides, err = opts.F.Overrides(); err != nil {
		return app.StatusReport{}, err
	}
	return report, nil
}

// fleetReports is every profile's report, after all their live checks
// with --live (run at once, per-key and overall bounds holding).
func fleetReports(ctx context.Context, opts *StatusOptions) ([]app.StatusReport, error) {
	svcs, err := opts.F.ProfileServices(ctx, opts.Live)
	if err != nil {
		return nil, err
	}
	notAnswered := make([]int, len(svcs))
	if opts.Live && len(svcs) > 0 {
		bctx, cancel := context.WithTimeout(ctx, opts.LiveTimeout)
		defer cancel()
		sums := app.RefreshProfiles(bctx, svcs, app.RefreshOptions{}, 0)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		total := 0
		for i, sum := range sums {
			switch {
			case errors.Is(sum.Err, context.DeadlineExceeded):
				notAnswered[i] = sum.Dropped
				total += sum.Dropped
			case sum.Err != nil:
				return nil, fmt.Errorf("profile %s: %w", svcs[i].Profile, sum.Err)
			}
		}
		if total > 0 {
			fmt.Fprintf(opts.F.IO.ErrOut, "patchbay: %d live check(s) did not answer within %s; they show their last result\n", total, opts.LiveTimeout)
		}
	}
	overrides, err := opts.F.Overrides()
	if err != nil {
		return nil, err
	}
	reports := make([]app.StatusReport, 0, len(svcs))
	for i, svc := range svcs {
		if opts.Now != nil {
			svc.Now = opts.Now
		}
		r, err := svc.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", svc.Profile, err)
		}
		r.NotAnswered, r.EndpointOverrides = notAnswered[i], overrides
		reports = append(reports, r)
	}
	return reports, nil
}

// printFleetSummary ends --all-profiles text with one line per profile.
func printFleetSummary(w io.Writer, reports []app.StatusReport) {
	w = termsafe.NewWriter(w)
	fmt.Fprintf(w, "\n%d profile(s):\n", len(reports))
	for _, r := range reports {
		verdict := "healthy"
		switch {
		case !r.Healthy():
			verdict = "NEEDS ATTENTION"
		case r.Unchecked() > 0:
			verdict = fmt.Sprintf("unknown (%d check(s) could not run)", r.Unchecked())
		}
		fmt.Fprintf(w, "  %-24s %s\n", r.Profile, verdict)
	}
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
		// Each problem is said once: a check that needs attention is marked
		// ! on its own line, not repeated below; an expiry countdown is the
		// secret's line above (and its warning or attention line below).
		said := map[string]bool{}
		attention := map[string]bool{}
		for _, a := range in.Attention {
			attention[a] = true
		}
		expiry := map[string]bool{}
		for _, sec := range in.Secrets {
			expiry[app.ExpiryCheckName(sec.Key)] = true
		}
		for _, c := range in.Checks {
			if expiry[c.Name] {
				continue
			}
			mark := "  "
			if a := c.Name + ": " + c.Detail; attention[a] {
				mark, said[a] = "! ", true
			}
			fmt.Fprintf(w, "  %scheck %s: %s (%s)", mark, c.Name, c.Result, ago(r.GeneratedAt, c.CheckedAt))
			if c.Detail != "" {
				fmt.Fprintf(w, " — %s", c.Detail)
			}
			fmt.Fprintln(w)
		}
		for _, a := range in.Attention {
			if !said[a] {
				fmt.Fprintf(w, "  ! %s\n", a)
			}
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
