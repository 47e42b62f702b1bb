package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/app"
)

// screen is which screen the root shows.
type screen int

const (
	screenHome screen = iota
	screenStep
	screenRotate
	screenDashboard // the live dashboard, full screen
	screenFleet     // every profile of the database
)

// pendingNext remembers, after a step was finished in guided setup, to open
// the integration's next step once an overview loaded after the write
// arrives.
type pendingNext struct {
	integration, after string
	setup              bool
	minGen             int
}

// rootModel routes: window sizes go to every child, global keys are handled
// here, everything else goes to the active screen. It owns the overview and
// its refreshes (one at a time; a newer answer wins).
type rootModel struct {
	c      *common
	screen screen
	home   *homeModel
	step   *stepModel
	rotate *rotateModel
	fleet  *fleetModel
	seq    int // last step (or rotation) screen number

	mode             Mode
	startIntegration string
	startStep        string
	started          bool

	help     help.Model
	fullHelp bool

	loads     overviewLoads
	profLoads profileLoads
	tickGen   int // the live refresh timer; older ticks are dropped
	loadedAt  time.Time
	refreshed bool

	next *pendingNext

	quitAfterSave bool
	flash         string
}

func newRootModel(c *common, mode Mode, integration, step string) *rootModel {
	m := &rootModel{
		c:                c,
		home:             newHomeModel(c),
		fleet:            newFleetModel(c),
		mode:             mode,
		startIntegration: integration,
		startStep:        step,
		help:             help.New(),
	}
	m.help.Styles = c.styles.Help
	switch mode {
	case ModeDashboard, ModeHomeDashboard:
		m.screen = screenDashboard
	case ModeFleet:
		m.screen = screenFleet
	}
	m.fleet.backable = mode != ModeFleet
	return m
}

func (m *rootModel) Init() tea.Cmd {
	cmds := []tea.Cmd{m.refresh(), refreshTick(m.c, m.tickGen), m.liveInit()}
	if !m.c.plain {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// refresh loads the overview unless a load is already running, in which case
// one more runs when it returns: refreshes never overlap.
func (m *rootModel) refresh() tea.Cmd {
	return tea.Batch(m.loads.start(m.c), m.profLoads.start(m.c))
}

func (m *rootModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if cmd, ok := m.liveUpdate(msg); ok {
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.width, m.c.height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.BackgroundColorMsg:
		if !m.c.plain {
			m.c.styles = NewStyles(msg.IsDark())
			m.help.Styles = m.c.styles.Help
			if m.step != nil {
				m.step.spin.Style = m.c.styles.Spinner
				m.step.layout()
			}
			if m.home.dash != nil {
				m.home.dash.SetStyles()
			}
			m.home.sync()
		}
		return m, nil
	case tea.KeyPressMsg:
		// A notice lasts until the next key, except the one about quitting.
		if !m.quitAfterSave {
			m.flash = ""
		}
		if cmd, handled := m.globalKey(msg); handled {
			return m, cmd
		}
	case overviewMsg:
		return m, m.onOverview(msg)
	case profilesMsg:
		m.home.SetProfiles(msg.list, msg.err)
		m.fleet.SetProfiles(msg.list, msg.err)
		return m, m.profLoads.finish(m.c)
	case switchProfileMsg:
		cmd, why := switchTo(m.c, msg, m.screen == screenFleet)
		if why != "" {
			m.flash = why
		}
		return m, cmd
	case openFleetMsg:
		m.flash = ""
		m.screen = screenFleet
		m.fullHelp = false
		m.resize()
		return m, nil
	case refreshMsg:
		return m, m.refresh()
	case verifyNowMsg:
		if m.home.dash == nil || m.home.dash.live == nil {
			m.flash = "live checks do not run here: patchbay status --live verifies"
			return m, nil
		}
		m.flash = "checking now: an unverified step turns verified when its vendor accepts it"
		return m, tea.Batch(m.refresh(), triggerLive(m.home.dash.live))
	case refreshTickMsg:
		if msg.gen != m.tickGen {
			return m, nil
		}
		return m, tea.Batch(m.refresh(), refreshTick(m.c, m.tickGen))
	case openStepMsg:
		m.flash = ""
		if !msg.fromRotate {
			m.rotate = nil
		}
		// A re-run chosen on the rotation screen comes back to it.
		cmd := m.openStep(msg.integration, msg.step, msg.setup)
		if m.step != nil && msg.fromRotate {
			m.step.backTo = "back to the rotation"
		}
		return m, cmd
	case openRotateMsg:
		m.flash = ""
		return m, m.openRotate(msg)
	case openDashboardMsg:
		m.flash = ""
		m.screen = screenDashboard
		m.fullHelp = false
		m.resize()
		return m, nil
	case closeRotateMsg:
		m.closeRotate()
		return m, m.refresh()
	case closeStepMsg:
		m.closeStep()
		return m, m.refresh()
	case stepFinishedMsg:
		m.next = &pendingNext{integration: msg.integration, after: msg.step, setup: msg.setup, minGen: m.loads.gen + 1}
		// A completed step may add a live check (a new key, a stage): run
		// the checks now rather than at the next tick.
		var live tea.Cmd
		if m.home.dash != nil && m.home.dash.live != nil {
			live = triggerLive(m.home.dash.live)
		}
		return m, tea.Batch(m.refresh(), live)
	case completeMsg:
		var cmd tea.Cmd
		if m.step != nil {
			cmd = m.step.Update(msg)
		}
		if m.quitAfterSave {
			return m, tea.Quit
		}
		return m, cmd
	}

	switch m.screen {
	case screenStep:
		if m.step != nil {
			return m, m.step.Update(msg)
		}
	case screenRotate:
		if m.rotate != nil {
			return m, m.rotate.Update(msg)
		}
	case screenFleet:
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.c.keys.Back) && m.mode != ModeFleet {
			m.screen = screenHome
			m.resize()
			return m, nil
		}
		return m, m.fleet.Update(msg)
	case screenDashboard:
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.c.keys.Back) && m.mode != ModeDashboard {
			// Opened from home: esc goes back there.
			m.screen = screenHome
			m.resize()
			return m, nil
		}
		if m.home.dash != nil {
			return m, m.home.dash.Update(msg)
		}
	default:
		return m, m.home.Update(msg)
	}
	return m, nil
}

