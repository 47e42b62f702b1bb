package main

import (
	"context"
	"fmt"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/tui"
)

// homeRun opens the home screen.
func homeRun(ctx context.Context, f *Factory) error {
	if !f.IO.CanPrompt() {
		return fmt.Errorf("%w: the home screen needs a terminal; for scripts use patchbay status --json, or patchbay run INTEGRATION/STEP --set KEY=VALUE", errNeedsTerminal)
	}
	return f.runSwitching(ctx, tui.ModeHome, 0)
}

// runSwitching runs the TUI in mode on the factory's profile, then again on
// each profile the admin switches to from it (its home, or its dashboard
// page), until a run ends without a switch. interval is the live checks'
// (0: the configured one).
func (f *Factory) runSwitching(ctx context.Context, mode tui.Mode, interval time.Duration) error {
	for {
		svc, err := f.Service(ctx)
		if err != nil {
			return err
		}
		opts := tui.Options{Mode: mode}
		if interval > 0 {
			opts.Live = f.refresher(svc, interval)
		}
		if err := f.runTUI(ctx, svc, opts); err != nil {
			return err
		}
		dash, ok := f.takeSwitch()
		if !ok {
			return nil
		}
		mode = tui.ModeHome
		if dash {
			// Its dashboard, with its home screen behind it (esc).
			mode = tui.ModeHomeDashboard
		}
	}
}

// runTUI runs the full-screen TUI, or the line-by-line prompts with --accessible.
func (f *Factory) runTUI(ctx context.Context, svc *app.Service, opts tui.Options) error {
	opts.Backend = svc
	if opts.Profile == "" {
		opts.Profile = f.Globals.Profile
	}
	switch opts.Mode {
	case tui.ModeHome, tui.ModeDashboard, tui.ModeHomeDashboard, tui.ModeFleet:
		// Where a run can end on another profile: the caller starts again there.
		opts.SwitchProfile = func(profile string, dashboard bool) { f.switchTo, f.switchDash = profile, dashboard }
	}
	opts.NoColor = f.Globals.NoColor
	opts.In = f.IO.In
	opts.Out = f.IO.Out
	if f.Globals.Accessible {
		if opts.Live == nil {
			// "Verify now" runs every live check once and waits, as
			// status --live does; nothing runs until it is asked for.
			opts.Live = app.NewRefresher(svc, app.RefreshOptions{})
		}
		return tui.RunAccessible(ctx, opts, f.IO.In, f.IO.Out)
	}
	if (opts.Mode == tui.ModeHome || opts.Mode == tui.ModeDashboard || opts.Mode == tui.ModeHomeDashboard) && opts.Live == nil {
		// The dashboard pane's live checks, stopped with the home screen.
		interval, err := f.refreshInterval(0)
		if err != nil {
			return err
		}
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		opts.Live = f.refresher(svc, interval)
	}
	f.noPrompt = true // the full-screen view owns the terminal now
	defer func() { f.noPrompt = false }()
	return tui.Run(ctx, opts)
}
