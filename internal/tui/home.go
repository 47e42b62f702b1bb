package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// homePane is the pane of the home screen that has the keyboard.
type homePane int

const (
	paneIntegrations homePane = iota
	paneSteps
	paneDashboard
	// paneProfiles lists the database's profiles, above the integrations,
	// when there is more than one.
	paneProfiles
)

// verifyNowMsg asks the root to run the live checks now, for a step
// completed unverified.
type verifyNowMsg struct{}

// openStepMsg asks the root to open a step screen.
type openStepMsg struct {
	integration, step string
	setup             bool
	fromRotate        bool // a re-run chosen on the rotation screen, which it returns to
}

// homeModel is the home screen: the profile's integrations with their
// progress, the selected integration's steps, and the dashboard pane with
// what the store knows about it.
type homeModel struct {
	c      *common
	ov     app.Overview
	loaded bool
	err    error // the last overview load failed (the previous data stays)

	focus  homePane
	detail bool // the dashboard pane fills the screen (enter on it)
	integ  int
	step   int

	// profiles sums up every profile of the database (nil when the
	// backend cannot); prof is the profiles pane's selection.
	profiles []app.ProfileSummary
	prof     int

	// events indexes ov.Events per integration ID (profile-wide events are
	// in every list), newest first, so a render touches only visible rows.
	events map[string][]int

	width, height int

	// version counts overviews taken, for the render cache.
	version int
	cache   dashCache
	// pane scrolls the dashboard pane over paneLines; sync fills them when
	// what the pane shows changed.
	pane      viewport.Model
	paneLines []string

	// dash is the live dashboard (see dashboard_home.go); nil without a
	// refresher.
	dash *dashboardModel
}

// dashCache keeps the dashboard pane's rendered rows: a keypress that
// changes nothing the pane shows draws nothing again, and event rows are
// drawn once per overview, width and minute.
type dashCache struct {
	key    dashKey
	events map[int]string // event rows by position in the list
}

type dashKey struct {
	version, integ, width int
	focused               bool
	styles                *Styles
	minute                int64 // ages are shown to the minute
	live                  int   // the live dashboard's version
}

func newHomeModel(c *common) *homeModel {
	return &homeModel{c: c, events: map[string][]int{}, pane: viewport.New()}
}

func (m *homeModel) SetSize(width, height int) {
	m.width, m.height = width, height
	m.sync()
}

// SetOverview takes a freshly loaded overview, keeping the selection on the
// same integration and step where they still exist.
func (m *homeModel) SetOverview(ov app.Overview) {
	var selInteg, selStep string
	if iv, ok := m.selected(); ok {
		selInteg = iv.Integration.ID
		if m.step < len(iv.Steps) {
			selStep = iv.Steps[m.step].Step.ID
		}
	}
	m.ov, m.loaded, m.err = ov, true, nil
	m.integ, m.step = 0, 0
	for i, iv := range ov.Integrations {
		if iv.Integration.ID != selInteg {
			continue
		}
		m.integ = i
		for j, sv := range iv.Steps {
			if sv.Step.ID == selStep {
				m.step = j
			}
		}
	}
	m.events = make(map[string][]int, len(ov.Integrations))
	for i, ev := range ov.Events {
		if ev.Integration == "" {
			for _, iv := range ov.Integrations {
				m.events[iv.Integration.ID] = append(m.events[iv.Integration.ID], i)
			}
			continue
		}
		m.events[ev.Integration] = append(m.events[ev.Integration], i)
	}
	m.version++
	if m.dash != nil {
		m.dash.SetOverview(ov)
	}
	m.sync()
}

// SetProfiles takes the profiles' summaries; a failed load keeps the last.
func (m *homeModel) SetProfiles(list []app.ProfileSummary, err error) {
	if err != nil {
		return
	}
	sel := m.c.profile
	if m.prof < len(m.profiles) && m.profiles != nil {
		sel = m.profiles[m.prof].Name
	}
	m.profiles, m.prof = list, 0
	for i, p := range list {
		if p.Name == sel {
			m.prof = i
		}
	}
	if !m.showProfiles() && m.focus == paneProfiles {
		m.focus = paneIntegrations
	}
	m.version++
	m.sync()
}

