package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// LiveChecks is what the dashboard needs from the refresher (app.Refresher):
// the stream of its updates, and a way to ask for a refresh now.
type LiveChecks interface {
	// Start runs the refresher until ctx ends and returns its updates; the
	// channel is closed when it stops.
	Start(ctx context.Context) <-chan app.Update
	// Trigger asks for a refresh now; it never blocks.
	Trigger()
	// Interval is the time between timed refreshes.
	Interval() time.Duration
}

// Messages of the dashboard.

// liveStartedMsg: the refresher runs and its updates come on ch.
type liveStartedMsg struct{ ch <-chan app.Update }

// liveBatchMsg carries the updates that arrived since the last one, so a
// burst of results costs one Update, not one per result.
type liveBatchMsg struct {
	updates []app.Update
	closed  bool // the refresher stopped
}

// liveBatchMax bounds one batch, so a flood of call-log entries cannot
// make a single Update long.
const liveBatchMax = 64

// callLogSize is how many calls the call log keeps.
const callLogSize = 200

func startLive(ctx context.Context, live LiveChecks) tea.Cmd {
	return func() tea.Msg { return liveStartedMsg{ch: live.Start(ctx)} }
}

// listenLive waits for the next updates: one, then whatever else is
// already queued.
func listenLive(ch <-chan app.Update) tea.Cmd {
	return func() tea.Msg {
		u, ok := <-ch
		if !ok {
			return liveBatchMsg{closed: true}
		}
		batch := []app.Update{u}
		for len(batch) < liveBatchMax {
			select {
			case u, ok := <-ch:
				if !ok {
					return liveBatchMsg{updates: batch, closed: true}
				}
				batch = append(batch, u)
			default:
				return liveBatchMsg{updates: batch}
			}
		}
		return liveBatchMsg{updates: batch}
	}
}

func triggerLive(live LiveChecks) tea.Cmd {
	return func() tea.Msg {
		live.Trigger()
		return nil
	}
}

// checkKey identifies one live check.
type checkKey struct{ integration, name string }

type rowState int

const (
	rowIdle    rowState = iota
	rowQueued           // planned in the running refresh, waiting for its vendor's slot
	rowRunning          // its vendor call is in flight: a spinner
	rowSkipped          // its vendor is backing off; the last result stays
)

// liveRow is what the running refresher says about one check. Its result
// is newer than the overview's until the overview is reloaded.
type liveRow struct {
	state  rowState
	result app.CheckView
	skip   app.SkippedCheck
}

// callRing is the call log: the newest callLogSize calls.
type callRing struct {
	buf  [callLogSize]app.CallRecord
	next int
	n    int
}

func (r *callRing) push(c app.CallRecord) {
	r.buf[r.next] = c
	r.next = (r.next + 1) % callLogSize
	r.n = min(r.n+1, callLogSize)
}

// newest returns the i-th newest call (0 is the last one).
func (r *callRing) newest(i int) app.CallRecord {
	return r.buf[(r.next-1-i+2*callLogSize)%callLogSize]
}

// dashboardModel is the live dashboard: a card per integration (progress,
// state, secrets with age and expiry, every check with its result, age and
// a spinner while it runs), the log of patchbay's own API calls and the
// recent events. It is the whole screen of `patchbay dashboard` and the
// right-hand pane of the home screen. It never does I/O: the refresher's
// updates arrive as messages, and r asks it for a refresh through a command.
type dashboardModel struct {
	c    *common
	live LiveChecks // nil: the stored results only

	ch     <-chan app.Update
	closed bool

	ov     app.Overview
	loaded bool

	gen        uint64
	refreshing bool
	planned    int
	finished   int
	rows       map[checkKey]*liveRow
	lastDone   time.Time // when the last refresh ended (c.now)
	lastTook   time.Duration
	lastSum    app.Summary
	lastErr    error

	calls callRing
	spin  spinner.Model

	width, height int
	// cards scrolls the integration cards of the full-screen page; side is
	// the call log and events beside or below them; frame is what View
	// shows. All three are computed in Update and SetSize (see layout).
	cards     viewport.Model
	cardLines []string
	side      []string
	frame     string

	// version counts changes, so a parent caching rendered rows (the home
	// screen) knows when to draw them again.
	version int
}

