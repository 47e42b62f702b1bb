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
	// AllProfiles starts on the fleet page: every profile at a glance.
	AllProfiles bool
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

--all-profiles starts on every profile of the database at once: each
integration's state, what needs attention, the soonest expiry and when the
checks last ran; the live checks of every profile run in the background
(bounded per API key and overall), and enter opens one profile's dashboard.

For scripts and monitoring, use patchbay status --live --json instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("interval") {
				if _, err := app.ParseRefreshInterval(opts.Interval.String()); err != nil {
					return usageError("--interval: %v", err)
				}
			}
			if opts.AllProfiles && cmd.Flags().Changed("profile") {
				return usageError("--all-profiles shows every profile: leave out --profile")
			}
			return dashboardRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.AllProfiles, "all-profiles", false, "start on every profile of the database at once")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 0, "time between refreshes of the live checks, e.g. 30s (default 60s)")
	return cmd
}

func dashboardRun(ctx context.Context, opts *DashboardOptions) error {
	f := opts.F
	if !opts.AllProfiles {
		if err := f.requireProfile(ctx); err != nil {
			return err
		}
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
	mode := tui.ModeDashboard
	if opts.AllProfiles {
		if err := f.fleetDashboard(ctx, interval); err != nil {
			return err
		}
		dash, ok := f.takeSwitch()
		if !ok {
			return nil
		}
		// The chosen profile's dashboard, with its home behind it (esc),
		// from where p shows every profile again.
		mode = tui.ModeHomeDashboard
		if !dash {
			mode = tui.ModeHome
		}
	}
	return f.runSwitching(ctx, mode, interval)
}

// fleetDashboard runs the fleet page: every profile of the database, whose
// live checks run in the background every interval (all profiles at once,
// bounded per key and overall) while the page re-reads what they stored.
func (f *Factory) fleetDashboard(ctx context.Context, interval time.Duration) error {
	svcs, err := f.ProfileServices(ctx, true) // asks any vault passphrase now, before the full screen
	if err != nil {
		return err
	}
	if len(svcs) == 0 {
		fmt.Fprintln(f.IO.Out, "No profiles yet: patchbay --profile NAME setup INTEGRATION creates one.")
		return nil
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for {
			rctx, cancel := context.WithTimeout(ctx, max(interval, time.Minute))
			app.RefreshProfiles(rctx, svcs, app.RefreshOptions{}, 0)
			cancel()
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
		}
	}()
	// The page reads the summaries through any profile's services.
	return f.runTUI(ctx, svcs[0], tui.Options{Mode: tui.ModeFleet, Profile: svcs[0].Profile})
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
