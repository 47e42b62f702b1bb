package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// FleetBackend is implemented by backends that can sum up every profile
// of the database (app.Service does): the home screen then shows a
// profiles pane, and the fleet page lists them all.
type FleetBackend interface {
	Profiles(ctx context.Context) ([]app.ProfileSummary, error)
}

// profilesMsg carries the profiles' summaries.
type profilesMsg struct {
	list []app.ProfileSummary
	err  error
}

// switchProfileMsg asks to leave this profile for another: the caller
// starts patchbay again on it (Options.SwitchProfile).
type switchProfileMsg struct {
	profile   string
	dashboard bool // open its dashboard page rather than its home screen
}

// openFleetMsg asks the root to show the fleet page.
type openFleetMsg struct{}

// profilesPaneRows is how many profiles the home screen's pane lists at
// once; the fleet page (p) lists them all.
const profilesPaneRows = 5

// profileLoads runs the summaries' loads one at a time.
type profileLoads struct {
	inFlight, again bool
}

func (l *profileLoads) start(c *common) tea.Cmd {
	fb, ok := c.backend.(FleetBackend)
	if !ok {
		return nil
	}
	if l.inFlight {
		l.again = true
		return nil
	}
	l.inFlight = true
	ctx, d := c.ctx, c.loadTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		list, err := fb.Profiles(ctx)
		return profilesMsg{list: list, err: err}
	}
}

func (l *profileLoads) finish(c *common) tea.Cmd {
	l.inFlight = false
	if l.again {
		l.again = false
		return l.start(c)
	}
	return nil
}

// switchTo leaves the run for another profile, when the caller allows it.
// From the fleet page (fleet) any profile is another: the run is in none.
func switchTo(c *common, msg switchProfileMsg, fleet bool) (tea.Cmd, string) {
	if c.switchProfile == nil {
		return nil, "open it with patchbay --profile " + msg.profile
	}
	if msg.profile == c.profile && !fleet {
		return nil, "this is profile " + msg.profile
	}
	sw := c.switchProfile
	return tea.Sequence(func() tea.Msg {
		sw(msg.profile, msg.dashboard)
		return nil
	}, tea.Quit), ""
}

// profileRow is one profile in a line: name (marked when it is the one
// open), the state that most needs the admin, what needs attention, the
// soonest expiry when it is within the warning.
func profileRow(s *Styles, p app.ProfileSummary, now time.Time, width int, open bool) string {
	badge := s.StateBadge(p.Worst)
	extra := ""
	if p.Attention > 0 {
		extra += s.Error.Render(fmt.Sprintf(" !%d", p.Attention))
	}
	if p.SoonestExpiry != nil {
		days := int(p.SoonestExpiry.Sub(now).Hours() / 24)
		switch {
		case days < 0:
			extra += s.Error.Render(" expired")
		case days <= 30:
			extra += s.Warn.Render(fmt.Sprintf(" %dd", days))
		}
	}
	name := p.Name
	if open {
		name += " (open)"
	}
	nameW := max(width-lipglossWidth(badge)-lipglossWidth(extra)-1, 4)
	return padRight(truncate(name, nameW), nameW) + " " + badge + extra
}

// fleetModel is the fleet page: every profile of the database with each
// integration's state, what needs attention, the soonest expiry and the
// last live check (`patchbay dashboard --all-profiles`, or p from home).
type fleetModel struct {
	c      *common
	list   []app.ProfileSummary
	err    error
	loaded bool
	cursor int

	// backable: opened from the home screen, where esc goes back.
	backable bool

	width, height int
	vp            viewport.Model
	lines         []string
	header        string
}

func newFleetModel(c *common) *fleetModel {
	return &fleetModel{c: c, vp: viewport.New()}
}

func (m *fleetModel) SetSize(width, height int) {
	m.width, m.height = width, height
	m.sync()
}

func (m *fleetModel) SetProfiles(list []app.ProfileSummary, err error) {
	if err != nil {
		m.err = err
		return
	}
	var sel string
	if m.cursor < len(m.list) {
		sel = m.list[m.cursor].Name
	}
	m.list, m.err, m.loaded = list, nil, true
	m.cursor = 0
	for i, p := range list {
		if p.Name == sel {
			m.cursor = i
		}
	}
	m.sync()
}

