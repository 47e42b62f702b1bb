package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

const typedSecret = "vk_live_7Qm2ZpXs81tRwLc4"

// vettyKey opens vetty-chattr/vetty-key in run mode with a user on record.
func vettyKey(t *testing.T, fb *fakeBackend, stored bool) *harness {
	t.Helper()
	fb.inputs["vetty-chattr/vetty-key"] = appStepInput(
		map[string]string{"user": "ops@acme.test", "ip_allowlist": "203.0.113.0/24", "expiry_months": "12"},
		map[string]bool{"api_key": stored})
	return newHarness(t, fb, 80, 24, withMode(ModeRunStep, "vetty-chattr", "vetty-key"))
}

// answerVettyKey opens the form, keeps the three pre-filled answers and types
// the secret (or leaves it empty), then submits.
func answerVettyKey(h *harness, secret string) {
	h.t.Helper()
	h.press("enter")                   // instructions → form
	h.press("enter", "enter", "enter") // user, ip range, expiry
	h.typeText(secret)
	h.press("enter")
}

func TestStepShowsInstructions(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, false)
	h.mustSee("Vetty background checks in Chattr · step 1 of 4", "Create a Vetty API key for Chattr",
		"Where: Vetty › Settings › API Management › Add New User Key",
		"Link: https://client.vetty.co", "1. Log in to Vetty at client.vetty.co.", "scroll")
	// The caveats are further down.
	for i := 0; i < 30; i++ {
		h.press("j")
	}
	h.mustSee("! When patchbay checks the key", "Press enter to answer: Managing user, IP range")
	checkSize(t, h.view(), 80, 24)
}

func TestStepVerifiedRunGoesHome(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, false)
	answerVettyKey(h, "  "+typedSecret+"  ")

	if len(fb.checks) != 1 || len(fb.completes) != 1 {
		t.Fatalf("checks=%d completes=%d, want 1 and 1", len(fb.checks), len(fb.completes))
	}
	sub := fb.completes[0].sub
	wantValues := map[string]string{"user": "ops@acme.test", "ip_allowlist": "203.0.113.0/24", "expiry_months": "12"}
	for k, v := range wantValues {
		if sub.Values[k] != v {
			t.Errorf("Values[%s] = %q, want %q", k, sub.Values[k], v)
		}
	}
	if _, leaked := sub.Values["api_key"]; leaked {
		t.Error("the secret went into Values")
	}
	if sub.Secrets["api_key"] != typedSecret {
		t.Errorf("Secrets[api_key] = %q, want the trimmed typed key", sub.Secrets["api_key"])
	}
	h.mustSee("done ✓ proof: verified", "the vendor accepted it", "enter: back home")

	h.press("enter")
	h.mustSee("Integrations", "✓ Create a Vetty API key for Chattr done")
	if h.m.screen != screenHome {
		t.Error("run mode did not go back home after the step")
	}
}

func TestStepSecretNeverShown(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.check = func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
		return app.Outcome{OK: false, Proof: steps.ProofVerified, Detail: "Vetty answered 401", Fix: "Check the IP range"}, nil
	}
	h := vettyKey(t, fb, false)
	answerVettyKey(h, typedSecret)
	h.mustSee("The check failed", "Vetty answered 401", "Check the IP range")
	h.press("e") // edit: the form comes back, the secret must not
	h.mustSee("Leave empty to use the one you typed before.")
	h.press("esc", "r")
	for i, v := range h.views {
		if strings.Contains(v, typedSecret) || strings.Contains(v, typedSecret[:8]) {
			t.Fatalf("view %d shows the secret:\n%s", i, v)
		}
	}
	if len(h.views) < 20 {
		t.Fatalf("only %d views recorded", len(h.views))
	}
}

