package tui

import (
	"context"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// fleetFake is a backend that can also sum up every profile.
type fleetFake struct {
	*fakeBackend
	profiles []app.ProfileSummary
}

func (f *fleetFake) Profiles(ctx context.Context) ([]app.ProfileSummary, error) {
	f.enter("Profiles")
	return f.profiles, nil
}

func threeProfiles() []app.ProfileSummary {
	expiry := testNow.Add(12 * 24 * time.Hour)
	return []app.ProfileSummary{
		{Name: "acme", Worst: steps.StateInProgress, States: map[string]steps.State{"certn-lever": steps.StateInProgress}},
		{Name: "globex", Worst: steps.StateNeedsAttention, Attention: 2, SoonestExpiry: &expiry,
			States: map[string]steps.State{"certn-lever": steps.StateNeedsAttention, "vetty-chattr": steps.StateComplete}},
		{Name: "initech", Worst: steps.StateComplete, States: map[string]steps.State{"vetty-chattr": steps.StateComplete}},
	}
}

// withBackend runs the harness on another backend wrapping its fake.
func withBackend(b Backend) harnessOpt {
	return func(o *Options) { o.Backend = b }
}

type switched struct {
	profile   string
	dashboard bool
}

func withSwitch(got *switched) harnessOpt {
	return func(o *Options) {
		o.SwitchProfile = func(p string, d bool) { *got = switched{p, d} }
	}
}

// The home screen lists the database's profiles; enter on another one
// ends the run so the caller starts again on it.
func TestHomeProfilesPaneSwitches(t *testing.T) {
	fb := &fleetFake{fakeBackend: newFakeBackend(fixture(3)), profiles: threeProfiles()}
	var got switched
	h := newHarness(t, fb.fakeBackend, 120, 36, withBackend(fb), withSwitch(&got))
	h.mustSee("Profiles (3)", "acme (open)", "globex", "attention !2 12d", "initech")
	h.press("shift+tab")
	h.mustSee("enter switch")
	h.press("enter") // acme is the open one: nothing to switch to
	if got.profile != "" || h.quit {
		t.Fatalf("enter on the open profile switched: %+v", got)
	}
	h.mustSee("this is profile acme")
	h.press("down", "enter")
	if got != (switched{"globex", false}) || !h.quit {
		t.Fatalf("switched %+v, quit %v", got, h.quit)
	}
	h.checkViolations()
}

// One profile, or a backend that cannot list them: no pane.
func TestHomeProfilesPaneHiddenForOneProfile(t *testing.T) {
	fb := &fleetFake{fakeBackend: newFakeBackend(fixture(3)), profiles: threeProfiles()[:1]}
	h := newHarness(t, fb.fakeBackend, 120, 36, withBackend(fb))
	h.mustNotSee("Profiles (")
	h2 := newHarness(t, newFakeBackend(fixture(3)), 120, 36)
	h2.mustNotSee("Profiles (")
	h2.press("p")
	h2.mustNotSee("all profiles")
}

// The fleet page: every profile with each integration's state; enter opens
// the chosen one's dashboard; at 60 columns the worst state stands for all.
func TestFleetPage(t *testing.T) {
	fb := &fleetFake{fakeBackend: newFakeBackend(fixture(3)), profiles: threeProfiles()}
	var got switched
	h := newHarness(t, fb.fakeBackend, 120, 36, withBackend(fb), withSwitch(&got), withMode(ModeFleet, "", ""))
	h.mustSee("all profiles (3)", "VETTY-CHATTR", "CERTN-LEVER", "CHARTHOP-LEVER", "ATTENTION", "globex", "attention", "2026-03-22")
	h.press("esc") // started on the fleet page: nothing to go back to
	h.mustSee("all profiles (3)")
	h.press("down", "down", "enter")
	if got != (switched{"initech", true}) || !h.quit {
		t.Fatalf("switched %+v, quit %v", got, h.quit)
	}
	narrow := newHarness(t, fb.fakeBackend, 60, 20, withBackend(fb), withMode(ModeFleet, "", ""))
	narrow.mustSee("STATE", "globex  attention")
	narrow.mustNotSee("VETTY-CHATTR")
	checkSize(t, narrow.view(), 60, 20)

	// From home, p opens it and esc goes back.
	home := newHarness(t, fb.fakeBackend, 120, 36, withBackend(fb))
	home.press("p")
	home.mustSee("all profiles (3)", "esc back")
	home.press("esc")
	home.mustSee("Integrations")
}

// A profile's dashboard opened from the fleet page has its home screen
// behind it: esc goes there, and p back to every profile.
func TestHomeDashboardGoesBackHome(t *testing.T) {
	fb := &fleetFake{fakeBackend: newFakeBackend(fixture(3)), profiles: threeProfiles()}
	h := newHarness(t, fb.fakeBackend, 120, 36, withBackend(fb), withMode(ModeHomeDashboard, "", ""))
	h.mustSee("dashboard · profile acme")
	h.press("esc")
	h.mustSee("Integrations", "Profiles (3)")
	h.press("p")
	h.mustSee("all profiles (3)")
}
