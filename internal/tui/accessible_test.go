package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// runAccessible drives RunAccessible with answers, one per line.
func runAccessible(t *testing.T, fb *fakeBackend, mode Mode, integration, step string, answers ...string) (string, error) {
	t.Helper()
	fb.inCmd.Store(true) // no Bubble Tea loop here: direct calls are the design
	in := strings.NewReader(strings.Join(answers, "\n") + "\n")
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{
		Backend: fb, Profile: "acme", Mode: mode, StartIntegration: integration, StartStep: step,
	}, in, &out)
	return out.String(), err
}

func TestAccessibleRunStep(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.inputs["vetty-chattr/vetty-key"] = appStepInput(map[string]string{"user": "ops@acme.test"}, nil)
	out, err := runAccessible(t, fb, ModeRunStep, "vetty-chattr", "vetty-key",
		"",           // managing user: keep
		"10.0.0.0/8", // IP range
		"abc", "36",  // expiry: a wrong answer, then a good one
		typedSecret, // the key
	)
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Vetty background checks in Chattr, step 1 of 4: Create a Vetty API key for Chattr",
		"Where: Vetty › Settings › API Management › Add New User Key",
		"What to do:", "  1. Log in to Vetty at client.vetty.co.", "Mind:",
		"Managing user (Enter keeps: ops@acme.test):",
		"That answer does not work:",
		"checking…", "saving…", "done ✓ proof: verified",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, typedSecret) {
		t.Fatal("the secret was printed")
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("escape codes in accessible output")
	}
	if len(fb.completes) != 1 {
		t.Fatalf("completes = %d", len(fb.completes))
	}
	sub := fb.completes[0].sub
	if sub.Values["user"] != "ops@acme.test" || sub.Values["ip_allowlist"] != "10.0.0.0/8" || sub.Values["expiry_months"] != "36" {
		t.Errorf("values = %v", sub.Values)
	}
	if sub.Secrets["api_key"] != typedSecret {
		t.Error("the secret did not reach Complete")
	}
}

func TestAccessibleInputEndsNothingSaved(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	out, err := runAccessible(t, fb, ModeRunStep, "vetty-chattr", "vetty-key", "someone")
	if !errors.Is(err, ErrInputEnded) {
		t.Fatalf("err = %v, want ErrInputEnded\n%s", err, out)
	}
	if len(fb.checks)+len(fb.completes) != 0 {
		t.Error("checked or saved with missing answers")
	}
}

func TestAccessibleSetupContinues(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.secrets["vetty-chattr/api_key"] = typedSecret
	fb.options[steps.SourceVettyPackages] = []steps.Option{{Value: "Basic Criminal"}}
	var native []string
	out, err := runAccessibleWithClipboard(t, fb, &native, ModeSetup, "vetty-chattr", "",
		"y",                     // copy the Vetty API key
		"1",                     // token status: valid
		"y",                     // confirmed
		"Driver=Basic Criminal", // chattr-packages
		"n",                     // do not copy the hand-off
	)
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	for _, want := range []string{
		"step 3 of 4 (guided setup): Connect Vetty in Chattr",
		"Copied Vetty API key to the clipboard (value hidden); it clears in 45 s.",
		"step 4 of 4 (guided setup): Choose the Vetty package",
		"Vetty lists: Basic Criminal.", // offered as the full-screen form offers them
		"E.g. Warehouse Associate=Basic Criminal",
		"Hand-off message:", "- Driver: Basic Criminal",
		"every step is done.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, typedSecret) {
		t.Fatal("the copied secret was printed")
	}
	if len(native) != 1 || native[0] != typedSecret {
		t.Errorf("clipboard = %d values", len(native))
	}
	if len(fb.completes) != 2 {
		t.Errorf("completes = %d, want 2", len(fb.completes))
	}
}