// showProfiles: the profiles pane is shown when there is more than one.
func (m *homeModel) showProfiles() bool { return len(m.profiles) > 1 }

// panes are the panes tab moves through, in screen order.
func (m *homeModel) panes() []homePane {
	if m.showProfiles() {
		return []homePane{paneProfiles, paneIntegrations, paneSteps, paneDashboard}
	}
	return []homePane{paneIntegrations, paneSteps, paneDashboard}
}

// cycle moves the focus d panes on, wrapping.
func (m *homeModel) cycle(d int) {
	ps := m.panes()
	i := 0
	for j, p := range ps {
		if p == m.focus {
			i = j
		}
	}
	m.focus = ps[(i+d+len(ps))%len(ps)]
}

// SetError records a failed load; what was shown before stays on screen.
func (m *homeModel) SetError(err error) {
	m.err = err
	m.sync()
}

// Select moves the selection to an integration (and a step of it, if given).
func (m *homeModel) Select(integration, step string) {
	for i, iv := range m.ov.Integrations {
		if iv.Integration.ID != integration {
			continue
		}
		m.integ, m.step = i, 0
		for j, sv := range iv.Steps {
			if sv.Step.ID == step {
				m.step = j
			}
		}
	}
	m.sync()
}

func (m *homeModel) selected() (app.IntegrationView, bool) {
	if m.integ < 0 || m.integ >= len(m.ov.Integrations) {
		return app.IntegrationView{}, false
	}
	return m.ov.Integrations[m.integ], true
}

func (m *homeModel) Update(msg tea.Msg) tea.Cmd {
	kmsg, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	cmd := m.key(kmsg)
	m.sync()
	return cmd
}

func (m *homeModel) key(kmsg tea.KeyPressMsg) tea.Cmd {
	k := m.c.keys
	iv, have := m.selected()
	if m.detail {
		switch {
		case key.Matches(kmsg, k.Back), key.Matches(kmsg, k.Open):
			m.detail = false
		case key.Matches(kmsg, k.Up):
			m.move(-1)
		case key.Matches(kmsg, k.Down):
			m.move(1)
		case key.Matches(kmsg, k.Refresh):
			break // handled below, like everywhere on home
		default:
			return nil
		}
		if !key.Matches(kmsg, k.Refresh) {
			return nil
		}
	}
	switch {
	case key.Matches(kmsg, k.Refresh):
		if m.dash != nil {
			return tea.Batch(emit(refreshMsg{}), triggerLive(m.dash.live))
		}
		return emit(refreshMsg{})
	case !have:
		return nil
	case key.Matches(kmsg, k.NextPane):
		m.cycle(1)
	case key.Matches(kmsg, k.PrevPane):
		m.cycle(-1)
	case key.Matches(kmsg, k.Profiles):
		if m.profiles != nil {
			return emit(openFleetMsg{})
		}
	case key.Matches(kmsg, k.Up):
		m.move(-1)
	case key.Matches(kmsg, k.Down):
		m.move(1)
	case key.Matches(kmsg, k.Open):
		switch m.focus {
		case paneIntegrations:
			m.focus = paneSteps
		case paneSteps:
			if m.step < len(iv.Steps) {
				return emit(openStepMsg{integration: iv.Integration.ID, step: iv.Steps[m.step].Step.ID})
			}
		case paneDashboard:
			m.detail = true
		case paneProfiles:
			if m.prof < len(m.profiles) {
				return emit(switchProfileMsg{profile: m.profiles[m.prof].Name})
			}
		}
	case key.Matches(kmsg, k.Dash):
		return emit(openDashboardMsg{})
	case key.Matches(kmsg, k.Rotate):
		return m.rotateKey()
	case key.Matches(kmsg, k.Revoked):
		// The rotation screen says where to revoke, then v confirms.
		if integration, k, ok := m.revocable(); ok {
			return emit(openRotateMsg{integration: integration, key: k})
		}
	case key.Matches(kmsg, k.Setup):
		next := iv.NextStep
		if next == "" && len(iv.Steps) > 0 {
			// Everything is done: setup walks it again from the start.
			next = iv.Steps[0].Step.ID
		}
		if next != "" {
			return emit(openStepMsg{integration: iv.Integration.ID, step: next, setup: true})
		}
	}
	return nil
}

