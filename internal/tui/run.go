package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/cli/browser"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clipboard"
)

// Mode is what a run of the TUI is for.
type Mode int

const (
	// ModeHome opens the home screen (`patchbay`).
	ModeHome Mode = iota
	// ModeSetup walks one integration from its first unfinished step (or
	// StartStep) to its last (`patchbay setup INTEGRATION`).
	ModeSetup
	// ModeRunStep re-runs one step, then shows home (`patchbay run
	// INTEGRATION/STEP`).
	ModeRunStep
	// ModeDashboard shows the dashboard page alone (`patchbay dashboard`).
	ModeDashboard
	// ModeHomeDashboard opens the home screen on its dashboard page, as a
	// switch of profile from the fleet page does: esc goes to the home
	// screen, and p back to every profile.
	ModeHomeDashboard
	// ModeFleet shows every profile of the database (`patchbay dashboard
	// --all-profiles`); enter opens one's dashboard.
	ModeFleet
)

// Options configure a run of the TUI. Run and RunAccessible copy what they
// need; the caller keeps ownership of In and Out.
type Options struct {
	Backend Backend
	Profile string // shown in the header until the overview names it

	Mode             Mode
	StartIntegration string // ModeSetup, ModeRunStep
	StartStep        string // ModeRunStep; optional for ModeSetup

	In  io.Reader // nil: os.Stdin
	Out io.Writer // nil: os.Stdout

	// NoColor draws without colour; the caller decides it (NO_COLOR set
	// and non-empty, per no-color.org).
	NoColor bool

	// Width and Height fix the terminal size (tests, or no terminal to ask).
	Width, Height int

	// CheckTimeout bounds one live check (default 20s).
	CheckTimeout time.Duration

	// Live is the background refresher of the dashboard; nil shows the
	// stored results only. Accessible mode never starts it: when it can
	// run the checks once and wait (app.Refresher's RefreshAll), it offers
	// "Verify now" for a step completed unverified.
	Live LiveChecks

	// SwitchProfile, when set, lets the admin switch to another profile
	// (the home screen's profiles pane, the fleet page): it is told the
	// profile, and whether its dashboard page was asked for, then the run
	// ends so the caller can start it again there.
	SwitchProfile func(profile string, dashboard bool)
}

// Errors Run and RunAccessible return.
var (
	// ErrNoBackend: Options.Backend is nil.
	ErrNoBackend = errors.New("tui: no backend")
	// ErrInputEnded: the answers ran out before the step was finished
	// (accessible mode reading from a pipe). Nothing was saved for that step.
	ErrInputEnded = errors.New("input ended before the step was finished; nothing was saved for it")
)

const (
	defaultCompleteTimeout = 60 * time.Second
	defaultLoadTimeout     = 15 * time.Second
	defaultRefreshEvery    = 30 * time.Second
)

// newCommon builds the shared state of one run from the options.
func newCommon(ctx context.Context, opts Options, plain bool) *common {
	c := &common{
		ctx:             ctx,
		width:           opts.Width,
		height:          opts.Height,
		keys:            DefaultKeyMap(),
		backend:         opts.Backend,
		profile:         opts.Profile,
		switchProfile:   opts.SwitchProfile,
		plain:           plain,
		animate:         true,
		now:             time.Now,
		openURL:         browser.OpenURL,
		checkTimeout:    opts.CheckTimeout,
		completeTimeout: defaultCompleteTimeout,
		loadTimeout:     defaultLoadTimeout,
		refreshEvery:    defaultRefreshEvery,
	}
	if c.checkTimeout <= 0 {
		c.checkTimeout = app.StepCheckTimeout
	}
	if plain {
		c.styles = PlainStyles()
	} else {
		c.styles = NewStyles(true)
	}
	c.clipboardWait = wait
	if cb := clipboard.Find(); cb != nil {
		c.clipboard = cb.Write
		c.clip = newClipGuard(cb.Read, cb.Write)
	}
	return c
}

// Run runs the full-screen TUI until the admin quits or ctx is cancelled.
//
// Quitting is always safe: the only write is Backend.Complete, which the
// backend makes atomic. A quit asked for while Complete is in flight waits
// for it to finish (a second ctrl+c leaves at once); a quit during a live
// check cancels the check, which writes nothing.
func Run(ctx context.Context, opts Options) error {
	if opts.Backend == nil {
		return ErrNoBackend
	}
	plain := opts.NoColor
	c := newCommon(ctx, opts, plain)
	// The browser helper writes to the terminal by default, which would
	// scribble over the alternate screen.
	browser.Stdout, browser.Stderr = io.Discard, io.Discard

	// A secret still on the clipboard when the program ends is cleared
	// now: its timer ends with the program.
	defer c.clip.flush()
	root := newRootModel(c, opts.Mode, opts.StartIntegration, opts.StartStep)
	root.attachLive(opts.Live)
	return runProgram(ctx, root, opts, plain)
}

// runProgram runs one full-screen program with the options' streams, size
// and colour profile.
func runProgram(ctx context.Context, model tea.Model, opts Options, plain bool) error {
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.In != nil {
		popts = append(popts, tea.WithInput(opts.In))
	}
	if opts.Out != nil {
		popts = append(popts, tea.WithOutput(opts.Out))
	}
	if opts.Width > 0 && opts.Height > 0 {
		popts = append(popts, tea.WithWindowSize(opts.Width, opts.Height))
	}
	if plain {
		popts = append(popts, tea.WithColorProfile(colorprofile.ASCII))
	}
	_, err := tea.NewProgram(model, popts...).Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return ctx.Err()
	}
	return fmt.Errorf("tui: %w", err)
}
