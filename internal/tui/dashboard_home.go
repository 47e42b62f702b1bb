package tui

import (
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/app"
)

// The home screen's dashboard pane shows the live checks of the selected
// integration when a refresher runs: the home model keeps a dashboard
// model, which the root feeds with the refresher's messages whatever
// screen is showing, so the checks go on while a step is open.

// openDashboardMsg asks the root to show the dashboard page.
type openDashboardMsg struct{}

// attachLive gives the home screen a live dashboard; nil leaves the pane
// with the stored results only, and the dashboard page (which always has
// a dashboard) with the stored results.
func (m *rootModel) attachLive(live LiveChecks) {
	if live == nil && m.mode != ModeDashboard {
		return
	}
	m.home.dash = newDashboardModel(m.c, live)
	if m.home.loaded {
		m.home.dash.SetOverview(m.home.ov)
	}
}

// liveInit starts the refresher, if there is one.
func (m *rootModel) liveInit() tea.Cmd {
	if m.home.dash == nil {
		return nil
	}
	return m.home.dash.Init()
}

// liveUpdate hands the dashboard its own messages: the refresher's updates
// and its spinner's ticks.
func (m *rootModel) liveUpdate(msg tea.Msg) (tea.Cmd, bool) {
	d := m.home.dash
	if d == nil {
		return nil, false
	}
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case liveStartedMsg, liveBatchMsg:
		cmd = d.Update(msg)
	case spinner.TickMsg:
		if msg.ID != d.spin.ID() {
			return nil, false
		}
		cmd = d.Update(msg)
	default:
		return nil, false
	}
	m.home.sync() // the home pane shows the same checks
	return cmd, true
}

// homeSection is the live part of the home screen's pane for one
// integration: the refresher's status, then each check with its result,
// age and a spinner while it runs, then the last few API calls.
func (m *dashboardModel) homeSection(iv app.IntegrationView, w int, now time.Time) []string {
	lines := []string{truncate(m.statusLine(now), w)}
	names := m.checkOrder(iv)
	if len(names) == 0 {
		lines = append(lines, m.c.styles.Muted.Render("  none yet"))
	}
	for _, name := range names {
		// A detail too long for the row goes under it, whole.
		row, detail := m.checkRow(checkKey{iv.Integration.ID, name}, now)
		if detail == "" || lipglossWidth(row)+1+lipglossWidth(detail) <= w {
			lines = append(lines, m.checkLine(checkKey{iv.Integration.ID, name}, w, now))
			continue
		}
		lines = append(lines, truncate(row, w))
		lines = append(lines, hangLines("      ", m.c.styles.Muted.Render(detail), w)...)
	}
	lines = append(lines, "")
	return append(lines, m.callLines(w, 4)...)
}
