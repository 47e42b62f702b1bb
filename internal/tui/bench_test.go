package tui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
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
