package main

import (
	"context"
	"fmt"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/tui"
	"github.com/spf13/cobra"
)

// DashboardOptions are what `patchbay dashboard` needs.
type DashboardOptions struct {
	F *Factory
	// Interval between timed refreshes; 0 takes PATCHBAY_REFRESH_INTERVAL,
	// else app.DefaultRefreshInterval.
	Interval time.Duration
}

func newDashboardCmd(f *Factory) *cobra.Command {
	opts := &DashboardOptions{F: f}
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "The live dashboard alone, full screen",
		Long: `dashboard shows every integration of the profile with its progress, secrets
(age, expiry) and live checks, the API calls patchbay makes and the recent
events. The live checks run in the background at once, then every --interval
(or PATCHBAY_REFRESH_INTERVAL), and whenever you press r.

For scripts and monitoring, use patchbay status --live --json instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("interval") {
				if _, err := app.ParseRefreshInterval(opts.Interval.String()); err != nil {
					return usageError("--interval: %v", err)
				}
			}
			return dashboardRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Interval, "interval", 0, "time between refreshes of the live checks, e.g. 30s (default 60s)")
	return cmd
}

func dashboardRun(ctx context.Context, opts *DashboardOptions) error {
	f := opts.F
	if err := f.requireProfile(ctx); err != nil {
		return err
	}
	if f.Globals.Accessible {
		return usageError("the dashboard is a full-screen view; with --accessible, use patchbay status --live, which prints the same checks as plain text")
	}
	if !f.IO.CanPrompt() {
		return fmt.Errorf("%w: the dashboard needs a terminal; for scripts use patchbay status --live --json", errNeedsTerminal)
	}
	interval, err := f.refreshInterval(opts.Interval)
	if err != nil {
		return err
	}
	svc, err := f.Service(ctx)
	if err != nil {
		return err
	}
	f.noPrompt = true // the full-screen view owns the terminal now
	return tui.Run(ctx, tui.Options{
		Mode:    tui.ModeDashboard,
		Backend: svc, Profile: f.Globals.Profile, NoColor: f.Globals.NoColor,
		In: f.IO.In, Out: f.IO.Out, Live: f.refresher(svc, interval),
	})
}

// refreshInterval is the flag's value, else PATCHBAY_REFRESH_INTERVAL's,
// else the default.
func (f *Factory) refreshInterval(flag time.Duration) (time.Duration, error) {
	if flag > 0 {
		return flag, nil
	}
	if v := f.getenv(app.EnvRefreshInterval); v != "" {
		d, err := app.ParseRefreshInterval(v)
		if err != nil {
			return 0, usageError("%s: %v", app.EnvRefreshInterval, err)
		}
		return d, nil
	}
	return app.DefaultRefreshInterval, nil
}

// refresher runs the dashboard's live checks, and feeds its call log with
// every vendor call the service makes (the steps' checks included).
func (f *Factory) refresher(svc *app.Service, interval time.Duration) *app.Refresher {
	r := app.NewRefresher(svc, app.RefreshOptions{Interval: interval})
	if v, ok := svc.Vendors.(*app.Vendors); ok {
		v.OnCall = r.RecordCall
	}
	return r
}