func TestStepKeepCurrentSecret(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, true)
	h.press("enter", "enter", "enter", "enter")
	h.mustSee("Leave empty to keep the current one", "keep current")
	h.press("enter")
	if len(fb.checks) != 1 {
		t.Fatalf("checks = %d, want 1", len(fb.checks))
	}
	if _, ok := fb.checks[0].Secrets["api_key"]; ok {
		t.Error("an empty secret with one stored must keep it (absent from Secrets)")
	}
}

func TestStepSecretRequiredWhenNoneStored(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, false)
	answerVettyKey(h, "")
	if len(fb.checks) != 0 {
		t.Fatalf("checked with no secret: %d checks", len(fb.checks))
	}
	// Issue 13.7: the message names its subject (it read "✗ is empty").
	h.mustSee("✗ Vetty API key is needed: none is stored yet")
	if h.m.step.phase != phaseForm {
		t.Errorf("phase = %v, want the form still open", h.m.step.phase)
	}
}

func TestStepFieldValidationBlocks(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, false)
	h.press("enter", "enter") // form, user
	// Replace the IP range with something that is not a CIDR.
	for i := 0; i < 20; i++ {
		h.press("backspace")
	}
	h.typeText("not-a-range")
	h.press("enter")
	if h.m.step.phase != phaseForm || len(fb.checks) != 0 {
		t.Fatal("an invalid CIDR got past the form")
	}
	h.mustSee("not-a-range", "✗ ")
}

func TestStepUnreachableCompletesUnverified(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.check = func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
		return app.Outcome{OK: false, Unreachable: true, Proof: steps.ProofVerified, Detail: "Vetty did not answer", Fix: "Try later"}, nil
	}
	h := vettyKey(t, fb, false)
	answerVettyKey(h, typedSecret)
	h.mustSee("Couldn't reach the vendor", "Vetty did not answer", "u complete as unverified")

	h.press("r")
	if len(fb.checks) != 2 {
		t.Fatalf("r did not retry: %d checks", len(fb.checks))
	}
	if fb.checks[1].Secrets["api_key"] != typedSecret {
		t.Error("the retry lost the typed secret")
	}
	h.press("u")
	if len(fb.completes) != 1 {
		t.Fatalf("u did not complete: %d completes", len(fb.completes))
	}
	if got := fb.completes[0].out.Proof; got != steps.ProofUnverified {
		t.Errorf("completed with proof %q, want unverified", got)
	}
	h.mustSee("done ✓ proof: unverified")
}

func TestStepFailedCheckOffersNoUnverified(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.check = func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
		return app.Outcome{OK: false, Detail: "Vetty answered 401"}, nil
	}
	h := vettyKey(t, fb, false)
	answerVettyKey(h, typedSecret)
	h.mustNotSee("unverified")
	h.press("u")
	if len(fb.completes) != 0 {
		t.Fatal("u completed a step whose check failed (not unreachable)")
	}
	// Edit: the non-secret answers come back pre-filled.
	h.press("e")
	h.mustSee("ops@acme.test")
}

func TestStepCheckCancelWritesNothing(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, false)
	h.press("enter", "enter", "enter", "enter")
	h.typeText(typedSecret)
	h.holdName = "runCheck"
	h.press("enter")
	h.mustSee("Checking with the vendor", "esc cancels")
	h.press("esc")
	h.mustSee("Check cancelled. Nothing was saved.")
	h.release() // the cancelled check answers late: it must be dropped
	if len(fb.checks) != 1 {
		t.Fatalf("checks = %d, want 1", len(fb.checks))
	}
	if len(fb.completes) != 0 {
		t.Fatal("a cancelled check led to a write")
	}
	h.mustSee("Check cancelled")
}

func TestStepCheckErrorIsShown(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.check = func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
		return app.Outcome{}, errors.New("keyring locked")
	}
	h := vettyKey(t, fb, false)
	answerVettyKey(h, typedSecret)
	h.mustSee("The check could not run: keyring locked", "Nothing was saved")
	if len(fb.completes) != 0 {
		t.Fatal("completed after a check error")
	}
}

