package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/huh/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// Verify now, in accessible mode. The full-screen view's r runs the
// refresher's live checks at once; a check that passes raises the proof of
// the step it belongs to from unverified to verified (app.Refresher, which
// writes it with store.VerifyProof). Here the same refresher runs once,
// and the prompts wait for it and say what it found.

// liveOnce is a refresher that can run every live check once and wait for
// them (app.Refresher can: RefreshAll, as `status --live` uses it).
type liveOnce interface {
	RefreshAll(ctx context.Context) (app.Summary, error)
}

// verifyTimeout bounds one "verify now" as a whole, as `status --live`'s
// default bound does; each check has its own, shorter bound.
const verifyTimeout = 30 * time.Second

// canVerify reports whether live checks can run here.
func (a *accessible) canVerify() bool { return a.live != nil }

// verifyHint is what the overview adds to an unverified step's line.
func (a *accessible) verifyHint() string {
	if !a.canVerify() {
		return ""
	}
	return ` Choose "Verify now" in its menu once its vendor answers.`
}

// verifyOption is the integration menu's entry, when a step is unverified
// and the checks can run.
func (a *accessible) verifyOption(iv app.IntegrationView) (huh.Option[string], bool) {
	un := unverifiedSteps(iv)
	if len(un) == 0 || !a.canVerify() {
		return huh.Option[string]{}, false
	}
	what := un[0].Step.Title
	if len(un) > 1 {
		what = fmt.Sprintf("%d unverified steps", len(un))
	}
	return huh.NewOption("Verify now: run the live checks to verify "+what, "verify"), true
}

// offerVerify asks, after a step was completed unverified, whether to
// verify it now, as the full-screen step screen offers (r).
func (a *accessible) offerVerify(integration string) error {
	if !a.canVerify() {
		a.println("Verify it later with patchbay status --live.")
		return nil
	}
	yes := false
	if err := a.ask(huh.NewConfirm().Title("Verify it now? This runs the live checks with the vendors.").Value(&yes), false); err != nil {
		return err
	}
	if !yes {
		a.println(`Verify it later: choose "Verify now" in the integration's menu, or run patchbay status --live.`)
		return nil
	}
	return a.verifyNow(integration)
}

// verifyNow runs the live checks once, says what they found for the
// integration, and which of its unverified steps turned verified.
func (a *accessible) verifyNow(integration string) error {
	before, err := a.integration(integration)
	if err != nil {
		return err
	}
	unverified := unverifiedSteps(before)
	a.println("checking with the vendors…")
	ctx, cancel := context.WithTimeout(a.c.ctx, verifyTimeout)
	sum, err := a.live.RefreshAll(ctx)
	cancel()
	if cerr := a.c.ctx.Err(); cerr != nil {
		return cerr
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		a.printf("Some checks did not answer within %.0f seconds; they keep their last result.\n", verifyTimeout.Seconds())
	case err != nil:
		a.println("Couldn't run the live checks: " + plainErr(err) + ". Try again, or run patchbay status --live.")
		return nil
	}
	said := 0
	for _, r := range sum.Results {
		if r.Integration != integration {
			continue
		}
		line := "Check " + checkLabel(r.Name) + ": " + resultWords(a.c.styles, r.Result) + "."
		if r.Detail != "" {
			line += " " + r.Detail
		}
		a.println(line)
		said++
	}
	for _, sk := range sum.Skipped {
		if sk.Integration != integration {
			continue
		}
		a.println("Check " + checkLabel(sk.Name) + ": skipped, " + sk.Reason + ".")
		said++
	}
	if said == 0 && err == nil {
		a.println("No live check applies to this integration yet.")
	}
	after, err := a.integration(integration)
	if err != nil {
		return err
	}
	for _, was := range unverified {
		now := was
		for _, sv := range after.Steps {
			if sv.Step.ID == was.Step.ID {
				now = sv
			}
		}
		switch {
		case now.Status == steps.StatusDone && now.Proof != steps.ProofUnverified:
			a.println(was.Step.Title + " is now " + string(now.Proof) + ".")
		case now.Status == steps.StatusDone:
			a.println(was.Step.Title + " is still unverified: the vendor has not confirmed it (see the checks above). Try again later, or re-run the step.")
		default:
			a.println(was.Step.Title + " is " + statusWords(now) + " now.")
		}
	}
	return nil
}