func TestAccessibleFailedCheckThenUnverified(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.check = func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
		return app.Outcome{OK: false, Unreachable: true, Detail: "Lever did not answer", Fix: "Try later"}, nil
	}
	fb.optionsErr = errors.New("lever unreachable")
	out, err := runAccessible(t, fb, ModeRunStep, "certn-lever", "lever-trigger-stage",
		"Background Check", // typed by hand: the list could not be loaded
		"1",                // retry
		"3",                // complete as unverified
	)
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Couldn't load the list from the vendor (lever unreachable): type it by hand.",
		"Couldn't reach the vendor", "Found: Lever did not answer", "Fix: Try later",
		"Complete as unverified", "done ✓ proof: unverified",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(fb.checks) != 2 {
		t.Errorf("checks = %d, want 2 (first and retry)", len(fb.checks))
	}
	if len(fb.completes) != 1 || fb.completes[0].out.Proof != steps.ProofUnverified || fb.completes[0].sub.Values["stage"] != "Background Check" {
		t.Errorf("completes = %+v", fb.completes)
	}
}

func TestAccessibleOptionRules(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.inputs["charthop-lever/charthop-source"] = appStepInput(map[string]string{"source": steps.TruthLever}, nil)
	// Inbound: Sync On Change is unavailable. Turning it on is refused at
	// once (it stays off, with its reason), so one round completes.
	out, err := runAccessible(t, fb, ModeRunStep, "charthop-lever", "charthop-options",
		"", "y", "", "", "", // run daily, sync on change ON (refused), the rest kept
	)
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Unavailable: off because the source of truth is Lever (inbound)",
		"Sync On Change stays off: Unavailable",
		"done ✓ proof: verified",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(fb.completes) != 1 {
		t.Fatalf("completes = %d", len(fb.completes))
	}
	v := fb.completes[0].sub.Values
	if v[steps.OptReverseSync] != "true" || v[steps.OptSyncOnChange] != "false" {
		t.Errorf("values = %v", v)
	}
}

func TestAccessibleHomeMenu(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	var native []string
	out, err := runAccessibleWithClipboard(t, fb, &native, ModeHome, "", "",
		"1", // vetty-chattr
		"6", // back (setup + 4 steps + back)
		"4", // quit
	)
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Profile acme. Secrets are kept in: keyring.",
		"Vetty background checks in Chattr (vetty-chattr): in progress, 2 of 4 steps done. Next: Connect Vetty in Chattr.",
		"WARNING: expires in 20 days",
		"Continue the guided setup at: Connect Vetty in Chattr",
		"Run step: Create a Vetty API key for Chattr (done, verified)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func runAccessibleWithClipboard(t *testing.T, fb *fakeBackend, native *[]string, mode Mode, integration, step string, answers ...string) (string, error) {
	t.Helper()
	fb.inCmd.Store(true)
	in := strings.NewReader(strings.Join(answers, "\n") + "\n")
	var out bytes.Buffer
	a := &accessible{
		c:      newCommon(context.Background(), Options{Backend: fb}, true),
		rawIn:  in,
		in:     newLineReader(context.Background(), in),
		rawOut: &out,
		out:    &out,
	}
	a.c.clipboard = func(s string) error { *native = append(*native, s); return nil }
	a.c.clip = newClipGuard(func() (string, error) {
		if len(*native) == 0 {
			return "", nil
		}
		return (*native)[len(*native)-1], nil
	}, a.c.clipboard)
	a.c.clipboardWait = func(context.Context, time.Duration) bool { return false }
	a.c.now = func() time.Time { return testNow }
	var err error
	switch mode {
	case ModeSetup:
		err = a.setup(integration, step)
	case ModeHome:
		err = a.home()
	default:
		t.Fatal("unsupported mode")
	}
	return out.String(), err
}

// Issue 12: a refused answer is never offered as the next prompt's default.
func TestAccessibleRefusedAnswerIsNotTheDefault(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.inputs["vetty-chattr/vetty-key"] = appStepInput(map[string]string{"user": "ops@acme.test", "ip_allowlist": "203.0.113.0/24"}, nil)
	out, err := runAccessible(t, fb, ModeRunStep, "vetty-chattr", "vetty-key",
		"", "300.1.1.1/8", "", "", typedSecret)
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	if strings.Contains(out, "Enter keeps: 300.1.1.1/8") {
		t.Errorf("the refused range is offered as the default:\n%s", out)
	}
	if !strings.Contains(out, "That answer does not work: IP range") || len(fb.completes) != 1 || fb.completes[0].sub.Values["ip_allowlist"] != "203.0.113.0/24" {
		t.Errorf("completes = %+v\n%s", fb.completes, out)
	}
}