func (m *homeModel) move(d int) {
	switch m.focus {
	case paneIntegrations:
		n := len(m.ov.Integrations)
		if n == 0 {
			return
		}
		if i := clamp(m.integ+d, 0, n-1); i != m.integ {
			m.integ, m.step = i, 0
			m.pane.GotoTop()
		}
	case paneSteps:
		iv, _ := m.selected()
		if n := len(iv.Steps); n > 0 {
			m.step = clamp(m.step+d, 0, n-1)
		}
	case paneProfiles:
		if n := len(m.profiles); n > 0 {
			m.prof = clamp(m.prof+d, 0, n-1)
		}
	case paneDashboard:
		if d < 0 {
			m.pane.ScrollUp(-d)
		} else {
			m.pane.ScrollDown(d)
		}
	}
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// openHelp says what enter does in the focused pane.
func (m *homeModel) openHelp() key.Binding {
	k := m.c.keys
	what := "open"
	switch m.focus {
	case paneIntegrations:
		what = "steps"
	case paneDashboard:
		what = "details"
	case paneProfiles:
		what = "switch"
	}
	return key.NewBinding(key.WithKeys(k.Open.Keys()...), key.WithHelp(k.Open.Help().Key, what))
}

func (m *homeModel) ShortHelp() []key.Binding {
	k := m.c.keys
	if m.detail {
		return []key.Binding{k.Scroll, k.Back, k.Refresh}
	}
	// Most specific first: when the bar is short, the keys everyone
	// guesses (arrows, tab, r) give way first; ? lists them all.
	b := append([]key.Binding{m.openHelp(), k.Setup}, m.rotateHelp()...)
	if iv, ok := m.selected(); ok && len(unverifiedSteps(iv)) > 0 {
		// r runs the live checks, which verify what was not.
		return append([]key.Binding{k.VerifyNow}, append(b, k.NextPane, k.Move)...)
	}
	return append(b, k.NextPane, k.Move, k.Refresh)
}

func (m *homeModel) FullHelp() [][]key.Binding {
	k := m.c.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.NextPane, k.PrevPane},
		{
			key.NewBinding(key.WithKeys(k.Open.Keys()...), key.WithHelp(k.Open.Help().Key, "open the selected step")),
			key.NewBinding(key.WithKeys(k.Setup.Keys()...), key.WithHelp(k.Setup.Help().Key, "guided setup from the next step")),
			key.NewBinding(key.WithKeys(k.Refresh.Keys()...), key.WithHelp(k.Refresh.Help().Key, "refresh now")),
			key.NewBinding(key.WithKeys(k.Rotate.Keys()...), key.WithHelp(k.Rotate.Help().Key, "rotate the selected step's secret")),
			key.NewBinding(key.WithKeys(k.Revoked.Keys()...), key.WithHelp(k.Revoked.Help().Key, "confirm the old secret revoked")),
			key.NewBinding(key.WithKeys(k.Dash.Keys()...), key.WithHelp(k.Dash.Help().Key, "the dashboard, full screen")),
			key.NewBinding(key.WithKeys(k.Profiles.Keys()...), key.WithHelp(k.Profiles.Help().Key, "every profile (customer) at a glance")),
		},
	}
}

// View.

