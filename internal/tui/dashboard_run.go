package tui

import (
	"context"
	"io"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/cli/browser"
)

// dashboardScreen is `patchbay dashboard`: the dashboard alone, full
// screen, with a header and the help line. It owns the overview loads (one
// at a time; a newer answer wins), the dashboard owns the live checks.
type dashboardScreen struct {
	c    *common
	dash *dashboardModel
	help help.Model

	fullHelp bool
	loads    overviewLoads
	err      error
}

func newDashboardScreen(c *common, live LiveChecks) *dashboardScreen {
	m := &dashboardScreen{c: c, dash: newDashboardModel(c, live), help: help.New()}
	m.help.Styles = c.styles.Help
	return m
}

func (m *dashboardScreen) Init() tea.Cmd {
	cmds := []tea.Cmd{m.reload(), m.dash.Init()}
	if !m.c.plain {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// reload loads the overview unless a load runs; then one more follows it.
func (m *dashboardScreen) reload() tea.Cmd { return m.loads.start(m.c) }

func (m *dashboardScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.width, m.c.height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.BackgroundColorMsg:
		if !m.c.plain {
			m.c.styles = NewStyles(msg.IsDark())
			m.help.Styles = m.c.styles.Help
			m.dash.spin.Style = m.c.styles.Spinner
		}
		return m, nil
	case tea.KeyPressMsg:
		k := m.c.keys
		switch {
		case key.Matches(msg, k.ForceQuit), key.Matches(msg, k.Quit):
			return m, tea.Quit
		case key.Matches(msg, k.Help):
			m.fullHelp = !m.fullHelp
			m.resize()
			return m, nil
		case m.fullHelp && key.Matches(msg, k.Back):
			m.fullHelp = false
			m.resize()
			return m, nil
		}
	case overviewMsg:
		stale, cmd := m.loads.finish(m.c, msg.gen)
		if stale {
			return m, nil
		}
		if msg.err != nil {
			m.err = msg.err
			return m, cmd
		}
		m.err = nil
		m.dash.SetOverview(msg.ov)
		return m, cmd
	case refreshMsg:
		return m, m.reload()
	}
	return m, m.dash.Update(msg)
}

func (m *dashboardScreen) resize() {
	m.help.SetWidth(m.c.width)
	m.dash.SetSize(m.c.width, m.bodyHeight())
}

func (m *dashboardScreen) bodyHeight() int {
	return max(m.c.height-1-m.helpHeight(), 0)
}

func (m *dashboardScreen) helpHeight() int {
	if !m.fullHelp {
		return 1
	}
	return lipglossHeight(m.fullHelpView())
}

func (m *dashboardScreen) fullHelpView() string {
	k := m.c.keys
	return m.help.FullHelpView(append(m.dash.FullHelp(), []key.Binding{k.Help, k.Quit, k.ForceQuit}))
}

func (m *dashboardScreen) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "patchbay dashboard"
	return v
}

func (m *dashboardScreen) render() string {
	w, h := m.c.width, m.c.height
	if w <= 0 || h <= 0 {
		return ""
	}
	s := m.c.styles
	header := s.Header.Render("patchbay") + s.HeaderDim.Render(" · dashboard · profile "+m.profile())
	if b := m.dash.ov.SecretsBackend; b != "" {
		header += s.HeaderDim.Render(" · secrets: " + b)
	}
	if m.err != nil {
		header += " " + s.Warn.Render("couldn't reload: "+plainErr(m.err))
	}
	bh := m.bodyHeight()
	lines := strings.Split(fit(m.dash.View(), w, bh), "\n")
	for len(lines) < bh {
		lines = append(lines, "")
	}
	var helpView string
	if m.fullHelp {
		helpView = m.fullHelpView()
	} else {
		k := m.c.keys
		helpView = m.help.ShortHelpView(append(m.dash.ShortHelp(), k.Help, k.Quit))
	}
	out := truncate(header, w)
	if bh > 0 {
		out += "\n" + strings.Join(lines, "\n")
	}
	return fit(out+"\n"+helpView, w, h)
}

func (m *dashboardScreen) profile() string {
	if p := m.dash.ov.Profile; p != "" {
		return p
	}
	return m.c.profile
}

// RunDashboard runs `patchbay dashboard`: the live dashboard alone, full
// screen, until the admin quits or ctx ends. opts.Live runs the checks;
// without it the stored results are shown. The refresher is stopped when
// RunDashboard returns.
func RunDashboard(ctx context.Context, opts Options) error {
	if opts.Backend == nil {
		return ErrNoBackend
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	plain := opts.NoColor
	c := newCommon(ctx, opts, plain)
	browser.Stdout, browser.Stderr = io.Discard, io.Discard

	m := newDashboardScreen(c, opts.Live)
	return runProgram(ctx, m, opts, plain)
}
