package tui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/steps"
)

// BenchmarkHomeKeypress measures one keypress through Update plus the View of
// the home screen, with 3 integrations and 50 events (the home screen loads
// the latest 50: app.Service.Overview), at 120×40.
func BenchmarkHomeKeypress(b *testing.B) {
	fb := newFakeBackend(fixture(50))
	c := newCommon(context.Background(), Options{Backend: fb, Width: 120, Height: 40}, false)
	c.animate = false
	c.now = func() time.Time { return testNow }
	m := newRootModel(c, ModeHome, "", "")
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.loads.gen = 1
	m.Update(overviewMsg{gen: 1, ov: fb.ov})
	// The dashboard pane has the focus, so each key scrolls the 50 events.
	m.Update(keyMsg("tab"))
	m.Update(keyMsg("tab"))
	keys := []tea.KeyPressMsg{keyMsg("j"), keyMsg("k"), keyMsg("j")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Update(keys[i%len(keys)])
		_ = m.View()
	}
}

// BenchmarkStepFormKeypress measures one keypress through Update plus the
// View of the step screen while its form is open: typing into the
// chattr-packages mapping (8 Vetty packages offered, completion after '=')
// at 120×40. Commands the keypress returns are not run, as in
// BenchmarkHomeKeypress.
func BenchmarkStepFormKeypress(b *testing.B) {
	fb := newFakeBackend(fixture(50))
	for _, p := range []string{"Basic", "Standard", "Professional", "Premium", "Executive", "Driver (MVR)", "Healthcare", "International"} {
		fb.options["vetty.packages"] = append(fb.options["vetty.packages"], steps.Option{Value: p})
	}
	h := newHarness(b, fb, 120, 40, withMode(ModeRunStep, "vetty-chattr", "chattr-packages"))
	h.recordVw = false
	h.press("enter") // the form
	h.typeText("Driver=Dr")
	keys := []tea.KeyPressMsg{keyMsg("x"), keyMsg("backspace")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		h.m.Update(keys[i%len(keys)])
		_ = h.m.View()
	}
}