// A prompt waiting for a line gives up as soon as the run is interrupted,
// instead of waiting for Enter and taking that as the answer.
func TestAccessibleReadStopsOnInterrupt(t *testing.T) {
	pr, pw := io.Pipe() // a terminal nobody types into
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	l := newLineReader(ctx, pr)
	done := make(chan error, 1)
	go func() {
		_, err := l.Read(make([]byte, 64))
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if err != io.EOF {
			t.Fatalf("Read after the interrupt: %v, want EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still waits for a line after the interrupt")
	}
	// A line typed afterwards is not taken as an answer.
	go func() { _, _ = pw.Write([]byte("y\n")) }()
	if n, err := l.Read(make([]byte, 64)); n != 0 || err != io.EOF {
		t.Fatalf("after the interrupt: %d bytes, %v", n, err)
	}
}

// The mapping's completion key works only in the full-screen form: the
// accessible prompts read whole lines, so they do not offer it.
func TestAccessibleMappingOffersNoCompletionKey(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.options[steps.SourceVettyPackages] = []steps.Option{{Value: "Basic Criminal"}, {Value: "Criminal + MVR"}}
	out, err := runAccessible(t, fb, ModeRunStep, "vetty-chattr", "chattr-packages",
		"Driver=Criminal + MVR",
		"n", // do not copy the hand-off
	)
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	if !strings.Contains(out, "E.g. Warehouse Associate=Basic Criminal;Driver=Criminal + MVR.") {
		t.Errorf("the example is missing:\n%s", out)
	}
	for _, lacks := range []string{"ctrl+e", "completes the package"} {
		if strings.Contains(out, lacks) {
			t.Errorf("accessible output offers %q, which does not work here:\n%s", lacks, out)
		}
	}
	if len(fb.completes) != 1 {
		t.Errorf("completes = %d, want 1", len(fb.completes))
	}
}

// Issue: the accessible home said checks by their internal IDs
// ("lever.certn_tags") where the full-screen view says "Certn tags", and
// said a check needing attention twice.
func TestAccessibleHomeNamesChecksAsTheDashboardDoes(t *testing.T) {
	ov := fixture(0)
	cl := &ov.Integrations[1] // certn-lever
	if cl.Integration.ID != steps.IntegrationCertnLever {
		t.Fatalf("fixture order changed: %s", cl.Integration.ID)
	}
	cl.State, cl.Done = steps.StateNeedsAttention, 1
	cl.Steps[0].Status, cl.Steps[0].Proof = steps.StatusNeedsRerun, steps.ProofVerified
	cl.Checks = []app.CheckView{
		{Name: app.CheckCertnTags, Result: app.ResultUnauthorized, Detail: "Lever refused the key (401)", CheckedAt: testNow.Add(-3 * time.Minute)},
		{Name: app.CheckTriggerStage, Result: app.ResultValid, Detail: "stage Background Check exists", CheckedAt: testNow.Add(-3 * time.Minute)},
		{Name: app.SecretCheckName("api_key"), Result: app.ResultValid, CheckedAt: testNow.Add(-2 * time.Hour)},
	}
	cl.Attention = []string{cl.Steps[0].Step.ID + " needs a re-run", app.CheckCertnTags + ": Lever refused the key (401)"}
	fb := newFakeBackend(ov)
	var native []string
	out, err := runAccessibleWithClipboard(t, fb, &native, ModeHome, "", "",
		"4", // quit
	)
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	for _, want := range []string{
		"  Needs attention: " + cl.Steps[0].Step.Title + " needs a re-run.",
		"  Needs attention: check Certn tags: unauthorized, 3 minutes ago. Lever refused the key (401)",
		"  Check trigger stage: valid, 3 minutes ago. stage Background Check exists",
		"  Check api_key: valid, 2 hours ago.",
		"Which integration?", "2. Certn checks from a Lever stage: needs attention, 1 of 6 steps done",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, raw := range []string{app.CheckCertnTags, app.CheckTriggerStage, "secret.api_key", cl.Steps[0].Step.ID + " needs"} {
		if strings.Contains(out, raw) {
			t.Errorf("output says the internal name %q:\n%s", raw, out)
		}
	}
	if n := strings.Count(out, "Lever refused the key (401)"); n != 1 {
		t.Errorf("the failing check is said %d times, want once:\n%s", n, out)
	}
}

// Stopping at a failed check ends `run`/`setup` with an error (the
// command exits 1, as scripted), but from the home menu it comes back to
// the menu, as esc does on the full-screen step screen.
func TestAccessibleStopAfterFailedCheck(t *testing.T) {
	failing := func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
		return app.Outcome{OK: false, Detail: "Lever: the key was refused (401)", Fix: "generate a new key"}, nil
	}
	fb := newFakeBackend(fixture(0))
	fb.check = failing
	out, err := runAccessible(t, fb, ModeRunStep, "vetty-chattr", "vetty-key",
		"ops@acme.test", "", "", typedSecret,
		"3", // stop here (retry, edit, stop)
	)
	var stopped *StepStopped
	if !errors.As(err, &stopped) || !errors.Is(err, app.ErrCheckFailed) || stopped.Ref != "vetty-chattr/vetty-key" {
		t.Fatalf("err = %v, want the step stopped at a failed check\n%s", err, out)
	}
	if len(fb.completes) != 0 {
		t.Error("a stopped step was saved")
	}

	fb = newFakeBackend(fixture(0))
	fb.check = failing
	var native []string
	out, err = runAccessibleWithClipboard(t, fb, &native, ModeHome, "", "",
		"1",                                       // vetty-chattr
		"2",                                       // run step: Create a Vetty API key
		"ops@acme.test", "", "", typedSecret, "3", // answers, then stop
		"4", // back at the home menu: quit
	)
	if err != nil {
		t.Fatalf("home: %v\n%s", err, out)
	}
	if n := strings.Count(out, "Which integration?"); n != 2 {
		t.Errorf("the home menu was asked %d times, want 2 (before and after the stop):\n%s", n, out)
	}
}

// verifyingLive is a refresher that runs the checks once when asked
// (RefreshAll): found stands for what the vendor says.
type verifyingLive struct {
	*fakeLive
	fb    *fakeBackend
	found app.CheckOutcome
	runs  int
}

func (v *verifyingLive) RefreshAll(ctx context.Context) (app.Summary, error) {
	v.runs++
	if v.found.Result == app.ResultValid {
		// As the refresher stores it: the step's proof turns verified.
		v.fb.mu.Lock()
		v.fb.markDone(v.found.Integration, "lever-trigger-stage", steps.ProofVerified)
		v.fb.mu.Unlock()
	}
	return app.Summary{Results: []app.CheckOutcome{v.found}}, nil
}

// A step completed unverified is offered "verify now", as the full-screen
// step screen offers r: the live checks run once and say what they found.
func TestAccessibleVerifyNowAfterCompletingUnverified(t *testing.T) {
	for _, tc := range []struct {
		result, detail, want string
	}{
		{app.ResultValid, "stage Background Check exists", "Enable it in Lever with the webhook URL and trigger stage is now verified."},
		{app.ResultUnreachable, "Lever did not answer", "is still unverified: the vendor has not confirmed it"},
	} {
		fb := newFakeBackend(fixture(0))
		fb.check = func(ctx context.Context, sub app.Submission) (app.Outcome, error) {
			return app.Outcome{OK: false, Unreachable: true, Detail: "Lever did not answer", Fix: "Try later"}, nil
		}
		live := &verifyingLive{fakeLive: newFakeLive(), fb: fb, found: app.CheckOutcome{
			CheckRef: app.CheckRef{Integration: "certn-lever", Name: app.CheckTriggerStage}, Result: tc.result, Detail: tc.detail}}
		fb.inCmd.Store(true)
		in := strings.NewReader(strings.Join([]string{
			"Background Check", // no list: typed by hand
			"3",                // complete as unverified
			"y",                // verify it now
		}, "\n") + "\n")
		var out bytes.Buffer
		err := RunAccessible(context.Background(), Options{Backend: fb, Profile: "acme", Mode: ModeRunStep,
			StartIntegration: "certn-lever", StartStep: "lever-trigger-stage", Live: live}, in, &out)
		text := out.String()
		if err != nil {
			t.Fatalf("RunAccessible: %v\n%s", err, text)
		}
		for _, want := range []string{
			"done ✓ proof: unverified",
			"Verify it now? This runs the live checks with the vendors.",
			"checking with the vendors…",
			"Check trigger stage: " + resultWords(PlainStyles(), tc.result) + ". " + tc.detail,
			tc.want,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: output lacks %q:\n%s", tc.result, want, text)
			}
		}
		if live.runs != 1 || live.started.Load() != 0 {
			t.Errorf("%s: checks ran %d times, the refresher was started %d times; want once, never", tc.result, live.runs, live.started.Load())
		}
	}
}