func (m *homeModel) View() string {
	s := m.c.styles
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if !m.loaded {
		if m.err != nil {
			return fit(s.Error.Render("✗ ")+"Couldn't load the profile: "+plainErr(m.err)+"\n"+s.Muted.Render(m.c.keys.Refresh.Help().Key+" tries again · "+m.c.keys.Quit.Help().Key+" quits"), m.width, m.height)
		}
		return fit(s.Muted.Render("Loading the profile…"), m.width, m.height)
	}
	if len(m.ov.Integrations) == 0 {
		return fit(s.Muted.Render("No integrations in this profile."), m.width, m.height)
	}

	if m.detail {
		// The dashboard pane alone, at the full width: nothing cut.
		return fit(strings.Join(visible(&m.pane, m.paneLines), "\n"), m.width, m.height)
	}
	// Side by side from 60 columns; stacked below that.
	if m.width >= 60 {
		leftW := clamp(m.width*9/20, 34, 60)
		rightW := m.width - leftW - 3
		left := m.leftLines(leftW, m.height)
		right := visible(&m.pane, m.paneLines)
		sep := s.Divider.Render(" │ ")
		var b strings.Builder
		for i := 0; i < m.height; i++ {
			if i > 0 {
				b.WriteByte('\n')
			}
			l, r := "", ""
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			b.WriteString(padRight(l, leftW))
			b.WriteString(sep)
			b.WriteString(truncate(r, rightW))
		}
		return b.String()
	}
	lines := m.leftLines(m.width, m.height)
	if _, h := m.paneSize(); h > 0 {
		lines = append(lines, s.Divider.Render(strings.Repeat("─", m.width)))
		lines = append(lines, visible(&m.pane, m.paneLines)...)
	}
	return fit(strings.Join(lines, "\n"), m.width, m.height)
}

// paneSize is the dashboard pane's share of the screen: beside the lists
// from 60 columns, below them (when there is room) under that.
func (m *homeModel) paneSize() (w, h int) {
	if m.detail {
		return m.width, m.height
	}
	if m.width >= 60 {
		return m.width - clamp(m.width*9/20, 34, 60) - 3, m.height
	}
	rest := m.height - len(m.leftLines(m.width, m.height)) - 1
	if rest <= 2 {
		return m.width, 0
	}
	return m.width, rest
}

func (m *homeModel) paneTitle(p homePane, text string) string {
	if m.focus == p {
		return m.c.styles.PaneActive.Render(text)
	}
	return m.c.styles.PaneTitle.Render(text)
}

func (m *homeModel) row(p homePane, selected bool, text string, width int) string {
	s := m.c.styles
	// One cursor on screen: the focused pane's. The other pane's selection
	// is only emphasised.
	switch {
	case selected && m.focus == p:
		return s.Selected.Render(padRight("▸ "+text, width))
	case selected:
		return s.SelectedDim.Render(padRight("  "+text, width))
	}
	return "  " + text
}

// leftLines is the integrations pane and, below it, the selected
// integration's steps.
func (m *homeModel) leftLines(w, h int) []string {
	s := m.c.styles
	var lines []string
	if m.showProfiles() {
		lines = append(lines, m.paneTitle(paneProfiles, fmt.Sprintf("Profiles (%d) · %s all", len(m.profiles), m.c.keys.Profiles.Help().Key)))
		first := clamp(m.prof-profilesPaneRows+1, 0, max(len(m.profiles)-profilesPaneRows, 0))
		now := m.c.now()
		for i := first; i < len(m.profiles) && i < first+profilesPaneRows; i++ {
			p := m.profiles[i]
			text := profileRow(s, p, now, w-2, p.Name == m.c.profile)
			lines = append(lines, m.row(paneProfiles, i == m.prof, text, w))
		}
		lines = append(lines, "")
	}
	lines = append(lines, m.paneTitle(paneIntegrations, "Integrations"))
	for i, iv := range m.ov.Integrations {
		progress := fmt.Sprintf("%d/%d", iv.Done, iv.Total)
		badge := s.StateBadge(iv.State)
		nameW := max(w-2-1-5-1-lipglossWidth(badge), 4)
		text := padRight(iv.Integration.ID, nameW) + " " + padRight(progress, 5) + " " + badge
		lines = append(lines, m.row(paneIntegrations, i == m.integ, text, w))
	}
	iv, _ := m.selected()
	lines = append(lines, "", m.paneTitle(paneSteps, truncate("Steps · "+iv.Integration.ID, w)))
	room := h - len(lines)
	first := 0
	if room > 0 && m.step >= room {
		first = m.step - room + 1
	}
	for j := first; j < len(iv.Steps) && len(lines) < h; j++ {
		sv := iv.Steps[j]
		badge := s.ProofBadge(sv.Status, sv.Proof)
		titleW := max(w-2-1-lipglossWidth(badge), 4)
		text := padRight(sv.Step.Title, titleW) + " " + badge
		lines = append(lines, m.row(paneSteps, j == m.step, text, w))
	}
	return lines
}