func TestStepCheckTimeoutIsUnreachable(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.check = func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
		return app.Outcome{}, context.DeadlineExceeded
	}
	h := vettyKey(t, fb, false)
	answerVettyKey(h, typedSecret)
	h.mustSee("did not answer within 20s", "u complete as unverified")
}

func TestStepSaveFailureKeepsNothing(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fail := true
	fb.complete = func(app.Submission, app.Outcome) error {
		if fail {
			return errors.New("database is locked")
		}
		return nil
	}
	h := vettyKey(t, fb, false)
	answerVettyKey(h, typedSecret)
	h.mustSee("Couldn't save: database is locked", "Nothing was stored")
	fail = false
	h.press("r")
	if len(fb.completes) != 1 {
		t.Fatalf("retrying the save: %d completes", len(fb.completes))
	}
	if fb.completes[0].sub.Secrets["api_key"] != typedSecret {
		t.Error("the retried save lost the secret")
	}
	h.mustSee("done ✓")
}

func TestQuitWaitsForTheWrite(t *testing.T) {
	for _, twice := range []bool{false, true} {
		fb := newFakeBackend(fixture(0))
		h := vettyKey(t, fb, false)
		h.press("enter", "enter", "enter", "enter")
		h.typeText(typedSecret)
		h.holdName = "runComplete"
		h.press("enter") // the check passes; the write is in flight
		if h.m.step.phase != phaseCompleting || len(h.held) != 1 {
			t.Fatalf("phase = %v, held = %d; want the write in flight", h.m.step.phase, len(h.held))
		}
		h.press("ctrl+c")
		if h.quit {
			t.Fatal("quit while the write was in flight")
		}
		h.mustSee("quits when the save is done")
		if twice {
			h.press("ctrl+c")
			if !h.quit {
				t.Fatal("a second ctrl+c did not quit")
			}
			continue
		}
		h.release()
		if !h.quit {
			t.Fatal("did not quit once the write finished")
		}
		if len(fb.completes) != 1 {
			t.Fatalf("completes = %d, want 1", len(fb.completes))
		}
	}
}

func TestQuitDuringCheckCancelsIt(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, false)
	h.press("enter", "enter", "enter", "enter")
	h.typeText(typedSecret)
	h.holdName = "runCheck"
	h.press("enter")
	h.press("ctrl+c")
	if !h.quit {
		t.Fatal("ctrl+c during a check did not quit")
	}
	h.release()
	if len(fb.completes) != 0 {
		t.Fatal("a write happened after quitting during the check")
	}
	if len(fb.checks) != 1 {
		t.Fatalf("checks = %d", len(fb.checks))
	}
}

func TestStepQTypesInForms(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, false)
	h.press("enter")
	h.typeText("q?")
	if h.quit {
		t.Fatal("q quit while typing in a form")
	}
	h.mustSee("ops@acme.testq?")
}

func TestStepCopyLiteralAndSecret(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 80, 24, withMode(ModeRunStep, "vetty-chattr", "vetty-webhook"))
	h.press("c")
	h.press("c")
	want := []string{steps.VettyWebhookURL, steps.VettyWebhookKey}
	if strings.Join(h.osc52, "|") != strings.Join(want, "|") || strings.Join(h.native, "|") != strings.Join(want, "|") {
		t.Fatalf("clipboard got osc52=%q native=%q, want %q", h.osc52, h.native, want)
	}
	h.mustSee("copied ✓ Web hook Key")
	h.press("1")
	if got := h.osc52[len(h.osc52)-1]; got != steps.VettyWebhookURL {
		t.Errorf("1 copied %q", got)
	}

	fb = newFakeBackend(fixture(0))
	fb.secrets["vetty-chattr/api_key"] = typedSecret
	h = newHarness(t, fb, 80, 24, withMode(ModeRunStep, "vetty-chattr", "chattr-connect"))
	h.press("c")
	if len(h.osc52) != 1 || h.osc52[0] != typedSecret || len(h.native) != 1 || h.native[0] != typedSecret {
		t.Fatalf("the secret did not reach the clipboard: osc52=%d native=%d", len(h.osc52), len(h.native))
	}
	h.mustSee("copied ✓ (value hidden): Vetty API key", "secret: copied from the store, never shown")
	for _, v := range h.views {
		if strings.Contains(v, typedSecret) {
			t.Fatalf("the copied secret was drawn:\n%s", v)
		}
	}
	if fb.callCount("Secret vetty-chattr/api_key") != 1 {
		t.Errorf("calls = %v", fb.calls)
	}
}

