package tui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testNow is the fixed clock of every test.
var testNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// fakeBackend records every call and fails the test when one is made outside
// a tea.Cmd (that is, synchronously inside Update or View).
type fakeBackend struct {
	inCmd *atomic.Bool

	mu         sync.Mutex
	ov         app.Overview
	overviewEr error
	inputs     map[string]app.StepInput // "integration/step"
	inputErr   error
	options    map[steps.OptionSource][]steps.Option
	optionsErr error
	check      func(ctx context.Context, sub app.Submission) (app.Outcome, error)
	complete   func(sub app.Submission, out app.Outcome) error
	secrets    map[string]string // "integration/key"
	// real, when set, answers every call (the scenario table runs the real
	// service); the fake still records calls and catches synchronous ones.
	real Backend

	calls      []string
	checks     []app.Submission
	completes  []completeCall
	violations []string
}

type completeCall struct {
	sub app.Submission
	out app.Outcome
}

func newFakeBackend(ov app.Overview) *fakeBackend {
	return &fakeBackend{
		inCmd:   &atomic.Bool{},
		ov:      ov,
		inputs:  map[string]app.StepInput{},
		options: map[steps.OptionSource][]steps.Option{},
		secrets: map[string]string{},
	}
}

func (f *fakeBackend) enter(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if !f.inCmd.Load() {
		f.violations = append(f.violations, name+" called outside a tea.Cmd")
	}
}

