package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
)

func TestHomeShowsProgressAndDashboard(t *testing.T) {
	fb := newFakeBackend(fixture(5))
	h := newHarness(t, fb, 100, 30)
	h.mustSee(
		"patchbay", "profile acme", "secrets: keyring",
		"vetty-chattr", "2/4", "in progress",
		"certn-lever", "0/6", "not started",
		"charthop-lever",
		"Create a Vetty API key for Chat", "✓ verified", "✓ attested", "· todo",
		"api_key ····9f3c", "expires in 20d ⚠", "valid 5m ago",
		"vetty packages valid · 5m ago",
		"the Vetty API key expires in 20 days",
		"Recent events",
	)
	if n := fb.callCount("Overview"); n != 1 {
		t.Errorf("Overview called %d times at start, want 1", n)
	}
}

func TestHomeNavigation(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 100, 30)

	// Down in the integrations pane selects certn-lever: its steps show.
	h.press("j")
	h.mustSee("Steps · certn-lever", "Generate")
	// Down again (arrow key) and back up.
	h.press("down", "up", "k")
	h.mustSee("Steps · vetty-chattr")

	// tab moves to the steps pane; enter opens the selected step.
	h.press("tab", "j", "enter")
	h.mustSee("Add Chattr's webhook in Vetty", "step 2 of 4", "Where: Vetty › Settings › API Management › Web Hook")
	// esc goes back home with the selection kept.
	h.press("esc")
	h.mustSee("Integrations", "Steps · vetty-chattr")
	if h.m.home.step != 1 {
		t.Errorf("selected step = %d after coming back, want 1", h.m.home.step)
	}
}

func TestHomeRefreshAndHelpAndQuit(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 100, 30)
	h.press("r")
	if n := fb.callCount("Overview"); n != 2 {
		t.Errorf("Overview called %d times after r, want 2", n)
	}
	h.press("?")
	h.mustSee("guided setup from the next step", "previous pane", "refresh now")
	h.press("?")
	if h.quit {
		t.Fatal("quit before q")
	}
	h.press("q")
	if !h.quit {
		t.Error("q did not quit on the home screen")
	}
}

func TestHomeRefreshNeverOverlaps(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 100, 30)
	_, first := h.m.Update(refreshMsg{})
	_, second := h.m.Update(refreshMsg{})
	_, third := h.m.Update(refreshMsg{})
	if first == nil || second != nil || third != nil {
		t.Fatalf("loads started: %v %v %v; want only the first while it is in flight", first != nil, second != nil, third != nil)
	}
	h.run(first)
	// The refreshes asked for meanwhile collapse into one more load.
	if n := fb.callCount("Overview"); n != 3 {
		t.Errorf("Overview called %d times, want 3 (start, refresh, one follow-up)", n)
	}
}

func TestHomeDropsStaleOverview(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 100, 30)
	stale := fixture(0)
	stale.Profile = "stale"
	h.send(overviewMsg{gen: h.m.loads.gen - 1, ov: stale})
	h.mustNotSee("profile stale")
}

func TestHomeFitsSmallTerminals(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {60, 20}, {50, 16}, {200, 60}} {
		w, hgt := size[0], size[1]
		fb := newFakeBackend(fixture(1000))
		h := newHarness(t, fb, w, hgt)
		checkSize(t, h.view(), w, hgt)
		// Every pane and the full help must fit too.
		for _, k := range []string{"tab", "j", "tab", "j", "j", "?"} {
			h.press(k)
			checkSize(t, h.view(), w, hgt)
		}
	}
}

func TestHomeSetupKeyOpensNextStep(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 100, 30)
	h.press("s")
	// vetty-chattr's next step is chattr-connect (step 3).
	h.mustSee("Connect Vetty in Chattr", "step 3 of 4", "guided setup")
}

func TestHomeGolden(t *testing.T) {
	fb := newFakeBackend(fixture(12))
	h := newHarness(t, fb, 80, 24)
	v := h.view()
	checkSize(t, v, 80, 24)
	golden(t, "home_80x24", v)
	if !strings.Contains(v, "Recent events") {
		t.Error("no events section at 80×24")
	}
}

