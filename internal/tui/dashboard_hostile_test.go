package tui

import (
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/standin"
)

// Vendor names that try to drive the terminal, stored by an earlier run and
// arriving live: the dashboard's frame never carries them to the terminal.
func TestDashboardShowsHostileNamesInert(t *testing.T) {
	hostile := strings.Join(standin.HostileNames, " | ")
	ov := dashFixture()
	vc := &ov.Integrations[0]
	vc.Checks[2].Detail = "Vetty no longer lists " + hostile
	vc.Attention = []string{"vetty.package_mapping: " + hostile}
	ov.Events[0].Summary = "vetty.package_mapping: " + hostile
	d := newDashDriver(t, newFakeBackend(ov), newFakeLive(), 200, 50)

	tags := ref("certn-lever", "lever.certn_tags", app.VendorLever)
	d.push(app.Update{Gen: 3, Kind: app.UpdateRefreshStarted, Planned: []app.CheckRef{tags}})
	d.push(
		app.Update{Kind: app.UpdateCall, Call: app.CallRecord{At: testNow, Vendor: "lever", Method: "GET", Path: "/tags\x1b[2J", Status: 500}},
		app.Update{Gen: 3, Kind: app.UpdateCheckDone, Check: tags, Result: app.CheckView{Name: tags.Name, Result: "unknown", Detail: hostile, CheckedAt: testNow}},
	)
	frame := d.m.View().Content
	for _, bad := range []string{"\x1b]52", "\x1b[2J", "\u009b", "\u202e", "\u2066", "\r", "\x7f", "\x07"} {
		if strings.Contains(frame, bad) {
			t.Errorf("the dashboard's frame carries %q", bad)
		}
	}
	d.mustSee("Vetty no longer lists", "Certn tags")
}