func TestStepCopyMissingSecret(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 80, 24, withMode(ModeRunStep, "vetty-chattr", "chattr-connect"))
	h.press("c")
	h.mustSee("couldn't copy Vetty API key: no such secret")
	if len(h.osc52) != 0 {
		t.Error("something was copied")
	}
}

func TestStepOpenLink(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := vettyKey(t, fb, false)
	h.press("o")
	if len(h.opened) != 1 || h.opened[0] != "https://client.vetty.co" {
		t.Fatalf("opened %v", h.opened)
	}
	h.mustSee("opened ✓")

	h = vettyKey(t, newFakeBackend(fixture(0)), false)
	h.openErr = errors.New("no browser")
	h.press("o")
	h.mustSee("Open this link: https://client.vetty.co", "couldn't open a browser")
}

func TestStepDynamicOptions(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.options[steps.SourceLeverStages] = []steps.Option{{Value: "Background Check", Label: "Background Check"}, {Value: "Offer", Label: "Offer"}}
	h := newHarness(t, fb, 80, 24, withMode(ModeRunStep, "certn-lever", "lever-trigger-stage"))
	h.press("enter")
	h.mustSee("Trigger stage", "Background Check", "Offer")
	h.press("down", "enter")
	if len(fb.checks) != 1 || fb.checks[0].Values["stage"] != "Offer" {
		t.Fatalf("checks = %+v", fb.checks)
	}
}

func TestStepDynamicOptionsManualFallback(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.optionsErr = errors.New("lever unreachable")
	h := newHarness(t, fb, 80, 24, withMode(ModeRunStep, "certn-lever", "lever-trigger-stage"))
	h.press("enter")
	h.mustSee("Couldn't load the list from the vendor", "(lever unreachable): type it by hand.")
	h.typeText("Certn Check")
	h.press("enter")
	if len(fb.checks) != 1 || fb.checks[0].Values["stage"] != "Certn Check" {
		t.Fatalf("checks = %+v", fb.checks)
	}
}

func TestChartHopOptionRulesLive(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.inputs["charthop-lever/charthop-source"] = appStepInput(map[string]string{"source": steps.TruthChartHop}, nil)
	h := newHarness(t, fb, 100, 40, withMode(ModeRunStep, "charthop-lever", "charthop-options"))
	h.press("enter")
	// Pre-filled with what the outbound flow asks for.
	h.mustSee("rules ✓", "Run Daily", "Sync On Change", "Reverse Sync")
	ev := steps.EvaluateOptions(steps.TruthChartHop, togglesOn(h.m.step.vals))
	if !ev.OK() {
		t.Fatalf("pre-filled options break the rules: %v", ev.Err())
	}
	// Reverse Sync (third) is unavailable with ChartHop as the source, and
	// says why.
	h.press("enter", "enter")
	h.mustSee("Unavailable: off because the source of truth is ChartHop (outbound)")
	// An unavailable toggle cannot be switched on (issue 13.5): it stays
	// off, with its reason, and the rules stay met.
	h.press("left")
	h.mustSee("rules ✓", "Unavailable: off because the source of truth is ChartHop (outbound)")
	h.mustNotSee("rules ✗")
	h.press("enter", "enter", "enter")
	if len(fb.checks) != 1 {
		t.Fatalf("checks = %d after a valid set", len(fb.checks))
	}
	if fb.checks[0].Values[steps.OptReverseSync] != "false" || fb.checks[0].Values[steps.OptSyncOnChange] != "true" {
		t.Errorf("values = %v", fb.checks[0].Values)
	}
}