func newDashboardModel(c *common, live LiveChecks) *dashboardModel {
	return &dashboardModel{
		c:     c,
		live:  live,
		rows:  map[checkKey]*liveRow{},
		spin:  spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.styles.Spinner)),
		cards: viewport.New(),
	}
}

// Init starts the refresher.
func (m *dashboardModel) Init() tea.Cmd {
	if m.live == nil {
		return nil
	}
	return startLive(m.c.ctx, m.live)
}

func (m *dashboardModel) SetSize(width, height int) {
	m.width, m.height = width, height
	m.layout()
}

// SetStyles follows the styles once the terminal reports its background.
func (m *dashboardModel) SetStyles() {
	m.spin.Style = m.c.styles.Spinner
	m.version++
	m.layout()
}

// SetOverview takes a freshly loaded overview. Live results it already
// holds are dropped; newer ones stay.
func (m *dashboardModel) SetOverview(ov app.Overview) {
	m.ov, m.loaded = ov, true
	m.version++
	for k, row := range m.rows {
		if row.state != rowIdle {
			continue
		}
		if stored, ok := m.stored(k); ok && !stored.CheckedAt.Before(row.result.CheckedAt) {
			delete(m.rows, k)
		}
	}
	m.layout()
}

func (m *dashboardModel) stored(k checkKey) (app.CheckView, bool) {
	for _, iv := range m.ov.Integrations {
		if iv.Integration.ID != k.integration {
			continue
		}
		for _, c := range iv.Checks {
			if c.Name == k.name {
				return c, true
			}
		}
	}
	return app.CheckView{}, false
}

// busy reports whether a check is in flight, which is when the spinner turns.
func (m *dashboardModel) busy() bool { return m.refreshing }

func (m *dashboardModel) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		return m.key(k)
	}
	m.version++
	cmd := m.update(msg)
	m.layout()
	return cmd
}

// key answers a keypress: r asks for a run now, the arrows scroll the
// cards (a scroll only moves the viewport: nothing is drawn again).
func (m *dashboardModel) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Refresh):
		if m.live == nil {
			return emit(refreshMsg{})
		}
		return triggerLive(m.live)
	case key.Matches(msg, k.Up):
		m.cards.ScrollUp(1)
		m.compose()
	case key.Matches(msg, k.Down):
		m.cards.ScrollDown(1)
		m.compose()
	}
	return nil
}

