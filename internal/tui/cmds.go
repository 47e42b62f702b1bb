package tui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// Messages. Every backend answer arrives as one of these; step-scoped ones
// carry the step screen's sequence number so a late answer meant for a screen
// the admin already left is dropped.

type overviewMsg struct {
	gen int
	ov  app.Overview
	err error
}

type stepLoadedMsg struct {
	seq  int
	run  int // which load of this screen; a retry drops the earlier one's answers
	load app.StepLoad
	err  error
}

type checkMsg struct {
	seq int
	run int // which check run of this screen; a cancelled run's answer is dropped
	out app.Outcome
	err error
}

type completeMsg struct {
	seq int
	out app.Outcome
	err error
}

// copiedMsg reports a copy to the clipboard. It never carries the value.
type copiedMsg struct {
	seq       int
	label     string
	secret    bool
	clears    bool  // a secret's clear is scheduled (clipboardClearAfter)
	err       error // the value could not be read (secret missing, keyring locked)
	nativeErr error // the native clipboard failed; OSC 52 was still sent
}

type linkOpenedMsg struct {
	seq int
	url string
	err error
}

type refreshTickMsg struct{ gen int }

// Messages from the step screen to the root.

// closeStepMsg: leave the step screen for home.
type closeStepMsg struct{}

// stepFinishedMsg: the admin acknowledged a completed step and wants to go on.
type stepFinishedMsg struct {
	integration, step string
	setup             bool
}

// refreshMsg asks the root to reload the overview now.
type refreshMsg struct{}

func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// Commands. Each bounds its backend call with a timeout derived from the run's
// context.

func loadOverview(c *common, gen int) tea.Cmd {
	ctx, b, d := c.ctx, c.backend, c.loadTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		ov, err := b.Overview(ctx)
		return overviewMsg{gen: gen, ov: ov, err: err}
	}
}

// loadStep reads what a run of the step starts from (app.LoadStep).
func loadStep(c *common, seq, run int, integration string, st steps.Step) tea.Cmd {
	ctx, b, d := c.ctx, c.backend, c.loadTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		l, err := app.LoadStep(ctx, b, integration, st)
		return stepLoadedMsg{seq: seq, run: run, load: l, err: err}
	}
}

// runCheck runs the live check under ctx, which the step screen cancels when
// the admin presses esc.
func runCheck(ctx context.Context, b Backend, seq, run int, sub app.Submission) tea.Cmd {
	return func() tea.Msg {
		out, err := b.Check(ctx, sub)
		return checkMsg{seq: seq, run: run, out: out, err: err}
	}
}

// runComplete makes the one write of a step. It is deliberately not tied to
// esc: once started it runs to its end (or its timeout), and the root waits
// for it before quitting.
func runComplete(c *common, seq int, sub app.Submission, out app.Outcome) tea.Cmd {
	ctx, b, d := c.ctx, c.backend, c.completeTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
		defer cancel()
		err := b.Complete(ctx, sub, out)
		return completeMsg{seq: seq, out: out, err: err}
	}
}

// copyToClipboard fetches the value (a literal, or a secret through the
// backend), hands it to the native clipboard when there is one, and returns
// both the OSC 52 command (which reaches the admin's own terminal, even over
// SSH) and a report that does not hold the value.
func copyToClipboard(c *common, seq int, integration string, item steps.CopyItem) tea.Cmd {
	ctx, b, d, native := c.ctx, c.backend, c.loadTimeout, c.clipboard
	return func() tea.Msg {
		value := item.Value
		secret := item.Secret != ""
		if secret {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			v, err := b.Secret(ctx, integration, item.Secret)
			if err != nil {
				return copiedMsg{seq: seq, label: item.Label, secret: true, err: err}
			}
			value = v
		}
		var nativeErr error
		if native != nil {
			nativeErr = native(value)
		}
		report := copiedMsg{seq: seq, label: item.Label, secret: secret, nativeErr: nativeErr}
		batch := tea.BatchMsg{tea.SetClipboard(value), emit(report)}
		if secret && nativeErr == nil {
			if d := c.clip.copied(value); d != nil {
				report.clears = true
				batch = tea.BatchMsg{tea.SetClipboard(value), emit(report), clearClipboardLater(c, seq, item.Label, d)}
			}
		}
		return batch
	}
}

func openLink(c *common, seq int, url string) tea.Cmd {
	open := c.openURL
	return func() tea.Msg {
		if open == nil {
			return linkOpenedMsg{seq: seq, url: url, err: errors.New("no browser available")}
		}
		return linkOpenedMsg{seq: seq, url: url, err: open(url)}
	}
}

func refreshTick(c *common, gen int) tea.Cmd {
	if !c.animate || c.refreshEvery <= 0 {
		return nil
	}
	return tea.Tick(c.refreshEvery, func(time.Time) tea.Msg { return refreshTickMsg{gen: gen} })
}

// overviewLoads runs overview loads one at a time: a load asked for while
// one is in flight follows it, and only the newest load's answer counts.
type overviewLoads struct {
	gen      int // generation of the newest load
	inFlight bool
	again    bool // a load was asked for while one was in flight
}

// start begins a load, or queues one behind the load in flight.
func (l *overviewLoads) start(c *common) tea.Cmd {
	if l.inFlight {
		l.again = true
		return nil
	}
	l.inFlight = true
	l.gen++
	return loadOverview(c, l.gen)
}

// finish takes the answer of load gen: stale is true for an older load's
// answer, to be dropped; next starts the load queued behind it, if any.
func (l *overviewLoads) finish(c *common, gen int) (stale bool, next tea.Cmd) {
	if gen != l.gen {
		return true, nil
	}
	l.inFlight = false
	if l.again {
		l.again = false
		next = l.start(c)
	}
	return false, next
}
