package tui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// fakeLive is a refresher the test speaks for: it pushes the updates.
type fakeLive struct {
	ch       chan app.Update
	started  atomic.Int32
	triggers atomic.Int32
}

func newFakeLive() *fakeLive { return &fakeLive{ch: make(chan app.Update, 1024)} }

func (f *fakeLive) Start(context.Context) <-chan app.Update {
	f.started.Add(1)
	return f.ch
}
func (f *fakeLive) Trigger()                { f.triggers.Add(1) }
func (f *fakeLive) Interval() time.Duration { return time.Minute }

// dashDriver runs a dashboard screen the way Bubble Tea would, but
// synchronously. The command that waits on the refresher's channel is kept
// back until the test has pushed updates, so nothing ever blocks.
type dashDriver struct {
	t      testing.TB
	fb     *fakeBackend
	live   *fakeLive
	m      *rootModel
	listen []tea.Cmd
	quit   bool
}

func newDashDriver(t testing.TB, fb *fakeBackend, live *fakeLive, w, h int) *dashDriver {
	t.Helper()
	o := Options{Backend: fb, Profile: "acme", Width: w, Height: h, NoColor: true}
	c := newCommon(context.Background(), o, true)
	c.animate = false
	c.now = func() time.Time { return testNow }
	var lc LiveChecks
	if live != nil {
		lc = live
	}
	root := newRootModel(c, ModeDashboard, "", "")
	root.attachLive(lc)
	d := &dashDriver{t: t, fb: fb, live: live, m: root}
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.run(d.m.Init())
	return d
}

func (d *dashDriver) send(msg tea.Msg) {
	d.t.Helper()
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg, queue = queue[0], queue[1:]
		if _, ok := msg.(tea.QuitMsg); ok {
			d.quit = true
			continue
		}
		_, cmd := d.m.Update(msg)
		queue = append(queue, d.exec(cmd)...)
	}
	d.fb.mu.Lock()
	defer d.fb.mu.Unlock()
	if len(d.fb.violations) > 0 {
		d.t.Fatalf("backend called synchronously (I/O in Update or View): %v", d.fb.violations)
	}
}

func (d *dashDriver) run(cmd tea.Cmd) {
	d.t.Helper()
	for _, msg := range d.exec(cmd) {
		d.send(msg)
	}
}