func (m *dashboardModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case liveStartedMsg:
		m.ch = msg.ch
		return listenLive(m.ch)
	case liveBatchMsg:
		wasBusy := m.busy()
		var cmds []tea.Cmd
		for _, u := range msg.updates {
			if cmd := m.apply(u); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
		if msg.closed {
			m.closed, m.refreshing = true, false
		} else {
			cmds = append(cmds, listenLive(m.ch))
		}
		if !wasBusy && m.busy() && m.c.animate {
			cmds = append(cmds, m.spin.Tick)
		}
		return tea.Batch(cmds...)
	case spinner.TickMsg:
		if !m.busy() {
			return nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	}
	return nil
}

// apply takes one update. Check updates of any generation but the one the
// last "refresh started" announced are dropped.
func (m *dashboardModel) apply(u app.Update) tea.Cmd {
	switch u.Kind {
	case app.UpdateCall:
		m.calls.push(u.Call)
	case app.UpdateRefreshStarted:
		m.gen, m.refreshing = u.Gen, true
		m.planned, m.finished = len(u.Planned), 0
		for _, ref := range u.Planned {
			m.row(ref).state = rowQueued
		}
	case app.UpdateCheckStarted:
		if u.Gen == m.gen {
			m.row(u.Check).state = rowRunning
		}
	case app.UpdateCheckDone:
		if u.Gen == m.gen {
			row := m.row(u.Check)
			row.state, row.result = rowIdle, u.Result
			m.finished++
		}
	case app.UpdateCheckSkipped:
		if u.Gen == m.gen {
			row := m.row(u.Check)
			row.state, row.skip = rowSkipped, u.Skip
			m.finished++
		}
	case app.UpdateRefreshDone:
		if u.Summary.Err != nil {
			m.lastErr, m.refreshing = u.Summary.Err, false
			return nil
		}
		if u.Gen != m.gen {
			return nil
		}
		m.refreshing, m.lastErr = false, nil
		m.lastDone, m.lastTook, m.lastSum = m.c.now(), u.Summary.Took, u.Summary
		for _, row := range m.rows {
			if row.state == rowQueued || row.state == rowRunning {
				row.state = rowIdle // dropped by a cancelled refresh: the stored result stands
			}
		}
		// The states, attention and events follow from what was stored.
		return emit(refreshMsg{})
	}
	return nil
}

func (m *dashboardModel) row(ref app.CheckRef) *liveRow {
	k := checkKey{ref.Integration, ref.Name}
	row, ok := m.rows[k]
	if !ok {
		row = &liveRow{}
		if stored, ok := m.stored(k); ok {
			row.result = stored
		}
		m.rows[k] = row
	}
	return row
}

func (m *dashboardModel) ShortHelp() []key.Binding {
	k := m.c.keys
	return []key.Binding{k.Scroll, key.NewBinding(key.WithKeys(k.Refresh.Keys()...), key.WithHelp(k.Refresh.Help().Key, "check now"))}
}

func (m *dashboardModel) FullHelp() [][]key.Binding {
	k := m.c.keys
	return [][]key.Binding{
		{k.Up, k.Down},
		{key.NewBinding(key.WithKeys(k.Refresh.Keys()...), key.WithHelp(k.Refresh.Help().Key, "run every live check now"))},
	}
}

// View.

// View draws the full-screen page as layout left it.
func (m *dashboardModel) View() string { return m.frame }

// layout computes the page for the current state and size: the status
// line, the cards in their viewport beside (or above) the call log and the
// recent events. Ages count from now, so they move on with each update
// (the root reloads the overview on a timer).
func (m *dashboardModel) layout() {
	w, h := m.width, m.height
	m.side = nil
	switch {
	case w <= 0 || h <= 0:
		m.frame = ""
		return
	case !m.loaded:
		m.frame = fit(m.c.styles.Muted.Render("Loading the profile…"), w, h)
		return
	}
	now := m.c.now()
	body := h - 1
	if w >= 100 {
		rightW := clamp(w/3, 40, 70)
		callsH := max(body/2, 3)
		m.cards.SetWidth(w - rightW - 3)
		m.cards.SetHeight(body)
		m.cardLines = m.renderCards(w-rightW-3, now)
		m.cards.SetContentLines(m.cardLines)
		m.side = append(padLines(m.callLines(rightW, callsH), callsH), m.eventLines(rightW, body-callsH, "")...)
	} else {
		logH := min(8, max(body/4, 3))
		cardsH := max(body-2*logH, 1)
		m.cards.SetWidth(w)
		m.cards.SetHeight(cardsH)
		m.cardLines = m.renderCards(w, now)
		m.cards.SetContentLines(m.cardLines)
		m.side = append(padLines(m.callLines(w, logH), logH), m.eventLines(w, body-cardsH-logH, "")...)
	}
	m.compose()
}

// compose puts the page together from the parts layout computed, with the
// cards' viewport where it is scrolled to.
func (m *dashboardModel) compose() {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 || !m.loaded {
		return
	}
	s := m.c.styles
	lines := []string{truncate(m.statusLine(m.c.now()), w)}
	cards := padLines(visible(&m.cards, m.cardLines), m.cards.Height())
	if w >= 100 {
		rightW := clamp(w/3, 40, 70)
		leftW := w - rightW - 3
		sep := s.Divider.Render(" │ ")
		for i := range h - 1 {
			l, r := "", ""
			if i < len(cards) {
				l = cards[i]
			}
			if i < len(m.side) {
				r = m.side[i]
			}
			lines = append(lines, padRight(l, leftW)+sep+truncate(r, rightW))
		}
		m.frame = strings.Join(lines, "\n")
		return
	}
	lines = append(lines, cards...)
	lines = append(lines, m.side...)
	m.frame = fit(strings.Join(lines, "\n"), w, h)
}

// statusLine says what the refresher is doing and how old the results are.
func (m *dashboardModel) statusLine(now time.Time) string {
	s := m.c.styles
	if m.live == nil {
		return s.PaneTitle.Render("Live checks") + s.Muted.Render(" · stored results")
	}
	line := s.PaneTitle.Render("Live checks") + s.Muted.Render(" · every "+shortDuration(m.live.Interval()))
	switch {
	case m.refreshing:
		line += " · " + m.spin.View() + fmt.Sprintf(" checking %d/%d", m.finished, m.planned)
	case m.lastErr != nil:
		line += " · " + s.Error.Render("couldn't run: "+plainErr(m.lastErr))
	case !m.lastDone.IsZero() && len(m.lastSum.Results) == 0:
		line += s.Muted.Render(" · nothing to check yet")
	case !m.lastDone.IsZero():
		when := ago(now, m.lastDone)
		if when == "now" {
			when = "just now"
		}
		line += s.Muted.Render(fmt.Sprintf(" · last run %s: %d check(s) in %s", when, len(m.lastSum.Results), m.lastTook.Round(10*time.Millisecond)))
		if n := m.lastSum.Attention(); n > 0 {
			line += " · " + s.Error.Render(fmt.Sprintf("%d need attention", n))
		}
	case m.closed:
		line += s.Muted.Render(" · stopped")
	default:
		line += s.Muted.Render(" · starting…")
	}
	if n := len(m.lastSum.Skipped); n > 0 && !m.refreshing {
		sk := m.lastSum.Skipped[0]
		line += " · " + s.Warn.Render(fmt.Sprintf("%s backing off until %s", vendorTitle(sk.Vendor), sk.Until.Local().Format("15:04")))
	}
	return line
}

func vendorTitle(v string) string {
	switch v {
	case app.VendorLever:
		return "Lever"
	case app.VendorVetty:
		return "Vetty"
	}
	return v
}

func shortDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func (m *dashboardModel) renderCards(w int, now time.Time) []string {
	var lines []string
	for i, iv := range m.ov.Integrations {
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, m.card(iv, w, now)...)
	}
	return lines
}