// sync fills the dashboard pane when what it shows changed: the overview,
// the selection, the focus, the size, the styles, the live checks, or the
// minute its ages count in. A scroll alone draws nothing again: the
// viewport moves over the rows it has.
func (m *homeModel) sync() {
	w, h := m.paneSize()
	m.pane.SetWidth(w)
	m.pane.SetHeight(h)
	if !m.loaded || w <= 0 || h <= 0 {
		return
	}
	now := m.c.now()
	key := dashKey{version: m.version, integ: m.integ, width: w, focused: m.focus == paneDashboard,
		styles: m.c.styles, minute: now.Unix() / 60}
	if m.dash != nil {
		key.live = m.dash.version
	}
	if m.cache.key == key && m.cache.events != nil {
		return
	}
	sameEvents := m.cache.key.version == key.version && m.cache.key.integ == key.integ && m.cache.key.width == key.width &&
		m.cache.key.styles == key.styles && m.cache.key.minute == key.minute
	if !sameEvents || m.cache.events == nil {
		m.cache.events = map[int]string{}
	}
	m.cache.key = key
	lines := m.dashboardFixed(w, now)
	iv, _ := m.selected()
	for j, ev := range m.events[iv.Integration.ID] {
		row, ok := m.cache.events[j]
		if !ok {
			row = m.eventLine(m.ov.Events[ev], now, w)
			m.cache.events[j] = row
		}
		lines = append(lines, row)
	}
	m.paneLines = lines
	m.pane.SetContentLines(lines)
}

// dashboardFixed renders the dashboard rows above the events.
func (m *homeModel) dashboardFixed(w int, now time.Time) []string {
	s := m.c.styles
	iv, _ := m.selected()
	fixed := []string{m.paneTitle(paneDashboard, truncate(iv.Integration.Name, w))}
	summary := fmt.Sprintf("%s · %d/%d done", s.StateBadge(iv.State), iv.Done, iv.Total)
	if next := m.stepTitle(iv, iv.NextStep); next != "" {
		summary += " · next: " + next
	}
	fixed = append(fixed, wrapLines(summary, w)...)
	for _, a := range iv.Attention {
		fixed = append(fixed, wrapLines(s.Warn.Render("! ")+termsafe.String(a), w)...)
	}
	for _, sv := range unverifiedSteps(iv) {
		fixed = append(fixed, hangLines(s.ProofStyle(steps.ProofUnverified).Render("? "),
			sv.Step.Title+" is unverified: "+m.c.keys.VerifyNow.Help().Key+" checks it now", w)...)
	}
	if m.fresh(iv) {
		return append(fixed, m.startHere(iv, w)...)
	}

	backend := m.ov.SecretsBackend
	fixed = append(fixed, "", s.PaneTitle.Render("Secrets"))
	if len(iv.Secrets) == 0 {
		fixed = append(fixed, s.Muted.Render("  none stored yet"))
	}
	for _, sec := range iv.Secrets {
		b := sec.Backend
		if b == "" {
			b = backend
		}
		fixed = append(fixed, hangLines("  ", fmt.Sprintf("%s ····%s · %s · %s", sec.Key, sec.Last4, b, createdAgo(now, sec.CreatedAt)), w)...)
		fixed = append(fixed, hangLines("    ", m.secretStatus(sec, now), w)...)
	}

	fixed = append(fixed, "")
	if m.dash != nil {
		// The checks as the refresher runs them, with the call log.
		fixed = append(fixed, m.dash.homeSection(iv, w, now)...)
		iv.Checks = nil
	} else {
		fixed = append(fixed, s.PaneTitle.Render("Last checks"))
		if len(iv.Checks) == 0 {
			fixed = append(fixed, s.Muted.Render("  none yet"))
		}
	}
	for _, ch := range iv.Checks {
		line := fmt.Sprintf("%s %s · %s", ch.Name, s.LiveResult(ch.Result), ago(now, ch.CheckedAt))
		fixed = append(fixed, hangLines("  ", line, w)...)
		if ch.Detail != "" {
			fixed = append(fixed, hangLines("    ", s.Muted.Render(termsafe.String(ch.Detail)), w)...)
		}
	}

	fixed = append(fixed, "", s.PaneTitle.Render("Recent events"))
	if len(m.events[iv.Integration.ID]) == 0 {
		fixed = append(fixed, s.Muted.Render("  none yet"))
	}
	return fixed
}