// globalKey handles the keys that mean the same on every screen.
func (m *rootModel) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.c.keys
	capturing := m.screen == screenStep && m.step != nil && m.step.capturesKeys() || m.rotateCaptures()
	switch {
	case key.Matches(msg, k.ForceQuit):
		return m.quit(), true
	case capturing:
		return nil, false
	case key.Matches(msg, k.Quit):
		return m.quit(), true
	case key.Matches(msg, k.Help):
		m.fullHelp = !m.fullHelp
		m.resize()
		return nil, true
	case m.fullHelp && key.Matches(msg, k.Back):
		m.fullHelp = false
		m.resize()
		return nil, true
	}
	return nil, false
}

// quit leaves at once, except while a step's one write is in flight: then it
// waits for the write to finish (a second ctrl+c leaves anyway; the backend
// makes the write atomic either way). A running live check is cancelled: it
// writes nothing.
func (m *rootModel) quit() tea.Cmd {
	if m.step != nil && m.step.writing() {
		if m.quitAfterSave {
			return tea.Quit
		}
		m.quitAfterSave = true
		m.flash = "saving… patchbay quits when the save is done (" + m.c.keys.ForceQuit.Help().Key + " again quits now)"
		return nil
	}
	if m.step != nil {
		m.step.abortCheck()
	}
	return tea.Quit
}

func (m *rootModel) onOverview(msg overviewMsg) tea.Cmd {
	stale, next := m.loads.finish(m.c, msg.gen)
	if stale {
		return nil // an older load; a newer one is on its way
	}
	cmds := []tea.Cmd{next}
	if msg.err != nil {
		m.home.SetError(msg.err)
		m.flash = "couldn't refresh: " + plainErr(msg.err)
		return tea.Batch(cmds...)
	}
	m.home.SetOverview(msg.ov)
	if m.rotate != nil {
		if iv, ok := findIntegration(msg.ov, m.rotate.integ); ok {
			m.rotate.SetIntegration(iv)
		}
	}
	m.loadedAt = m.c.now()
	m.refreshed = true
	if m.flash != "" && strings.HasPrefix(m.flash, "couldn't refresh") {
		m.flash = ""
	}
	if !m.started {
		m.started = true
		cmds = append(cmds, m.start(msg.ov))
	}
	if m.next != nil && msg.gen >= m.next.minGen {
		cmds = append(cmds, m.goOn(msg.ov))
	}
	return tea.Batch(cmds...)
}