// card is one integration: title with state and progress, the next step,
// what needs attention beyond the checks, its secrets, its checks.
func (m *dashboardModel) card(iv app.IntegrationView, w int, now time.Time) []string {
	s := m.c.styles
	progress := fmt.Sprintf("%s %d/%d", progressBar(iv.Done, iv.Total), iv.Done, iv.Total)
	right := s.StateBadge(iv.State) + " " + progress
	title := s.Title.Render(iv.Integration.Name)
	gap := w - lipglossWidth(title) - lipglossWidth(right)
	var lines []string
	if gap >= 1 {
		lines = append(lines, title+strings.Repeat(" ", gap)+right)
	} else {
		lines = append(lines, truncate(title, w), truncate("  "+right, w))
	}
	if iv.Done == 0 {
		return append(lines, truncate(s.Muted.Render("  not started: patchbay setup "+iv.Integration.ID), w))
	}
	if iv.NextStep != "" {
		if st, ok := iv.Integration.Step(iv.NextStep); ok {
			lines = append(lines, truncate(s.Muted.Render("  next: "+st.Title), w))
		}
	}
	checkNames := map[string]bool{}
	for _, c := range iv.Checks {
		checkNames[c.Name] = true
	}
	for k := range m.rows {
		if k.integration == iv.Integration.ID {
			checkNames[k.name] = true
		}
	}
	for _, a := range iv.Attention {
		// Checks that need attention are drawn as rows below.
		if name, _, ok := strings.Cut(a, ": "); ok && checkNames[name] {
			continue
		}
		lines = append(lines, truncate("  "+s.Error.Render("! ")+termsafe.String(a), w))
	}
	for _, sv := range unverifiedSteps(iv) {
		// The live checks verify it: r runs them now.
		lines = append(lines, truncate("  "+s.ProofStyle(steps.ProofUnverified).Render("? ")+sv.Step.Title+
			" is unverified: "+m.c.keys.VerifyNow.Help().Key+" checks it now", w))
	}
	for _, sec := range iv.Secrets {
		lines = append(lines, truncate("  "+m.secretLine(sec, now), w))
	}
	for _, name := range m.checkOrder(iv) {
		lines = append(lines, m.checkLine(checkKey{iv.Integration.ID, name}, w, now))
	}
	return lines
}