func (f *fakeBackend) Overview(ctx context.Context) (app.Overview, error) {
	f.enter("Overview")
	if f.real != nil {
		return f.real.Overview(ctx)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ov, f.overviewEr
}

func (f *fakeBackend) StepInput(ctx context.Context, integration, step string) (app.StepInput, error) {
	f.enter("StepInput " + integration + "/" + step)
	if f.real != nil {
		return f.real.StepInput(ctx, integration, step)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inputErr != nil {
		return app.StepInput{}, f.inputErr
	}
	in := f.inputs[integration+"/"+step]
	if in.Values == nil {
		in.Values = map[string]string{}
	}
	if in.StoredSecrets == nil {
		in.StoredSecrets = map[string]bool{}
	}
	return in, nil
}

func (f *fakeBackend) Options(ctx context.Context, integration string, src steps.OptionSource) ([]steps.Option, error) {
	f.enter("Options " + string(src))
	if f.real != nil {
		return f.real.Options(ctx, integration, src)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.optionsErr != nil {
		return nil, f.optionsErr
	}
	return f.options[src], nil
}

func (f *fakeBackend) Check(ctx context.Context, sub app.Submission) (app.Outcome, error) {
	f.enter("Check " + sub.Integration + "/" + sub.Step)
	f.mu.Lock()
	f.checks = append(f.checks, sub)
	check := f.check
	f.mu.Unlock()
	if f.real != nil {
		return f.real.Check(ctx, sub)
	}
	if err := ctx.Err(); err != nil {
		return app.Outcome{}, err
	}
	if check == nil {
		return app.Outcome{OK: true, Proof: steps.ProofVerified, Detail: "the vendor accepted it"}, nil
	}
	return check(ctx, sub)
}

func (f *fakeBackend) Complete(ctx context.Context, sub app.Submission, out app.Outcome) error {
	f.enter("Complete " + sub.Integration + "/" + sub.Step)
	if f.real != nil {
		if err := f.real.Complete(ctx, sub, out); err != nil {
			return err
		}
		f.mu.Lock()
		f.completes = append(f.completes, completeCall{sub, out})
		f.mu.Unlock()
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.complete != nil {
		if err := f.complete(sub, out); err != nil {
			return err
		}
	}
	f.completes = append(f.completes, completeCall{sub, out})
	// Like the real backend: the step is done and the next one is up.
	f.markDone(sub.Integration, sub.Step, out.Proof)
	return nil
}

func (f *fakeBackend) markDone(integration, step string, proof steps.Proof) {
	for i := range f.ov.Integrations {
		iv := &f.ov.Integrations[i]
		if iv.Integration.ID != integration {
			continue
		}
		iv.Done = 0
		iv.NextStep = ""
		for j := range iv.Steps {
			if iv.Steps[j].Step.ID == step {
				iv.Steps[j].Status, iv.Steps[j].Proof = steps.StatusDone, proof
				iv.Steps[j].CompletedAt = testNow
			}
			if iv.Steps[j].Status == steps.StatusDone {
				iv.Done++
			} else if iv.NextStep == "" {
				iv.NextStep = iv.Steps[j].Step.ID
			}
		}
		if iv.NextStep == "" {
			iv.State = steps.StateComplete
		} else {
			iv.State = steps.StateInProgress
		}
	}
}

func (f *fakeBackend) Secret(ctx context.Context, integration, key string) (string, error) {
	f.enter("Secret " + integration + "/" + key)
	if f.real != nil {
		return f.real.Secret(ctx, integration, key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.secrets[integration+"/"+key]
	if !ok {
		return "", errors.New("no such secret")
	}
	return v, nil
}

func (f *fakeBackend) callCount(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// harness drives a root model the way Bubble Tea would, but synchronously:
// each Update's command is run here (marking the fake backend as "inside a
// command"), and its messages are fed back until the model is quiet. Timer
// commands (cursor blink, spinner, refresh tick) are dropped so nothing ever
// waits on a clock.
type harness struct {
	t     testing.TB
	fb    *fakeBackend
	m     *rootModel
	views []string // every rendered view, ANSI stripped

	osc52    []string // values sent with tea.SetClipboard
	native   []string // values handed to the native clipboard
	opened   []string
	openErr  error
	quit     bool
	held     []tea.Cmd // commands kept back while hold is set
	hold     bool
	holdName string // keep back only commands whose function name contains it
	recordVw bool

	// clipWaits are the durations the clipboard's timers waited for;
	// clipFires says whether they fire (false: the run ended first).
	clipWaits []time.Duration
	clipFires bool
}

type harnessOpt func(*Options)

func newHarness(t testing.TB, fb *fakeBackend, w, h int, opts ...harnessOpt) *harness {
	t.Helper()
	o := Options{Backend: fb, Profile: "acme", Width: w, Height: h, NoColor: true}
	for _, fn := range opts {
		fn(&o)
	}
	hs := &harness{t: t, fb: fb, recordVw: true}
	c := newCommon(context.Background(), o, o.NoColor)
	c.animate = false
	c.now = func() time.Time { return testNow }
	c.clipboard = func(s string) error { hs.native = append(hs.native, s); return nil }
	c.clip = newClipGuard(func() (string, error) {
		if len(hs.native) == 0 {
			return "", nil
		}
		return hs.native[len(hs.native)-1], nil
	}, c.clipboard)
	c.clipboardWait = func(_ context.Context, d time.Duration) bool {
		hs.clipWaits = append(hs.clipWaits, d)
		return hs.clipFires
	}
	c.openURL = func(u string) error {
		hs.opened = append(hs.opened, u)
		return hs.openErr
	}
	hs.m = newRootModel(c, o.Mode, o.StartIntegration, o.StartStep)
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(hs.m.Init())
	return hs
}

func withMode(mode Mode, integration, step string) harnessOpt {
	return func(o *Options) {
		o.Mode, o.StartIntegration, o.StartStep = mode, integration, step
	}
}

// send delivers one message and everything it leads to.
func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	h.deliver([]tea.Msg{msg})
}

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	h.deliver(h.exec(cmd))
}

func (h *harness) deliver(queue []tea.Msg) {
	h.t.Helper()
	for n := 0; len(queue) > 0; n++ {
		if n > 10000 {
			h.t.Fatal("the model never settled: endless message loop")
		}
		msg := queue[0]
		queue = queue[1:]
		if _, ok := msg.(tea.QuitMsg); ok {
			h.quit = true
			continue
		}
		if rv := reflect.ValueOf(msg); rv.Kind() == reflect.String && rv.Type().Name() == "setClipboardMsg" {
			h.osc52 = append(h.osc52, rv.String())
			continue
		}
		_, cmd := h.m.Update(msg)
		if h.recordVw {
			h.views = append(h.views, h.view())
		}
		queue = append(queue, h.exec(cmd)...)
	}
	h.checkViolations()
}

var cmdType = reflect.TypeOf((tea.Cmd)(nil))

func funcName(cmd tea.Cmd) string {
	return runtime.FuncForPC(reflect.ValueOf(cmd).Pointer()).Name()
}

// timerCmd recognises the commands that only wait on a clock.
func timerCmd(cmd tea.Cmd) bool {
	name := funcName(cmd)
	for _, s := range []string{"cursor.(*Model).Blink", "bubbletea/v2.Tick", "bubbletea/v2.Every", "spinner.Model.tick"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

func (h *harness) exec(cmd tea.Cmd) []tea.Msg {
	if cmd == nil || timerCmd(cmd) {
		return nil
	}
	if h.hold || (h.holdName != "" && strings.Contains(funcName(cmd), h.holdName)) {
		h.held = append(h.held, cmd)
		return nil
	}
	h.fb.inCmd.Store(true)
	msg := cmd()
	h.fb.inCmd.Store(false)
	if msg == nil {
		return nil
	}
	// tea.Batch and tea.Sequence hand back lists of commands.
	if rv := reflect.ValueOf(msg); rv.Kind() == reflect.Slice && rv.Type().Elem() == cmdType {
		var out []tea.Msg
		for i := 0; i < rv.Len(); i++ {
			c, _ := rv.Index(i).Interface().(tea.Cmd)
			out = append(out, h.exec(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// release runs the commands kept back while hold was set.
func (h *harness) release() {
	h.t.Helper()
	h.hold, h.holdName = false, ""
	held := h.held
	h.held = nil
	for _, c := range held {
		h.run(c)
	}
}

func (h *harness) checkViolations() {
	h.t.Helper()
	h.fb.mu.Lock()
	v := h.fb.violations
	h.fb.mu.Unlock()
	if len(v) > 0 {
		h.t.Fatalf("backend called synchronously (I/O in Update or View): %v", v)
	}
}

func (h *harness) view() string {
	h.t.Helper()
	h.fb.inCmd.Store(false)
	return ansi.Strip(h.m.View().Content)
}

// press sends key presses by name: "enter", "esc", "tab", "up", "ctrl+c", or
// a single printable character.
func (h *harness) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.send(keyMsg(k))
	}
}

// typeText types text one key at a time.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c", "ctrl+u", "ctrl+e":
		return tea.KeyPressMsg{Code: rune(k[len(k)-1]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("keyMsg: unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

func (h *harness) mustSee(want ...string) {
	h.t.Helper()
	viewHas(h.t, h.view(), want...)
}

// viewHas fails the test unless the view shows every one of want.
func viewHas(t testing.TB, v string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(v, w) {
			t.Fatalf("view lacks %q:\n%s", w, v)
		}
	}
}

func (h *harness) mustNotSee(bad ...string) {
	h.t.Helper()
	viewLacks(h.t, h.view(), bad...)
}

// viewLacks fails the test if the view shows any one of bad.
func viewLacks(t testing.TB, v string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(v, b) {
			t.Fatalf("view shows %q:\n%s", b, v)
		}
	}
}

// checkSize fails when a view is wider or taller than the terminal.
func checkSize(t testing.TB, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("view has %d lines, terminal has %d:\n%s", len(lines), h, view)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			t.Errorf("line %d is %d cells wide, terminal has %d: %q", i+1, got, w, l)
		}
	}
}

// golden compares a view with testdata/NAME.golden (-update rewrites it).
func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	// Trailing spaces are padding: keep the files readable and stable.
	var b strings.Builder
	for _, l := range strings.Split(got, "\n") {
		b.WriteString(strings.TrimRight(l, " ") + "\n")
	}
	got = b.String()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("view differs from %s (go test -update rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// fixture is a profile with the three catalog integrations: vetty-chattr
// half done with an API key expiring soon, certn-lever not started,
// charthop-lever with its source of truth chosen.
func fixture(events int) app.Overview {
	cat := steps.Catalog()
	ov := app.Overview{Profile: "acme", SecretsBackend: "keyring"}
	for _, in := range cat {
		iv := app.IntegrationView{Integration: in, State: steps.StateNotStarted, Total: len(in.Steps)}
		for _, st := range in.Steps {
			iv.Steps = append(iv.Steps, app.StepView{Step: st, Status: steps.StatusTodo})
		}
		iv.NextStep = in.Steps[0].ID
		ov.Integrations = append(ov.Integrations, iv)
	}
	vc := &ov.Integrations[0]
	vc.State, vc.Done, vc.NextStep = steps.StateInProgress, 2, vc.Steps[2].Step.ID
	vc.Steps[0].Status, vc.Steps[0].Proof, vc.Steps[0].CompletedAt = steps.StatusDone, steps.ProofVerified, testNow.Add(-400*24*time.Hour)
	vc.Steps[1].Status, vc.Steps[1].Proof, vc.Steps[1].CompletedAt = steps.StatusDone, steps.ProofAttested, testNow.Add(-400*24*time.Hour)
	vc.Secrets = []app.SecretView{{
		Key: "api_key", Backend: "keyring", Last4: "9f3c",
		CreatedAt: testNow.Add(-710 * 24 * time.Hour), ExpiresAt: testNow.Add(20 * 24 * time.Hour),
		LastVerifiedAt: testNow.Add(-5 * time.Minute), Live: "valid",
	}}
	vc.Checks = []app.CheckView{{Name: "vetty packages", Result: "valid", Detail: "3 packages listed", CheckedAt: testNow.Add(-5 * time.Minute)}}
	vc.Attention = []string{"the Vetty API key expires in 20 days"}

	ch := &ov.Integrations[2]
	ch.State = steps.StateInProgress
	for j := range ch.Steps {
		if ch.Steps[j].Step.ID == "charthop-source" {
			ch.Steps[j].Status, ch.Steps[j].Proof = steps.StatusDone, steps.ProofChecked
			ch.Done = 1
		}
	}
	for i := 0; i < events; i++ {
		in := cat[i%len(cat)].ID
		ov.Events = append(ov.Events, app.EventView{
			At: testNow.Add(-time.Duration(i) * time.Hour), Integration: in,
			Step: cat[i%len(cat)].Steps[0].ID, Kind: "step_completed",
			Summary: fmt.Sprintf("completed (event %d)", i),
		})
	}
	return ov
}

func appStepInput(values map[string]string, stored map[string]bool) app.StepInput {
	return app.StepInput{Values: values, StoredSecrets: stored}
}

// The guard the whole suite leans on: a backend call made outside a command
// (that is, from Update or View) is caught.
func TestHarnessCatchesSynchronousBackendCalls(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	_, _ = fb.Overview(context.Background())
	if len(fb.violations) != 1 {
		t.Fatalf("violations = %v, want the direct call recorded", fb.violations)
	}
	fb = newFakeBackend(fixture(0))
	h := newHarness(t, fb, 80, 24)
	if fb.callCount("Overview") != 1 || len(fb.violations) != 0 {
		t.Fatalf("calls = %v, violations = %v", fb.calls, fb.violations)
	}
	_ = h
}