// start opens the screen the run was started for.
func (m *rootModel) start(ov app.Overview) tea.Cmd {
	if m.mode == ModeHome || m.startIntegration == "" {
		return nil
	}
	iv, ok := findIntegration(ov, m.startIntegration)
	if !ok {
		m.flash = "unknown integration " + m.startIntegration
		return nil
	}
	m.home.Select(iv.Integration.ID, m.startStep)
	step := m.startStep
	setup := m.mode == ModeSetup
	if step == "" {
		step = iv.NextStep
		if step == "" {
			m.flash = iv.Integration.Name + " is already set up: " + m.c.keys.Setup.Help().Key + " walks it again, " + m.c.keys.Open.Help().Key + " re-runs one step"
			return nil
		}
	}
	return m.openStep(iv.Integration.ID, step, setup)
}

// goOn follows a finished step: the next step in guided setup, else home.
func (m *rootModel) goOn(ov app.Overview) tea.Cmd {
	next := m.next
	m.next = nil
	iv, ok := findIntegration(ov, next.integration)
	if next.setup && ok && iv.NextStep != "" && iv.NextStep != next.after {
		return m.openStep(iv.Integration.ID, iv.NextStep, true)
	}
	m.closeStep()
	if m.rotate != nil {
		return nil // back on the rotation screen, which says what is left
	}
	if ok {
		m.home.Select(iv.Integration.ID, next.after)
		if next.setup && iv.NextStep == "" {
			m.flash = "✓ " + iv.Integration.Name + " is set up"
		} else if st, found := iv.Integration.Step(next.after); found {
			m.flash = "✓ " + st.Title + " done"
		}
	}
	return nil
}

func findIntegration(ov app.Overview, id string) (app.IntegrationView, bool) {
	for _, iv := range ov.Integrations {
		if iv.Integration.ID == id {
			return iv, true
		}
	}
	return app.IntegrationView{}, false
}

func (m *rootModel) openStep(integration, step string, setup bool) tea.Cmd {
	iv, ok := findIntegration(m.home.ov, integration)
	if !ok {
		m.flash = "unknown integration " + integration
		return nil
	}
	m.seq++
	sm, ok := newStepModel(m.c, m.seq, iv, step, setup)
	if !ok {
		m.flash = integration + " has no step " + step
		return nil
	}
	if m.step != nil {
		m.step.abortCheck()
	}
	m.step = sm
	m.screen = screenStep
	m.fullHelp = false
	m.resize()
	return sm.Init()
}

func (m *rootModel) closeStep() {
	if m.step != nil {
		m.step.abortCheck()
		m.home.Select(m.step.integ.ID, m.step.step.ID)
		// Back on the step just left: enter opens it (or the next one).
		m.home.focus, m.home.detail = paneSteps, false
	}
	m.step = nil
	m.screen = screenHome
	if m.rotate != nil {
		m.screen = screenRotate
	}
	m.resize()
}

// resize hands every child its share of the screen.
func (m *rootModel) resize() {
	w, h := m.c.width, m.bodyHeight()
	m.help.SetWidth(w)
	m.home.SetSize(w, h)
	m.fleet.SetSize(w, h)
	if m.home.dash != nil {
		m.home.dash.SetSize(w, h)
	}
	if m.step != nil {
		m.step.SetSize(w, h)
	}
	if m.rotate != nil {
		m.rotate.SetSize(w, h)
	}
}

func (m *rootModel) bodyHeight() int {
	return max(m.c.height-1-m.helpHeight(), 0)
}

func (m *rootModel) helpHeight() int {
	if !m.fullHelp {
		return 1
	}
	return lipglossHeight(m.fullHelpView())
}

func lipglossHeight(s string) int { return strings.Count(s, "\n") + 1 }

func (m *rootModel) active() component {
	if m.screen == screenStep && m.step != nil {
		return m.step
	}
	if m.screen == screenRotate && m.rotate != nil {
		return m.rotate
	}
	if m.screen == screenDashboard && m.home.dash != nil {
		return m.home.dash
	}
	if m.screen == screenFleet {
		return m.fleet
	}
	return m.home
}

func (m *rootModel) globalBindings() []key.Binding {
	k := m.c.keys
	if m.screen == screenStep && m.step != nil && m.step.capturesKeys() || m.rotateCaptures() {
		return []key.Binding{k.ForceQuit}
	}
	return []key.Binding{k.Help, k.Quit}
}