func progressBar(done, total int) string {
	if total <= 0 {
		return ""
	}
	return strings.Repeat("■", done) + strings.Repeat("□", max(total-done, 0))
}

func (m *dashboardModel) secretLine(sec app.SecretView, now time.Time) string {
	s := m.c.styles
	b := sec.Backend
	if b == "" {
		b = m.ov.SecretsBackend
	}
	line := sec.Key
	if sec.Last4 != "" {
		line += " ····" + sec.Last4
	}
	line += s.Muted.Render(" · " + b + " · created " + ago(now, sec.CreatedAt))
	if left, ok := sec.ExpiresIn(now); ok {
		days := int(left.Hours() / 24)
		switch {
		case left <= 0:
			line += " · " + s.Error.Render("expired "+age(now, sec.ExpiresAt)+" ago")
		case left < app.ExpiryWarning:
			line += " · " + s.Warn.Render(fmt.Sprintf("expires in %dd ⚠", days))
		default:
			line += s.Muted.Render(fmt.Sprintf(" · expires in %dd", days))
		}
	}
	if sec.HasPrevious {
		line += " · " + s.Warn.Render("old one kept until revoked")
	}
	return line
}

// checkOrder lists an integration's checks, stored or only planned so far:
// the secrets first, then their expiry, then the rest, each by name.
func (m *dashboardModel) checkOrder(iv app.IntegrationView) []string {
	var names []string
	seen := map[string]bool{}
	for _, c := range iv.Checks {
		names = append(names, c.Name)
		seen[c.Name] = true
	}
	for k := range m.rows {
		if k.integration == iv.Integration.ID && !seen[k.name] {
			names = append(names, k.name)
			seen[k.name] = true
		}
	}
	rank := func(name string) int {
		switch {
		case strings.HasPrefix(name, "secret."):
			return 0
		case strings.HasPrefix(name, "expiry."):
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	return names
}

// checkLine is one check: a mark (or the spinner), its name, result, age
// and what was found.
func (m *dashboardModel) checkLine(k checkKey, w int, now time.Time) string {
	text, detail := m.checkRow(k, now)
	if detail != "" {
		text += " " + m.c.styles.Muted.Render(detail)
	}
	return truncate(text, w)
}

// checkRow is a check's row without its detail, and the detail.
func (m *dashboardModel) checkRow(k checkKey, now time.Time) (text, detail string) {
	s := m.c.styles
	res, _ := m.stored(k)
	row := m.rows[k]
	if row != nil && row.result.CheckedAt.After(res.CheckedAt) {
		res = row.result
	}
	// Details may quote vendor names, stored by any earlier version: shown, never obeyed.
	mark, word := resultMark(s, res.Result), s.LiveResult(res.Result)
	detail = termsafe.String(res.Detail)
	when := age(now, res.CheckedAt)
	if res.CheckedAt.IsZero() {
		when = ""
	}
	if row != nil {
		switch row.state {
		case rowRunning:
			mark, word = m.spin.View(), s.Info.Render("checking…")
		case rowQueued:
			mark, word = s.Muted.Render("·"), s.Muted.Render("queued")
		case rowSkipped:
			// The stored result and its age stay; the reason says why.
			word, detail = s.Warn.Render("skipped"), row.skip.Reason
		}
	}
	return "  " + mark + " " + padRight(checkLabel(k.name), 16) + " " + padRight(word, 14) + " " + s.Muted.Render(padRight(when, 4)), detail
}

func resultMark(s *Styles, result string) string {
	switch result {
	case app.ResultValid:
		return s.OK.Render("✓")
	case app.ResultUnreachable, app.ResultRateLimited:
		return s.Warn.Render("~")
	case app.ResultUnauthorized, app.ResultForbidden, app.ResultDrift:
		return s.Error.Render("!")
	}
	return s.Muted.Render("?")
}

// checkLabel names a check for the card.
func checkLabel(name string) string {
	switch name {
	case app.CheckTriggerStage:
		return "trigger stage"
	case app.CheckPackageMapping:
		return "Vetty packages"
	case app.CheckOptionRules:
		return "option rules"
	case app.CheckCertnTags:
		return "Certn tags"
	case app.CheckDefaultPackage:
		return "default package"
	}
	if key, ok := strings.CutPrefix(name, "secret."); ok {
		return key
	}
	if key, ok := strings.CutPrefix(name, "expiry."); ok {
		return key + " expiry"
	}
	return name
}

// callLines is the call log, newest first.
func (m *dashboardModel) callLines(w, h int) []string {
	if h <= 0 {
		return nil
	}
	s := m.c.styles
	lines := []string{s.PaneTitle.Render("API calls") + s.Muted.Render(" · patchbay's own, newest first")}
	if m.calls.n == 0 {
		lines = append(lines, s.Muted.Render("  none yet"))
	}
	for i := 0; i < m.calls.n && len(lines) < h; i++ {
		c := m.calls.newest(i)
		status := fmt.Sprintf("%d", c.Status)
		switch {
		case c.Status == 0:
			status = s.Warn.Render("---")
		case c.Status >= 400:
			status = s.Error.Render(status)
		default:
			status = s.OK.Render(status)
		}
		line := fmt.Sprintf("  %s %-4s %-6s %s %s %s", s.Muted.Render(c.At.Local().Format("15:04:05")), c.Method, c.Vendor,
			padRight(termsafe.String(c.Path), 18), status, s.Muted.Render(fmt.Sprintf("%4dms", c.Latency.Milliseconds())))
		if c.Err != "" && c.Status == 0 {
			line += " " + s.Muted.Render(c.Err)
		}
		lines = append(lines, truncate(line, w))
	}
	return lines
}

// padLines fills lines up to h with blank ones.
func padLines(lines []string, h int) []string {
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}

// eventLines is the recent events, of one integration or of all.
func (m *dashboardModel) eventLines(w, h int, integration string) []string {
	if h <= 0 {
		return nil
	}
	s := m.c.styles
	now := m.c.now()
	lines := []string{s.PaneTitle.Render("Recent events")}
	for _, ev := range m.ov.Events {
		if len(lines) >= h {
			break
		}
		if integration != "" && ev.Integration != "" && ev.Integration != integration {
			continue
		}
		what := termsafe.String(ev.Summary)
		if what == "" {
			what = ev.Kind
		}
		where := ev.Integration
		if ev.Step != "" {
			where += "/" + ev.Step
		}
		if integration != "" {
			where = ev.Step
		}
		text := "  " + s.Muted.Render(padRight(age(now, ev.At), 4)) + " "
		if where != "" {
			text += s.Muted.Render(where) + " "
		}
		lines = append(lines, truncate(text+what, w))
	}
	if len(lines) == 1 {
		lines = append(lines, s.Muted.Render("  none yet"))
	}
	return lines
}