func TestChartHopOptionsWithoutSource(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 100, 40, withMode(ModeRunStep, "charthop-lever", "charthop-options"))
	h.press("enter")
	h.mustSee("Choose the source of truth first")
	for i := 0; i < 5; i++ {
		h.press("enter")
	}
	if len(fb.checks) != 0 {
		t.Fatal("options without a source of truth reached the check")
	}
	h.mustSee("Choose the source of truth first (charthop-lever/charthop-source)")
}

func TestSetupWalksTheSteps(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.options[steps.SourceVettyPackages] = []steps.Option{{Value: "Basic Criminal"}, {Value: "Criminal + MVR"}}
	h := newHarness(t, fb, 80, 24, withMode(ModeSetup, "vetty-chattr", ""))
	// Resumes at the first unfinished step.
	h.mustSee("Connect Vetty in Chattr", "step 3 of 4", "guided setup")
	h.press("enter")         // form
	h.press("enter")         // token status: valid
	h.press("left", "enter") // confirm: yes
	h.mustSee("done ✓ proof: verified", "enter: next step — Choose the Vetty package")
	h.press("enter")
	h.mustSee("Choose the Vetty package for each job position", "step 4 of 4")
	h.press("enter")
	h.mustSee("Vetty lists: Basic Criminal, Criminal + MVR.", "E.g. Warehouse Associate=Basic", "(ctrl+e completes the package")
	h.typeText("Driver=Criminal + MVR")
	h.press("enter")
	h.mustSee("Hand-off message", "Driver: Criminal + MVR", "every step is done")
	h.press("c")
	if len(h.osc52) != 1 || !strings.Contains(h.osc52[0], "Driver: Criminal + MVR") {
		t.Errorf("hand-off not copied: %q", h.osc52)
	}
	h.press("enter")
	h.mustSee("✓ Vetty background checks in Chattr is set up", "Integrations")
	if len(fb.completes) != 2 {
		t.Errorf("completes = %d, want 2", len(fb.completes))
	}
}

func TestStepScreensFit80x24(t *testing.T) {
	for _, ref := range [][2]string{
		{"vetty-chattr", "vetty-key"}, {"vetty-chattr", "vetty-webhook"}, {"certn-lever", "certn-packages"},
		{"charthop-lever", "lever-key"}, {"charthop-lever", "charthop-options"},
	} {
		fb := newFakeBackend(fixture(0))
		h := newHarness(t, fb, 80, 24, withMode(ModeRunStep, ref[0], ref[1]))
		checkSize(t, h.view(), 80, 24)
		h.press("enter")
		checkSize(t, h.view(), 80, 24)
		h.press("?")
		checkSize(t, h.view(), 80, 24)
	}
}

func TestStepGolden(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 80, 24, withMode(ModeRunStep, "vetty-chattr", "vetty-webhook"))
	golden(t, "step_read_80x24", h.view())
	h.press("enter")
	golden(t, "step_form_80x24", h.view())
	h.press("y")
	golden(t, "step_done_80x24", h.view())

	fb = newFakeBackend(fixture(0))
	fb.check = func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
		return app.Outcome{OK: false, Unreachable: true, Detail: "Vetty did not answer (connection refused).",
			Fix: "Check your network or proxy, then retry."}, nil
	}
	h = vettyKey(t, fb, true)
	answerVettyKey(h, "")
	golden(t, "step_unreachable_80x24", h.view())
}

func TestStepLoadErrorRetry(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.inputErr = errors.New("database is locked")
	h := newHarness(t, fb, 80, 24, withMode(ModeRunStep, "vetty-chattr", "vetty-key"))
	h.mustSee("Couldn't load this step: database is locked", "r to try again")
	h.press("enter")
	if h.m.step.phase != phaseLoadError {
		t.Fatal("enter got past a failed load")
	}
	fb.inputErr = nil
	h.press("r")
	h.mustSee("What to do")
	h.press("esc")
	h.mustSee("Integrations")
}