func (m *rootModel) fullHelpView() string {
	groups := append(m.active().FullHelp(), []key.Binding{m.c.keys.Help, m.c.keys.Quit, m.c.keys.ForceQuit})
	return m.help.FullHelpView(groups)
}

func (m *rootModel) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "patchbay"
	switch m.screen {
	case screenDashboard:
		v.WindowTitle = "patchbay dashboard"
	case screenFleet:
		v.WindowTitle = "patchbay · all profiles"
	}
	return v
}

// render draws the screen: a header line, the active screen, and the help.
func (m *rootModel) render() string {
	w, h := m.c.width, m.c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.headerLine(w))
	body := ""
	switch m.screen {
	case screenStep:
		if m.step != nil {
			body = m.step.View()
		}
	case screenRotate:
		if m.rotate != nil {
			body = m.rotate.View()
		}
	case screenDashboard:
		if m.home.dash != nil {
			body = m.home.dash.View()
		}
	case screenFleet:
		body = m.fleet.View()
	default:
		body = m.home.View()
	}
	// Screens keep their lines within the width they were given (SetSize):
	// measuring every line again here would double the cost of a frame.
	bh := m.bodyHeight()
	lines := strings.Split(body, "\n")
	if len(lines) > bh {
		lines = lines[:bh]
	}
	for len(lines) < bh {
		lines = append(lines, "")
	}
	if bh > 0 {
		b.WriteString("\n" + strings.Join(lines, "\n"))
	}
	var helpView string
	if m.fullHelp {
		helpView = m.fullHelpView()
	} else {
		helpView = m.shortHelpView(w)
	}
	b.WriteString("\n" + fit(helpView, w, max(h-1-bh, 1)))
	return b.String()
}

// shortHelpView is the one-line help: the screen's keys as room allows,
// then the global ones (? help, q quit), which never give way: the screen's
// keys are cut first, and ? lists them all.
func (m *rootModel) shortHelpView(w int) string {
	global := m.help.ShortHelpView(m.globalBindings())
	sep := m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator)
	room := w - lipglossWidth(global) - lipglossWidth(sep)
	if room < 8 {
		return global
	}
	local := m.fitHelp(m.active().ShortHelp(), room)
	if local == "" {
		return global
	}
	return local + sep + global
}

// fitHelp renders as many of the bindings as fit in width, with "…" when
// some were left out. (help.Model's own cut lets the last item overflow
// when no ellipsis fits.)
func (m *rootModel) fitHelp(bindings []key.Binding, width int) string {
	h := m.help // a copy: View changes nothing
	h.SetWidth(0)
	for n := len(bindings); n > 0; n-- {
		v := h.ShortHelpView(bindings[:n])
		if n < len(bindings) {
			v += " " + h.Styles.Ellipsis.Render(h.Ellipsis)
		}
		if lipglossWidth(v) <= width {
			return v
		}
	}
	return ""
}

func (m *rootModel) headerLine(w int) string {
	s := m.c.styles
	left := s.Header.Render("patchbay")
	if m.screen == screenDashboard {
		left += s.HeaderDim.Render(" · dashboard")
	}
	if m.screen == screenFleet {
		left += s.HeaderDim.Render(fmt.Sprintf(" · all profiles (%d)", len(m.fleet.list)))
	} else {
		profile := m.home.ov.Profile
		if profile == "" {
			profile = m.c.profile
		}
		left += s.HeaderDim.Render(" · profile " + profile)
		if b := m.home.ov.SecretsBackend; b != "" {
			left += s.HeaderDim.Render(" · secrets: " + b)
		}
	}
	var right string
	switch {
	case m.flash != "":
		right = m.flash
		if strings.HasPrefix(right, "✓") {
			right = s.OK.Render(right)
		} else {
			right = s.Warn.Render(right)
		}
	case m.loads.inFlight:
		right = s.Muted.Render("refreshing…")
	case m.refreshed:
		right = s.Muted.Render("updated " + ago(m.c.now(), m.loadedAt))
	}
	if right == "" {
		return truncate(left, w)
	}
	lw := lipglossWidth(left)
	rw := lipglossWidth(right)
	if lw+1+rw > w {
		// Not enough room: the message matters more than the decoration.
		left = truncate(left, max(w-rw-1, 0))
		lw = lipglossWidth(left)
		if lw+1+rw > w {
			return truncate(right, w)
		}
	}
	return left + strings.Repeat(" ", w-lw-rw) + right
}