func (m *fleetModel) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	keys := m.c.keys
	switch {
	case key.Matches(k, keys.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(k, keys.Down):
		m.cursor = min(m.cursor+1, max(len(m.list)-1, 0))
	case key.Matches(k, keys.Open):
		if m.cursor < len(m.list) {
			return emit(switchProfileMsg{profile: m.list[m.cursor].Name, dashboard: true})
		}
		return nil
	case key.Matches(k, keys.Refresh):
		return emit(refreshMsg{})
	default:
		return nil
	}
	m.sync()
	return nil
}

// Column widths of the fleet table.
const (
	fleetStateW  = 11 // "not started", "in progress"
	fleetAttW    = 9
	fleetExpiryW = 10 // a date
)

// sync builds the rows and keeps the cursor's row in view. Wide enough,
// each integration's state has a column; narrower, the state that most
// needs the admin stands for them all.
func (m *fleetModel) sync() {
	h := max(m.height-1, 0) // the column header stays put
	m.vp.SetWidth(m.width)
	m.vp.SetHeight(h)
	s := m.c.styles
	now := m.c.now()
	ids := steps.IntegrationIDs()
	nameW := 7
	for _, p := range m.list {
		nameW = max(nameW, min(lipglossWidth(p.Name), 24))
	}
	stateW := make([]int, len(ids))
	need := 2 + nameW + 1 + fleetAttW + 1 + fleetExpiryW + 1 + 10
	for i, id := range ids {
		stateW[i] = max(fleetStateW, len(id))
		need += stateW[i] + 1
	}
	wide := need <= m.width
	cols := []string{padRight("PROFILE", nameW)}
	if wide {
		for i, id := range ids {
			cols = append(cols, padRight(strings.ToUpper(id), stateW[i]))
		}
	} else {
		cols = append(cols, padRight("STATE", fleetStateW))
	}
	cols = append(cols, padRight("ATTENTION", fleetAttW), padRight("EXPIRY", fleetExpiryW), "LAST CHECK")
	m.header = s.Muted.Render(truncate("  "+strings.Join(cols, " "), m.width))
	m.lines = m.lines[:0]
	for i, p := range m.list {
		row := []string{padRight(truncate(p.Name, nameW), nameW)}
		if wide {
			for i, id := range ids {
				row = append(row, padRight(s.StateBadge(p.States[id]), stateW[i]))
			}
		} else {
			row = append(row, padRight(s.StateBadge(p.Worst), fleetStateW))
		}
		attention := fmt.Sprint(p.Attention)
		if p.Unchecked > 0 {
			attention += fmt.Sprintf(" +%d?", p.Unchecked)
		}
		attention = padRight(attention, fleetAttW)
		if p.Attention > 0 {
			attention = s.Error.Render(attention)
		}
		expiry, last := padRight("—", fleetExpiryW), "never"
		if p.SoonestExpiry != nil {
			expiry = p.SoonestExpiry.Format("2006-01-02")
			if p.SoonestExpiry.Sub(now) <= app.ExpiryWarning {
				expiry = s.Warn.Render(expiry)
			}
		}
		if p.LastLiveCheck != nil {
			last = ago(now, *p.LastLiveCheck)
		}
		text := strings.Join(append(row, attention, expiry, last), " ")
		if i == m.cursor {
			text = s.Selected.Render(padRight("▸ "+text, m.width))
		} else {
			text = "  " + text
		}
		m.lines = append(m.lines, truncate(text, m.width))
	}
	m.vp.SetContentLines(m.lines)
	if m.cursor < m.vp.YOffset() {
		m.vp.SetYOffset(m.cursor)
	} else if h > 0 && m.cursor >= m.vp.YOffset()+h {
		m.vp.SetYOffset(m.cursor - h + 1)
	}
}

func (m *fleetModel) View() string {
	s := m.c.styles
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	switch {
	case m.err != nil && !m.loaded:
		return fit(s.Error.Render("✗ ")+"Couldn't load the profiles: "+plainErr(m.err), m.width, m.height)
	case !m.loaded:
		return fit(s.Muted.Render("Loading the profiles…"), m.width, m.height)
	case len(m.list) == 0:
		return fit(s.Muted.Render("No profiles yet."), m.width, m.height)
	}
	return m.header + "\n" + strings.Join(visible(&m.vp, m.lines), "\n")
}

func (m *fleetModel) ShortHelp() []key.Binding {
	k := m.c.keys
	b := []key.Binding{key.NewBinding(key.WithKeys(k.Open.Keys()...), key.WithHelp(k.Open.Help().Key, "open its dashboard"))}
	if m.backable {
		b = append(b, k.Back)
	}
	return append(b, k.Move, k.Refresh)
}

func (m *fleetModel) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp()}
}