// Issue 13.7: no error on a field before it was touched: the checklist of
// write permissions shows no "✗ all are needed" on arrival.
func TestStepNoErrorBeforeTouched(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 100, 40, withMode(ModeRunStep, "charthop-lever", "lever-key"))
	h.press("enter") // form
	h.press("enter") // region: us
	h.mustSee("Write permissions enabled")
	h.mustNotSee("✗", "all are needed")
	h.press("space") // tick one: now it is touched, and incomplete
	h.press("enter")
	h.mustSee("✗ Write permissions enabled: all are needed")
}

// Issue 13.7: a refusal of the answers as a whole names the field by its
// title and puts the focus on it.
func TestStepRefusalFocusesTheField(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.inputs["certn-lever/certn-packages"] = appStepInput(map[string]string{"packages": "Standard:criminal+identity", "default_package": "Plus"}, nil)
	h := newHarness(t, fb, 100, 40, withMode(ModeRunStep, "certn-lever", "certn-packages"))
	h.press("enter", "enter", "enter")
	if len(fb.checks) != 0 {
		t.Fatal("a default package that is not a package was checked")
	}
	h.mustSee(`Default package: "Plus" is not one of the packages`)
	h.mustNotSee("default_package:")
	if got := h.m.step.form.GetFocusedField().GetKey(); got != "default_package" {
		t.Errorf("focus on %q, want default_package", got)
	}
}

// Issue 13.12: re-running an attested step pre-selects the previous answer.
func TestStepAttestedRerunPreselects(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 80, 24, withMode(ModeRunStep, "vetty-chattr", "vetty-webhook"))
	h.press("enter", "enter") // form, then Enter keeps "Yes, done"
	if len(fb.checks) != 1 || fb.checks[0].Values["confirmed"] != "true" {
		t.Fatalf("checks = %+v, want the recorded confirmation kept", fb.checks)
	}
}

// Issue 13.12: doing a step whose earlier steps are not done warns.
func TestStepWarnsOfEarlierStepsNotDone(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 120, 50, withMode(ModeRunStep, "charthop-lever", "charthop-install"))
	h.mustSee("Not done yet before this step: Create the Lever API key for ChartHop.")
	h = newHarness(t, newFakeBackend(fixture(0)), 120, 50, withMode(ModeRunStep, "vetty-chattr", "vetty-webhook"))
	h.mustNotSee("Not done yet")
}

// The step screen shows where you are: a stepper of the integration's
// steps with their states, and a header that says done once the step is.
func TestStepperAndHeaderFollowTheRun(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 80, 24)
	h.press("down", "s") // certn-lever, guided setup
	h.mustSee("▸·1 ·2 ·3 ·4 ·5 ·6", "step 1 of 6", "· todo")
	h.press("enter")
	h.mustSee("Lever region")
	h.press("enter") // US
	h.mustSee("Lever API key")
	h.typeText("lever-key-for-the-stepper-0001")
	h.press("enter")
	h.mustSee("done ✓", "▸✓1 ·2 ·3", "✓ verified")
	h.mustNotSee("· todo")
	h.press("enter") // the next step
	h.mustSee("✓1 ▸·2 ·3", "step 2 of 6")
}