func (d *dashDriver) exec(cmd tea.Cmd) []tea.Msg {
	if cmd == nil || timerCmd(cmd) {
		return nil
	}
	if strings.Contains(funcName(cmd), "listenLive") {
		d.listen = append(d.listen, cmd)
		return nil
	}
	d.fb.inCmd.Store(true)
	msg := cmd()
	d.fb.inCmd.Store(false)
	if msg == nil {
		return nil
	}
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, d.exec(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// push hands updates to the dashboard through its listening command.
func (d *dashDriver) push(us ...app.Update) {
	d.t.Helper()
	for _, u := range us {
		d.live.ch <- u
	}
	if len(d.listen) != 1 {
		d.t.Fatalf("%d listening commands, want exactly 1", len(d.listen))
	}
	cmd := d.listen[0]
	d.listen = nil
	d.send(cmd())
}

func (d *dashDriver) press(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

func (d *dashDriver) view() string { return ansi.Strip(d.m.View().Content) }

func (d *dashDriver) mustSee(want ...string) {
	d.t.Helper()
	viewHas(d.t, d.view(), want...)
}

func (d *dashDriver) mustNotSee(bad ...string) {
	d.t.Helper()
	viewLacks(d.t, d.view(), bad...)
}

// dashFixture: vetty-chattr set up with a package gone from Vetty,
// certn-lever half done, charthop-lever not started.
func dashFixture() app.Overview {
	ov := app.Overview{Profile: "acme", SecretsBackend: "keyring"}
	for _, in := range steps.Catalog() {
		iv := app.IntegrationView{Integration: in, State: steps.StateNotStarted, Total: len(in.Steps), NextStep: in.Steps[0].ID}
		for _, st := range in.Steps {
			iv.Steps = append(iv.Steps, app.StepView{Step: st, Status: steps.StatusTodo})
		}
		ov.Integrations = append(ov.Integrations, iv)
	}
	vc := &ov.Integrations[0]
	vc.State, vc.Done, vc.NextStep = steps.StateNeedsAttention, 4, ""
	vc.Secrets = []app.SecretView{{Key: "api_key", Backend: "keyring", Last4: "9f3c",
		CreatedAt: testNow.Add(-710 * 24 * time.Hour), ExpiresAt: testNow.Add(20 * 24 * time.Hour), Live: "valid"}}
	vc.Checks = []app.CheckView{
		{Name: "expiry.api_key", Result: "valid", Detail: "expires in 20 day(s): rotate it soon", CheckedAt: testNow.Add(-5 * time.Minute)},
		{Name: "secret.api_key", Result: "valid", Detail: "Vetty accepted the key; it lists 7 package(s)", CheckedAt: testNow.Add(-5 * time.Minute)},
		{Name: "vetty.package_mapping", Result: "drift", Detail: `Vetty no longer lists "Healthcare" (for Nurse)`, CheckedAt: testNow.Add(-5 * time.Minute)},
	}
	vc.Attention = []string{`vetty.package_mapping: Vetty no longer lists "Healthcare" (for Nurse)`, "chattr-connect needs a re-run"}

	cl := &ov.Integrations[1]
	cl.State, cl.Done, cl.NextStep = steps.StateInProgress, 3, "certn-enable"
	cl.Secrets = []app.SecretView{{Key: "api_key", Backend: "keyring", Last4: "c0de", CreatedAt: testNow.Add(-3 * 24 * time.Hour), Live: "unknown"}}
	ov.Events = []app.EventView{
		{At: testNow.Add(-5 * time.Minute), Integration: "vetty-chattr", Kind: "verification", Summary: "vetty.package_mapping: valid → drift"},
		{At: testNow.Add(-2 * time.Hour), Integration: "certn-lever", Step: "lever-key", Kind: "step_run", Summary: "Generate the Lever key: done — verified"},
	}
	return ov
}

func ref(integration, name, vendor string) app.CheckRef {
	return app.CheckRef{Integration: integration, Name: name, Vendor: vendor}
}

func TestDashboardShowsStoredStateThenLiveResults(t *testing.T) {
	fb := newFakeBackend(dashFixture())
	live := newFakeLive()
	d := newDashDriver(t, fb, live, 160, 40)
	if live.started.Load() != 1 {
		t.Fatalf("refresher started %d times", live.started.Load())
	}
	d.mustSee("patchbay · dashboard · profile acme", "Live checks · every 1m · starting…",
		"Vetty background checks in Chattr", "attention ■■■■ 4/4",
		"api_key ····9f3c · keyring · created 710d ago · expires in 20d ⚠",
		`! Vetty packages   drift          5m   Vetty no longer lists "Healthcare" (for Nurse)`,
		"! chattr-connect needs a re-run",
		"■■■□□□ 3/6", "next: ",
		"not started: patchbay setup charthop-lever",
		"API calls", "none yet",
		"Recent events", "vetty.package_mapping: valid")
	// A check's attention line is its row, not a second line.
	if n := strings.Count(d.view(), `no longer lists "Healthcare"`); n != 1 {
		t.Errorf("the drift shows %d times", n)
	}

	vettyKey := ref("vetty-chattr", "secret.api_key", app.VendorVetty)
	mapping := ref("vetty-chattr", "vetty.package_mapping", app.VendorVetty)
	tags := ref("certn-lever", "lever.certn_tags", app.VendorLever)
	d.push(app.Update{Gen: 7, Kind: app.UpdateRefreshStarted, Planned: []app.CheckRef{vettyKey, mapping, tags}})
	d.mustSee("checking 0/3", "queued")
	d.push(
		app.Update{Gen: 7, Kind: app.UpdateCheckStarted, Check: mapping},
		app.Update{Kind: app.UpdateCall, Call: app.CallRecord{At: testNow, Vendor: "vetty", Method: "GET", Path: "/packages", Status: 200, Latency: 302 * time.Millisecond}},
	)
	d.mustSee("Vetty packages   checking…", "GET  vetty  /packages          200  302ms")
	d.push(
		app.Update{Gen: 7, Kind: app.UpdateCheckDone, Check: mapping, Result: app.CheckView{Name: mapping.Name, Result: "valid", Detail: "Vetty lists every mapped package (3 position(s))", CheckedAt: testNow}},
		app.Update{Gen: 7, Kind: app.UpdateCheckDone, Check: vettyKey, Result: app.CheckView{Name: vettyKey.Name, Result: "unauthorized", Detail: "Vetty: the key was refused (401)", CheckedAt: testNow}},
		app.Update{Gen: 7, Kind: app.UpdateCheckDone, Check: tags, Result: app.CheckView{Name: tags.Name, Result: "valid", Detail: "Submitted 3 · In Progress 4", CheckedAt: testNow}},
	)
	d.mustSee("✓ Vetty packages   valid          now  Vetty lists every mapped package",
		"! api_key          unauthorized   now  Vetty: the key was refused (401)",
		"✓ Certn tags       valid          now  Submitted 3 · In Progress 4")
	overviews := fb.callCount("Overview")
	d.push(app.Update{Gen: 7, Kind: app.UpdateRefreshDone, Summary: app.Summary{Gen: 7, Took: 310 * time.Millisecond,
		Results: []app.CheckOutcome{{CheckRef: vettyKey, Result: "unauthorized"}, {CheckRef: mapping, Result: "valid"}, {CheckRef: tags, Result: "valid"}}}})
	d.mustSee("last run just now: 3 check(s) in 310ms · 1 need attention")
	if fb.callCount("Overview") != overviews+1 {
		t.Errorf("the overview was not reloaded after the refresh")
	}
	// A run with nothing to check says so, not "ran now (0 checks in 0s)".
	d.push(app.Update{Gen: 8, Kind: app.UpdateRefreshStarted})
	d.push(app.Update{Gen: 8, Kind: app.UpdateRefreshDone, Summary: app.Summary{Gen: 8}})
	d.mustSee("nothing to check yet")
	d.mustNotSee("0 check")
	checkSize(t, d.view(), 160, 40)
}

func TestDashboardDropsStaleGenerations(t *testing.T) {
	d := newDashDriver(t, newFakeBackend(dashFixture()), newFakeLive(), 130, 40)
	mapping := ref("vetty-chattr", "vetty.package_mapping", app.VendorVetty)
	d.push(app.Update{Gen: 8, Kind: app.UpdateRefreshStarted, Planned: []app.CheckRef{mapping}})
	d.push(
		app.Update{Gen: 7, Kind: app.UpdateCheckStarted, Check: mapping},
		app.Update{Gen: 7, Kind: app.UpdateCheckDone, Check: mapping, Result: app.CheckView{Name: mapping.Name, Result: "valid", Detail: "from a superseded refresh", CheckedAt: testNow}},
		app.Update{Gen: 7, Kind: app.UpdateRefreshDone, Summary: app.Summary{Gen: 7}},
	)
	d.mustSee("checking 0/1", "Vetty packages   queued")
	d.mustNotSee("from a superseded refresh")
}

func TestDashboardKeysWhileChecksRun(t *testing.T) {
	live := newFakeLive()
	d := newDashDriver(t, newFakeBackend(dashFixture()), live, 90, 14)
	mapping := ref("vetty-chattr", "vetty.package_mapping", app.VendorVetty)
	d.push(app.Update{Gen: 1, Kind: app.UpdateRefreshStarted, Planned: []app.CheckRef{mapping}},
		app.Update{Gen: 1, Kind: app.UpdateCheckStarted, Check: mapping})
	// r asks the refresher (through a command), j scrolls, both at once.
	d.press("r", "r")
	if live.triggers.Load() != 2 {
		t.Errorf("%d triggers, want 2", live.triggers.Load())
	}
	before := d.view()
	d.press("j", "j", "j")
	if d.view() == before {
		t.Error("j did not scroll the cards")
	}
	d.press("k", "k", "k")
	if d.view() != before {
		t.Error("k did not scroll back")
	}
	checkSize(t, d.view(), 90, 14)
	d.press("?")
	d.mustSee("run every live check now")
	d.press("q")
	if !d.quit {
		t.Error("q did not quit while a check was running")
	}
}

func TestDashboardSkippedAndFailedRefresh(t *testing.T) {
	d := newDashDriver(t, newFakeBackend(dashFixture()), newFakeLive(), 160, 40)
	tags := ref("certn-lever", "lever.certn_tags", app.VendorLever)
	skip := app.SkippedCheck{CheckRef: tags, Until: testNow.Add(2 * time.Minute), Reason: "Lever was unreachable in 3 refresh(es) in a row"}
	d.push(app.Update{Gen: 2, Kind: app.UpdateRefreshStarted, Planned: []app.CheckRef{tags}},
		app.Update{Gen: 2, Kind: app.UpdateCheckSkipped, Check: tags, Skip: skip},
		app.Update{Gen: 2, Kind: app.UpdateRefreshDone, Summary: app.Summary{Gen: 2, Skipped: []app.SkippedCheck{skip}}})
	d.mustSee("skipped", "Lever was unreachable in 3 refresh(es) in a row", "Lever backing off until")

	d.push(app.Update{Gen: 3, Kind: app.UpdateRefreshDone, Summary: app.Summary{Gen: 3, Err: context.DeadlineExceeded}})
	d.mustSee("couldn't run")
}

func TestDashboardWithoutRefresher(t *testing.T) {
	fb := newFakeBackend(dashFixture())
	d := newDashDriver(t, fb, nil, 100, 30)
	d.mustSee("Live checks · stored results", "Vetty background checks in Chattr")
	d.press("r")
	if n := fb.callCount("Overview"); n != 2 {
		t.Errorf("r without a refresher reloads the stored state: %d overview loads", n)
	}
}

func TestDashboardFitsSmallTerminals(t *testing.T) {
	for _, size := range [][2]int{{40, 12}, {80, 24}, {100, 30}, {200, 60}} {
		d := newDashDriver(t, newFakeBackend(dashFixture()), newFakeLive(), size[0], size[1])
		d.push(app.Update{Kind: app.UpdateCall, Call: app.CallRecord{At: testNow, Vendor: "lever", Method: "GET",
			Path: "/requisition_fields", Status: 0, Err: "vendor unreachable: dial tcp: connection refused"}})
		checkSize(t, d.view(), size[0], size[1])
	}
}

func TestCallRingKeepsTheNewest(t *testing.T) {
	var r callRing
	for i := range callLogSize + 5 {
		r.push(app.CallRecord{Status: i})
	}
	if r.n != callLogSize || r.newest(0).Status != callLogSize+4 || r.newest(callLogSize-1).Status != 5 {
		t.Errorf("ring: n=%d newest=%d oldest=%d", r.n, r.newest(0).Status, r.newest(callLogSize-1).Status)
	}
}

// The home screen's dashboard pane runs the same live checks: spinners on
// the selected integration's rows, results as they come, and the checks
// go on while a step screen is open.
func TestHomePaneShowsLiveChecks(t *testing.T) {
	fb := newFakeBackend(dashFixture())
	live := newFakeLive()
	h := newHarness(t, fb, 150, 40)
	h.m.attachLive(live)
	h.holdName = "listenLive"
	h.run(h.m.liveInit())
	push := func(us ...app.Update) {
		t.Helper()
		for _, u := range us {
			live.ch <- u
		}
		if len(h.held) != 1 {
			t.Fatalf("%d held commands, want the one listening", len(h.held))
		}
		cmd := h.held[0]
		h.held = nil
		h.send(cmd())
	}
	mapping := ref("vetty-chattr", "vetty.package_mapping", app.VendorVetty)
	push(app.Update{Gen: 1, Kind: app.UpdateRefreshStarted, Planned: []app.CheckRef{mapping}},
		app.Update{Gen: 1, Kind: app.UpdateCheckStarted, Check: mapping})
	h.mustSee("Live checks · every 1m", "checking 0/1", "Vetty packages   checking…", "API calls")

	// Keys work while the check runs: open a step, results keep coming.
	h.press("tab", "enter")
	h.mustSee("step 1 of 4")
	overviews := fb.callCount("Overview")
	push(app.Update{Gen: 1, Kind: app.UpdateCheckDone, Check: mapping, Result: app.CheckView{Name: mapping.Name, Result: "valid", Detail: "Vetty lists every mapped package (3 position(s))", CheckedAt: testNow}},
		app.Update{Kind: app.UpdateCall, Call: app.CallRecord{At: testNow, Vendor: "vetty", Method: "GET", Path: "/packages", Status: 200, Latency: 300 * time.Millisecond}},
		app.Update{Gen: 1, Kind: app.UpdateRefreshDone, Summary: app.Summary{Gen: 1, Results: []app.CheckOutcome{{CheckRef: mapping, Result: "valid"}}}})
	if fb.callCount("Overview") != overviews+1 {
		t.Error("the overview was not reloaded after the refresh")
	}
	h.press("esc")
	// A detail too long for the pane's row goes whole on the line below.
	h.mustSee("✓ Vetty packages   valid          now", "      Vetty lists every mapped package (3 position(s))", "GET  vetty  /packages")

	// r reloads what is stored and asks the refresher for a run now.
	h.press("r")
	if live.triggers.Load() != 1 {
		t.Errorf("r sent %d triggers, want 1", live.triggers.Load())
	}
	checkSize(t, h.view(), 150, 40)
}

// Finishing a step runs the live checks at once: the step may have added
// one (a new key, a trigger stage), which should not wait for the timer.
func TestFinishedStepTriggersLiveChecks(t *testing.T) {
	fb := newFakeBackend(dashFixture())
	live := newFakeLive()
	h := newHarness(t, fb, 150, 40)
	h.m.attachLive(live)
	before := live.triggers.Load()
	h.send(stepFinishedMsg{integration: "vetty-chattr", step: "vetty-key"})
	if got := live.triggers.Load(); got != before+1 {
		t.Fatalf("%d triggers after a finished step, want %d", got, before+1)
	}
}

// The dashboard is a page of the one root: d opens it from home with the
// root's header and help, esc goes back; the live checks go on throughout.
func TestDashboardPageFromHome(t *testing.T) {
	fb := newFakeBackend(dashFixture())
	live := newFakeLive()
	h := newHarness(t, fb, 150, 40)
	h.m.attachLive(live)
	h.press("d")
	h.mustSee("patchbay · dashboard · profile acme", "Live checks · every 1m", "Vetty background checks in Chattr", "API calls", "? help")
	checkSize(t, h.view(), 150, 40)
	h.press("esc")
	h.mustSee("Integrations", "Steps · vetty-chattr")
	if strings.Contains(h.view(), "· dashboard ·") {
		t.Error("esc left the dashboard header")
	}
}

// The dashboard page offers to verify a step completed unverified, and r
// asks the refresher for a run now.
func TestDashboardOffersVerifyNow(t *testing.T) {
	ov := dashFixture()
	cl := &ov.Integrations[1]
	cl.Steps[0].Status, cl.Steps[0].Proof = steps.StatusDone, steps.ProofUnverified
	fb := newFakeBackend(ov)
	live := newFakeLive()
	d := newDashDriver(t, fb, live, 160, 40)
	d.mustSee("? Generate the Lever API key for Certn is unverified: r checks it now")
	before := live.triggers.Load()
	d.send(keyMsg("r"))
	if live.triggers.Load() != before+1 {
		t.Errorf("r did not ask for a run now")
	}
}
