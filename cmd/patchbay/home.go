package main

import (
	"context"
	"fmt"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/tui"
)

// homeRun opens the home screen.
func homeRun(ctx context.Context, f *Factory) error {
	if !f.IO.CanPrompt() {
		return fmt.Errorf("%w: the home screen needs a terminal; for scripts use patchbay status --json, or patchbay run INTEGRATION/STEP --set KEY=VALUE", errNeedsTerminal)
	}
	svc, err := f.Service(ctx)
	if err != nil {
		return err
	}
	return f.runTUI(ctx, svc, tui.Options{Mode: tui.ModeHome})
}

// runTUI runs the full-screen TUI, or the line-by-line prompts with --accessible.
func (f *Factory) runTUI(ctx context.Context, svc *app.Service, opts tui.Options) error {
	opts.Backend = svc
	opts.Profile = f.Globals.Profile
	opts.NoColor = f.Globals.NoColor
	opts.In = f.IO.In
	opts.Out = f.IO.Out
	if f.Globals.Accessible {
		return tui.RunAccessible(ctx, opts, f.IO.In, f.IO.Out)
	}
	if opts.Mode == tui.ModeHome && opts.Live == nil {
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