// States keep their meaning without colour: each has its own mark, and in
// colour each its own style, the same in the stepper and the badges.
func TestStateMarksAreDistinctInColourAndWithout(t *testing.T) {
	states := []struct {
		status steps.Status
		proof  steps.Proof
	}{
		{steps.StatusDone, steps.ProofVerified},
		{steps.StatusDone, steps.ProofUnverified},
		{steps.StatusNeedsRerun, steps.ProofVerified},
		{steps.StatusTodo, ""},
	}
	for _, styles := range []*Styles{NewStyles(true), PlainStyles()} {
		seenPlain, seenStyled := map[string]bool{}, map[string]bool{}
		for _, st := range states {
			mark := styles.StepMark(st.status, st.proof)
			plain := ansi.Strip(mark)
			if seenPlain[plain] {
				t.Errorf("plain=%v: mark %q is used twice", styles.Plain, plain)
			}
			seenPlain[plain] = true
			if !styles.Plain {
				if seenStyled[mark] || mark == plain {
					t.Errorf("the colour mark for %v/%v is not styled apart: %q", st.status, st.proof, mark)
				}
				seenStyled[mark] = true
				if badge := styles.ProofBadge(st.status, st.proof); !strings.HasPrefix(badge, mark[:strings.Index(mark, plain)]) {
					t.Errorf("the badge %q and the mark %q of %v/%v are not the same colour", badge, mark, st.status, st.proof)
				}
			}
		}
	}
}

// Issue 13.2: ctrl+e completes the package after '=', not the whole pair.
func TestStepMappingCompletesThePackage(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.options[steps.SourceVettyPackages] = []steps.Option{{Value: "Basic"}, {Value: "Driver (MVR)"}}
	h := newHarness(t, fb, 100, 30, withMode(ModeRunStep, "vetty-chattr", "chattr-packages"))
	h.press("enter")
	h.typeText("Warehouse=Basic;Driver=dr")
	h.press("ctrl+e")
	h.press("enter")
	if len(fb.checks) != 1 || fb.checks[0].Values["packages"] != "Warehouse=Basic;Driver=Driver (MVR)" {
		t.Fatalf("checks = %+v, want the package completed after '='", fb.checks)
	}
}

// A copied secret is cleared from the clipboard after 45 s, unless the
// clipboard changed meanwhile; the screen says so. The timer is a tea.Cmd,
// held back here until the test lets it fire.
func TestCopiedSecretIsClearedAfter45s(t *testing.T) {
	for _, changed := range []bool{false, true} {
		fb := newFakeBackend(fixture(0))
		fb.secrets["vetty-chattr/api_key"] = typedSecret
		h := newHarness(t, fb, 100, 30, withMode(ModeRunStep, "vetty-chattr", "chattr-connect"))
		h.holdName = "clearClipboardLater"
		h.press("c")
		h.mustSee("copied ✓ (value hidden): Vetty API key; clears in 45 s")
		if len(h.held) != 1 {
			t.Fatalf("changed=%v: %d timers held, want the clipboard's one", changed, len(h.held))
		}
		if changed {
			h.native = append(h.native, "something the admin copied since")
		}
		h.clipFires = true
		h.release()
		if len(h.clipWaits) != 1 || h.clipWaits[0] != 45*time.Second {
			t.Fatalf("changed=%v: the timer waited %v, want 45s", changed, h.clipWaits)
		}
		last := h.native[len(h.native)-1]
		switch {
		case !changed && (last != "" || h.osc52[len(h.osc52)-1] != ""):
			t.Errorf("the secret is still on the clipboard after its 45 s (native %v, osc52 %v)", last == typedSecret, h.osc52[len(h.osc52)-1] == typedSecret)
		case !changed:
			h.mustSee("clipboard cleared: Vetty API key is no longer on it")
		case last != "something the admin copied since" || len(h.osc52) != 1:
			t.Errorf("a clipboard that changed meanwhile was cleared (native %q, osc52 %d values)", last, len(h.osc52))
		}
		h.checkViolations()
	}
}

// A secret still pending when patchbay ends is cleared then; what the
// admin copied afterwards is not.
func TestClipGuardFlushOnlyClearsTheSecret(t *testing.T) {
	var board string
	g := newClipGuard(func() (string, error) { return board, nil }, func(s string) error { board = s; return nil })
	board = typedSecret
	g.copied(typedSecret)
	g.flush()
	if board != "" {
		t.Error("flush left the secret on the clipboard")
	}
	board = typedSecret
	g.copied(typedSecret)
	board = "mine"
	g.flush()
	if board != "mine" {
		t.Error("flush cleared what the admin copied since")
	}
}
