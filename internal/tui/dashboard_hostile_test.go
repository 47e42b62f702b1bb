package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/standin"
)

// hostileJoined is HostileNames as one detail. A name with a newline is
// left out: the overview a front end receives never holds one
// (TestOverviewKeepsStoredTextOnOneLine).
func hostileJoined() string {
	var names []string
	for _, n := range standin.HostileNames {
		if !strings.Contains(n, "\n") {
			names = append(names, n)
		}
	}
	return strings.Join(names, " | ")
}

// hostileOverview holds vendor names that try to drive the terminal, as an
// earlier version may have stored them.
func hostileOverview() app.Overview {
	hostile := hostileJoined()
	ov := dashFixture()
	vc := &ov.Integrations[0]
	vc.Checks[2].Detail = "Vetty no longer lists " + hostile
	vc.Attention = []string{"vetty.package_mapping: " + hostile}
	ov.Events[0].Summary = "vetty.package_mapping: " + hostile
	return ov
}

var terminalControls = []string{"\x1b]52", "\x1b[2J", "\u009b", "\u202e", "\u2066", "\r", "\x7f", "\x07"}

// Stored and arriving live, they never reach the terminal from the
// dashboard's frame.
func TestDashboardShowsHostileNamesInert(t *testing.T) {
	hostile := hostileJoined()
	d := newDashDriver(t, newFakeBackend(hostileOverview()), newFakeLive(), 200, 50)

	tags := ref("certn-lever", "lever.certn_tags", app.VendorLever)
	d.push(app.Update{Gen: 3, Kind: app.UpdateRefreshStarted, Planned: []app.CheckRef{tags}})
	d.push(
		app.Update{Kind: app.UpdateCall, Call: app.CallRecord{At: testNow, Vendor: "lever", Method: "GET", Path: "/tags\x1b[2J", Status: 500}},
		app.Update{Gen: 3, Kind: app.UpdateCheckDone, Check: tags, Result: app.CheckView{Name: tags.Name, Result: "unknown", Detail: hostile, CheckedAt: testNow}},
	)
	frame := d.m.View().Content
	for _, bad := range terminalControls {
		if strings.Contains(frame, bad) {
			t.Errorf("the dashboard's frame carries %q", bad)
		}
	}
	d.mustSee("Vetty no longer lists", "Certn tags")
}

// Accessible mode prints the overview as lines of text: the same names are
// shown visibly there.
func TestAccessibleShowsHostileNamesInert(t *testing.T) {
	out, err := runAccessible(t, newFakeBackend(hostileOverview()), ModeHome, "", "", "4")
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out)
	}
	for _, bad := range terminalControls {
		if strings.Contains(out, bad) {
			t.Errorf("accessible output carries %q", bad)
		}
	}
	for _, want := range []string{"Needs attention: check Vetty packages: drift", "Vetty no longer lists CERTN - ", `\u202e`, `\u009b`} {
		if !strings.Contains(out, want) {
			t.Errorf("accessible output lacks %q:\n%s", want, out)
		}
	}
}

// The home screen's pane shows the selected integration's attention, checks
// and events: inert too.
func TestHomeShowsHostileNamesInert(t *testing.T) {
	c := newCommon(context.Background(), Options{Backend: newFakeBackend(hostileOverview()), Profile: "acme", NoColor: true}, true)
	c.now = func() time.Time { return testNow }
	m := newHomeModel(c)
	m.SetSize(200, 60)
	m.SetOverview(hostileOverview())
	m.Select("vetty-chattr", "")
	frame := m.View()
	for _, bad := range terminalControls {
		if strings.Contains(frame, bad) {
			t.Errorf("the home screen carries %q", bad)
		}
	}
	if !strings.Contains(frame, `\u202e`) {
		t.Errorf("the home screen does not show the hostile names:\n%s", frame)
	}
}