// Without a refresher to run the checks, nothing offers to verify: the
// admin is told what does.
func TestAccessibleNoVerifyNowWithoutLiveChecks(t *testing.T) {
	ov := fixture(0)
	cl := &ov.Integrations[1]
	cl.Done = 1
	cl.Steps[0].Status, cl.Steps[0].Proof = steps.StatusDone, steps.ProofUnverified
	fb := newFakeBackend(ov)
	out, err := runAccessible(t, fb, ModeHome, "", "", "2", "8", "4") // certn-lever, back (setup + 6 steps + back), quit
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	if strings.Contains(out, "Verify now") {
		t.Errorf("verify now is offered with no live checks to run:\n%s", out)
	}
	if !strings.Contains(out, "Generate the Lever API key for Certn is unverified.") {
		t.Errorf("the unverified step is not said:\n%s", out)
	}
}

// The accessible home lists the database's profiles as the full-screen
// profiles pane does, and switches to another the same way: the run ends
// and the caller is told which profile to start again on.
func TestAccessibleHomeSwitchesProfile(t *testing.T) {
	fb := &fleetFake{fakeBackend: newFakeBackend(fixture(0)), profiles: threeProfiles()}
	fb.inCmd.Store(true)
	var got switched
	in := strings.NewReader(strings.Join([]string{
		"4", // switch to another profile (after the 3 integrations)
		"1", // globex (acme is open)
	}, "\n") + "\n")
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: fb, Profile: "acme", Mode: ModeHome,
		SwitchProfile: func(p string, d bool) { got = switched{p, d} }}, in, &out)
	text := out.String()
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, text)
	}
	for _, want := range []string{
		"Profiles in this database: 3.",
		"  acme (open): in progress.",
		"  globex: needs attention, 2 need attention, a secret ",
		"  initech: complete.",
		"4. Switch to another profile", "5. Quit",
		"Open which profile?", "1. globex: needs attention", "2. initech: complete", "3. Back",
		"Opening profile globex…",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if got != (switched{"globex", false}) {
		t.Errorf("switched to %+v, want globex's home", got)
	}

	// Without a caller to start it again, no switch is offered: the
	// admin is told how to open another.
	fb = &fleetFake{fakeBackend: newFakeBackend(fixture(0)), profiles: threeProfiles()}
	fb.inCmd.Store(true)
	out.Reset()
	if err := RunAccessible(context.Background(), Options{Backend: fb, Profile: "acme", Mode: ModeHome},
		strings.NewReader("4\n"), &out); err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "Switch to another profile") || !strings.Contains(out.String(), "patchbay --accessible --profile NAME") {
		t.Errorf("without SwitchProfile:\n%s", out.String())
	}
}

// A run started again on the same input (after a switch of profile) goes
// on reading where the last stopped: no answer read ahead is lost.
func TestAccessibleRunsOnOneInputShareIt(t *testing.T) {
	in := strings.NewReader("4\n1\n5\n") // switch, globex; then quit
	fb := &fleetFake{fakeBackend: newFakeBackend(fixture(0)), profiles: threeProfiles()}
	fb.inCmd.Store(true)
	var got switched
	opts := Options{Backend: fb, Profile: "acme", Mode: ModeHome, SwitchProfile: func(p string, d bool) { got = switched{p, d} }}
	var out bytes.Buffer
	if err := RunAccessible(context.Background(), opts, in, &out); err != nil || got.profile != "globex" {
		t.Fatalf("first run: %v, switched to %q\n%s", err, got.profile, out.String())
	}
	out.Reset()
	opts.Profile = "globex"
	if err := RunAccessible(context.Background(), opts, in, &out); err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "globex (open)") {
		t.Errorf("second run:\n%s", out.String())
	}
}