// A step completed unverified is offered a check now, on the dashboard
// pane and on its own screen.
func TestVerifyNowOffered(t *testing.T) {
	ov := fixture(0)
	ov.Integrations[0].Steps[0].Proof = steps.ProofUnverified
	fb := newFakeBackend(ov)
	h := newHarness(t, fb, 120, 36)
	h.mustSee("? Create a Vetty API key for Chattr is unverified: r checks it", "r verify now")
	h.press("tab", "enter") // the steps pane, then the step
	h.mustSee("Done, but unverified", "r checks it now", "r verify now")
	h.press("r")
	h.mustSee("patchbay status --live verifies")
	if h.m.screen != screenStep {
		t.Errorf("r left the step screen")
	}
	// A verified step offers nothing of the kind.
	fb2 := newFakeBackend(fixture(0))
	h2 := newHarness(t, fb2, 120, 36)
	h2.mustNotSee("unverified", "verify now")
}

// One cursor on screen, in the focused pane; enter does what the help bar
// says in every pane, and after a step closes the first enter opens a step.
func TestOneCursorAndEnterDoesWhatTheHelpSays(t *testing.T) {
	ov := fixture(0)
	long := "Vetty accepted the key and lists 8 packages: Basic, Driver (MVR), Executive, Healthcare, International, Premium, Standard and Volunteer"
	ov.Integrations[0].Checks[0].Detail = long
	fb := newFakeBackend(ov)
	h := newHarness(t, fb, 80, 24)
	cursors := func() int { return strings.Count(h.view(), "▸") }
	if n := cursors(); n != 1 {
		t.Fatalf("%d cursors on the home screen, want 1:\n%s", n, h.view())
	}
	h.mustSee("enter steps")
	h.press("enter")
	if h.m.home.focus != paneSteps || cursors() != 1 {
		t.Fatalf("enter on the integrations pane: focus %v, %d cursors", h.m.home.focus, cursors())
	}
	h.mustSee("enter open")
	h.press("tab")
	h.mustSee("enter details")
	h.press("enter")
	// The details fill the screen: the long check detail is whole.
	v := strings.Join(strings.Fields(h.view()), " ")
	if !strings.Contains(v, "Standard and Volunteer") {
		t.Fatalf("the detail view cuts the check detail:\n%s", h.view())
	}
	h.mustSee("esc back", "? help", "q quit")
	h.press("esc")
	h.mustSee("Integrations")

	// Open a step from the steps pane and leave it: focus is on the steps
	// pane, so the first enter opens a step again instead of looking dead.
	h.press("tab", "tab", "enter")
	if h.m.screen != screenStep {
		t.Fatalf("enter did not open the step:\n%s", h.view())
	}
	h.press("esc")
	if h.m.screen != screenHome {
		t.Fatalf("esc did not return home")
	}
	h.mustSee("enter open")
	h.press("enter")
	if h.m.screen != screenStep {
		t.Fatalf("the first enter after a step did nothing:\n%s", h.view())
	}
	// The same after guided setup started from the integrations pane.
	h.press("esc", "shift+tab", "s")
	if h.m.screen != screenStep {
		t.Fatalf("s did not start the guided setup")
	}
	h.press("esc", "enter")
	if h.m.screen != screenStep {
		t.Fatalf("after guided setup, the first enter did nothing:\n%s", h.view())
	}
}

// A fresh integration's pane says what to do first, with the article's
// prerequisites, instead of rows of "none yet"; its first step shows them too.
func TestFreshIntegrationSaysWhatToDoFirst(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	h := newHarness(t, fb, 120, 36)
	h.press("down") // certn-lever: not started
	h.mustSee("Before you start", "Lever customer and a Certn customer", "on the Professional and",
		"Start here", "s starts the guided setup, 6 steps, from step 1:")
	h.mustNotSee("none stored yet", "none yet")
	h.press("s")
	h.mustSee("step 1 of 6", "Before you start", "Professional and Enterprise plans only")
	// A started integration keeps its dashboard.
	h.press("esc", "shift+tab", "up")
	h.mustSee("Secrets", "Recent events")
	h.mustNotSee("Start here")
}

// A secret's age reads as words: never "now old".
func TestSecretAgeWords(t *testing.T) {
	ov := fixture(0)
	ov.Integrations[0].Secrets[0].CreatedAt = testNow.Add(-10 * time.Second)
	h := newHarness(t, newFakeBackend(ov), 120, 36)
	h.mustSee("api_key ····9f3c · keyring · just created")
	h.mustNotSee("now old")
}