func (m *homeModel) eventLine(ev app.EventView, now time.Time, w int) string {
	s := m.c.styles
	what := termsafe.String(ev.Summary)
	if what == "" {
		what = ev.Kind
	}
	if ev.Step != "" {
		what = ev.Step + ": " + what
	}
	return truncate("  "+s.Muted.Render(padRight(age(now, ev.At), 4))+" "+what, w)
}

func (m *homeModel) secretStatus(sec app.SecretView, now time.Time) string {
	s := m.c.styles
	var parts []string
	if left, ok := sec.ExpiresIn(now); ok {
		days := int(left.Hours() / 24)
		switch {
		case left <= 0:
			parts = append(parts, s.Error.Render("expired "+age(now, sec.ExpiresAt)+" ago ⚠"))
		case left < 30*24*time.Hour:
			parts = append(parts, s.Warn.Render(fmt.Sprintf("expires in %dd ⚠", days)))
		default:
			parts = append(parts, fmt.Sprintf("expires in %dd", days))
		}
	}
	live := s.LiveResult(sec.Live)
	if !sec.LastVerifiedAt.IsZero() {
		live += " " + ago(now, sec.LastVerifiedAt)
	}
	parts = append(parts, live)
	if sec.HasPrevious {
		parts = append(parts, s.Warn.Render("old one kept until revoked")+s.Muted.Render(" ("+m.c.keys.Revoked.Help().Key+" confirms)"))
	}
	return strings.Join(parts, " · ")
}

// fresh reports whether nothing of the integration happened yet: no step,
// no secret, no event. Its pane then says what to do first.
func (m *homeModel) fresh(iv app.IntegrationView) bool {
	return iv.Done == 0 && iv.State == steps.StateNotStarted && len(iv.Secrets) == 0 && len(m.events[iv.Integration.ID]) == 0
}

// startHere is a fresh integration's pane: what it does, what the article
// asks before starting, and the key that starts it.
func (m *homeModel) startHere(iv app.IntegrationView, w int) []string {
	s := m.c.styles
	in := iv.Integration
	first := ""
	if len(iv.Steps) > 0 {
		first = iv.Steps[0].Step.Title
	}
	// What to do first comes first: a small terminal still shows it.
	lines := []string{"", s.Title.Render("Start here")}
	lines = append(lines, hangLines("  ", fmt.Sprintf("%s starts the guided setup, %d steps, from step 1: %s.",
		s.Number.Render(m.c.keys.Setup.Help().Key), iv.Total, first), w)...)
	if len(in.Prerequisites) > 0 {
		lines = append(lines, "", s.PaneTitle.Render("Before you start"))
		for _, p := range in.Prerequisites {
			lines = append(lines, hangLines("  • ", p, w)...)
		}
	}
	lines = append(lines, "")
	lines = append(lines, wrapLines(s.Muted.Render(in.Summary), w)...)
	lines = append(lines, "", s.Muted.Render(wrap("Its secrets, live checks and events show here as you go.", max(w, 1))))
	return lines
}

// unverifiedSteps are the integration's steps completed while their vendor
// could not be reached.
func unverifiedSteps(iv app.IntegrationView) []app.StepView {
	var out []app.StepView
	for _, sv := range iv.Steps {
		if sv.Status == steps.StatusDone && sv.Proof == steps.ProofUnverified {
			out = append(out, sv)
		}
	}
	return out
}

// createdAgo words a secret's age: "710d old", "just created" (never
// "now old").
func createdAgo(now, t time.Time) string {
	switch a := age(now, t); a {
	case "never":
		return "age unknown"
	case "now":
		return "just created"
	default:
		return a + " old"
	}
}

func (m *homeModel) stepTitle(iv app.IntegrationView, id string) string {
	if id == "" {
		return ""
	}
	if st, ok := iv.Integration.Step(id); ok {
		return st.Title
	}
	return id
}

func wrapLines(s string, w int) []string {
	return strings.Split(wrap(s, max(w, 1)), "\n")
}
