package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// stepPhase is where the step screen stands: the run's phase, with the
// instructions and the open form told apart.
type stepPhase int

const (
	phaseLoading    stepPhase = iota // prior answers and vendor lists on their way
	phaseLoadError                   // they could not be read
	phaseRead                        // the instructions: where, actions, caveats, things to copy
	phaseForm                        // the answers
	phaseChecking                    // the live check is running (esc cancels it)
	phaseFailed                      // the check said no, or could not run
	phaseCompleting                  // the one write is running; it is never cancelled
	phaseSaveFailed                  // the write failed: nothing was stored
	phaseDone                        // stored, with its proof
)

// stepModel is the one generic screen that runs any catalog step. The run
// itself (app.StepRun) decides what is asked, refused, checked and said;
// this screen draws it, feeds it keys and runs its I/O as commands.
type stepModel struct {
	c     *common
	seq   int // tells this screen's backend answers from a previous screen's
	integ steps.Integration
	step  steps.Step
	run   *app.StepRun

	phase   stepPhase
	loadRun int // which load (a retry starts a new one)

	vals    []*formValue
	form    *huh.Form
	formErr string // a refused answer, shown above the form
	focus   string // the field the form opens at

	cancel   context.CancelFunc
	checkRun int

	copied map[int]bool
	flash  string
	// states are the integration's steps as recorded when the screen
	// opened, for the stepper.
	states []app.StepView
	// backTo words where enter and esc lead once the step is done when not
	// home ("back to the rotation").
	backTo string
	// showLink prints the link prominently: the browser could not be opened.
	showLink bool

	spin spinner.Model
	// body scrolls lines, the phase's text below the header; both are
	// computed in Update and SetSize (layout), so View only draws.
	body   viewport.Model
	lines  []string
	width  int
	height int
}

func newStepModel(c *common, seq int, iv app.IntegrationView, stepID string, setup bool) (*stepModel, bool) {
	run, err := app.NewStepRun(iv, stepID, setup)
	if err != nil {
		return nil, false
	}
	return &stepModel{
		c:      c,
		seq:    seq,
		integ:  run.Integration,
		step:   run.Step,
		run:    run,
		states: iv.Steps,
		copied: map[int]bool{},
		spin:   spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.styles.Spinner)),
		body:   viewport.New(),
	}, true
}

// follow sets the screen's phase from the run's.
func (m *stepModel) follow() {
	switch m.run.Phase {
	case app.PhaseLoading:
		m.phase = phaseLoading
	case app.PhaseLoadFailed:
		m.phase = phaseLoadError
	case app.PhaseAnswering:
		m.phase = phaseRead
		if m.form != nil {
			m.phase = phaseForm
		}
	case app.PhaseChecking:
		m.phase = phaseChecking
	case app.PhaseFailed:
		m.phase = phaseFailed
	case app.PhaseCompleting:
		m.phase = phaseCompleting
	case app.PhaseSaveFailed:
		m.phase = phaseSaveFailed
	case app.PhaseDone:
		m.phase = phaseDone
	}
}

// Init starts loading what the step needs.
func (m *stepModel) Init() tea.Cmd {
	m.run.Start()
	m.follow()
	m.loadRun++
	return tea.Batch(loadStep(m.c, m.seq, m.loadRun, m.integ.ID, m.step), m.startSpinner())
}

func (m *stepModel) startSpinner() tea.Cmd {
	if !m.c.animate {
		return nil
	}
	return m.spin.Tick
}

func (m *stepModel) busy() bool {
	return m.phase == phaseLoading || m.phase == phaseChecking || m.phase == phaseCompleting
}

// writing reports whether the step's one write is in flight: the root waits
// for it before quitting, so a quit never leaves a half-made step.
func (m *stepModel) writing() bool { return m.phase == phaseCompleting }

// capturesKeys reports whether printable keys belong to the screen's form
// (so q types a "q" instead of quitting).
func (m *stepModel) capturesKeys() bool { return m.phase == phaseForm }

// abortCheck cancels a running live check (it writes nothing).
func (m *stepModel) abortCheck() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
}

func (m *stepModel) SetSize(width, height int) {
	m.width, m.height = width, height
	if m.form != nil {
		m.form = m.form.WithWidth(width).WithHeight(m.formHeight())
	}
	m.layout()
}

// layout computes the phase's text for the current state and size. The
// form draws itself, so it needs none.
func (m *stepModel) layout() {
	m.body.SetWidth(max(m.width, 0))
	m.body.SetHeight(max(m.height-m.headerHeight()-1, 0))
	if m.phase == phaseForm && m.form != nil || m.width <= 0 || m.height <= 0 {
		return
	}
	m.lines = m.bodyLines()
	m.body.SetContentLines(m.lines)
}

func (m *stepModel) Update(msg tea.Msg) tea.Cmd {
	cmd := m.update(msg)
	m.layout()
	return cmd
}

func (m *stepModel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !m.busy() {
			return nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	case stepLoadedMsg:
		if msg.seq != m.seq || msg.run != m.loadRun || m.phase != phaseLoading {
			return nil
		}
		m.run.Loaded(msg.load, msg.err)
		m.follow()
		m.body.GotoTop()
		return nil
	case checkMsg:
		return m.onCheck(msg)
	case completeMsg:
		return m.onComplete(msg)
	case copiedMsg:
		if msg.seq != m.seq {
			return nil
		}
		switch {
		case msg.err != nil:
			m.flash = m.c.styles.Error.Render("✗") + " couldn't copy " + msg.label + ": " + plainErr(msg.err)
		case msg.secret && msg.clears:
			m.flash = m.c.styles.OK.Render("copied ✓") + " (value hidden): " + msg.label + fmt.Sprintf("; clears in %.0f s", clipboardClearAfter.Seconds())
		case msg.secret:
			m.flash = m.c.styles.OK.Render("copied ✓") + " (value hidden): " + msg.label + "; clear the clipboard yourself after pasting"
		default:
			m.flash = m.c.styles.OK.Render("copied ✓") + " " + msg.label
		}
		return nil
	case clipboardClearedMsg:
		if msg.seq != m.seq {
			return nil
		}
		switch {
		case msg.err != nil:
			m.flash = m.c.styles.Warn.Render("!") + " couldn't clear the clipboard: " + plainErr(msg.err)
		case msg.cleared:
			m.flash = "clipboard cleared: " + msg.label + " is no longer on it"
		}
		return nil
	case linkOpenedMsg:
		if msg.seq != m.seq {
			return nil
		}
		if msg.err != nil {
			m.showLink = true
			m.flash = m.c.styles.Warn.Render("!") + " couldn't open a browser: open the link shown above by hand"
		} else {
			m.flash = m.c.styles.OK.Render("opened ✓") + " " + msg.url
		}
		return nil
	}

	if m.phase == phaseForm && m.form != nil {
		return m.updateForm(msg)
	}
	kmsg, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	return m.handleKey(kmsg)
}

func (m *stepModel) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Up):
		m.body.ScrollUp(1)
		return nil
	case key.Matches(msg, k.Down):
		m.body.ScrollDown(1)
		return nil
	}
	switch m.phase {
	case phaseLoading:
		if key.Matches(msg, k.Back) {
			return emit(closeStepMsg{})
		}
	case phaseLoadError:
		switch {
		case key.Matches(msg, k.Retry):
			return m.Init()
		case key.Matches(msg, k.Back):
			return emit(closeStepMsg{})
		}
	case phaseRead:
		switch {
		case key.Matches(msg, k.Answer):
			return m.openForm()
		case key.Matches(msg, k.VerifyNow) && m.unverified():
			return emit(verifyNowMsg{})
		case key.Matches(msg, k.OpenLink):
			return m.openLink()
		case key.Matches(msg, k.Copy):
			return m.copyNext()
		case key.Matches(msg, k.CopyN):
			n, _ := strconv.Atoi(msg.String())
			return m.copyItem(n - 1)
		case key.Matches(msg, k.Back):
			return emit(closeStepMsg{})
		}
	case phaseChecking:
		if key.Matches(msg, k.Cancel) {
			m.abortCheck()
			m.checkRun++ // the cancelled run's answer is dropped when it comes
			m.run.Cancel()
			m.follow()
			return nil
		}
	case phaseFailed:
		switch {
		case key.Matches(msg, k.Retry):
			m.run.Retry()
			return m.startCheck()
		case key.Matches(msg, k.Edit):
			m.run.Edit()
			return m.openForm()
		case key.Matches(msg, k.Unverified) && m.run.CompleteUnverified():
			return m.startComplete()
		case key.Matches(msg, k.OpenLink):
			return m.openLink()
		case key.Matches(msg, k.Back):
			m.run.Back()
			m.follow()
		}
	case phaseSaveFailed:
		switch {
		case key.Matches(msg, k.Retry):
			m.run.RetrySave()
			return m.startComplete()
		case key.Matches(msg, k.Edit):
			m.run.Edit()
			return m.openForm()
		case key.Matches(msg, k.Back):
			m.run.Back()
			m.follow()
		}
	case phaseDone:
		switch {
		case key.Matches(msg, k.Continue):
			return emit(stepFinishedMsg{integration: m.integ.ID, step: m.step.ID, setup: m.run.Setup})
		case key.Matches(msg, k.Copy):
			if h := m.run.Handoff(); h != "" {
				return copyToClipboard(m.c, m.seq, m.integ.ID, steps.CopyItem{Label: "hand-off message", Value: h})
			}
		case key.Matches(msg, k.Back):
			return emit(closeStepMsg{})
		}
	}
	return nil
}

// unverified reports whether the step was completed unverified.
func (m *stepModel) unverified() bool {
	return m.run.Was.Status == steps.StatusDone && m.run.Was.Proof == steps.ProofUnverified
}

func (m *stepModel) openLink() tea.Cmd {
	if m.step.Link == "" {
		m.flash = m.c.styles.Muted.Render("This step has no link: the place is described above.")
		return nil
	}
	return openLink(m.c, m.seq, m.step.Link)
}

// copyNext copies the first item not yet copied on this screen, so pressing
// c repeatedly walks through the list.
func (m *stepModel) copyNext() tea.Cmd {
	if len(m.step.Copy) == 0 {
		m.flash = m.c.styles.Muted.Render("Nothing to copy in this step.")
		return nil
	}
	for i := range m.step.Copy {
		if !m.copied[i] {
			return m.copyItem(i)
		}
	}
	return m.copyItem(0)
}

func (m *stepModel) copyItem(i int) tea.Cmd {
	if i < 0 || i >= len(m.step.Copy) {
		return nil
	}
	m.copied[i] = true
	m.flash = "copying " + m.step.Copy[i].Label + "…"
	return copyToClipboard(m.c, m.seq, m.integ.ID, m.step.Copy[i])
}

// openForm builds a fresh form from the run's plan, focused on the field
// at fault when an answer was refused. A step with no fields goes straight
// to its check.
func (m *stepModel) openForm() tea.Cmd {
	m.flash = ""
	if len(m.step.Fields) == 0 {
		if p := m.run.Submit(nil, nil); p != nil {
			m.formErr = p.Message
			m.follow()
			return nil
		}
		return m.startCheck()
	}
	m.vals = newFormValues(m.run.Fields())
	sp := formSpec{run: m.run, theme: m.c.styles.Form, keys: m.c.keys, width: m.width, height: m.formHeight()}
	m.form = buildForm(sp, m.vals)
	m.follow()
	cmds := []tea.Cmd{m.form.Init()}
	if m.focus != "" {
		for _, v := range m.vals {
			if v.field.Key == m.focus {
				break
			}
			cmds = append(cmds, m.form.NextField())
		}
		m.focus = ""
	}
	return tea.Sequence(cmds...)
}

func (m *stepModel) formHeight() int {
	h := m.height - m.headerHeight() - 1 // the rules line / error line
	if m.formErr != "" {
		h -= len(strings.Split(wrap(m.formErr, max(m.width, 1)), "\n"))
	}
	return max(h, 3)
}

func (m *stepModel) updateForm(msg tea.Msg) tea.Cmd {
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
	}
	switch m.form.State {
	case huh.StateCompleted:
		m.form = nil
		return m.submit()
	case huh.StateAborted:
		m.form = nil
		m.formErr = ""
		values, _ := answersOf(m.vals)
		m.run.Remember(values)
		m.follow()
		return nil
	}
	return cmd
}

// submit hands the answers to the run and starts the live check, or
// reopens the form at the field the run refused.
func (m *stepModel) submit() tea.Cmd {
	values, secrets := answersOf(m.vals)
	if p := m.run.Submit(values, secrets); p != nil {
		m.formErr, m.focus = p.Message, p.Field
		return m.openForm()
	}
	m.formErr = ""
	return m.startCheck()
}

// startCheck runs the live check with a bound; esc cancels it.
func (m *stepModel) startCheck() tea.Cmd {
	m.abortCheck()
	ctx, cancel := context.WithTimeout(m.c.ctx, m.c.checkTimeout)
	m.cancel = cancel
	m.checkRun++
	m.flash = ""
	m.follow()
	return tea.Batch(runCheck(ctx, m.c.backend, m.seq, m.checkRun, m.run.Submission()), m.startSpinner())
}

func (m *stepModel) onCheck(msg checkMsg) tea.Cmd {
	if msg.seq != m.seq || msg.run != m.checkRun || m.phase != phaseChecking {
		return nil
	}
	m.abortCheck()
	m.run.Checked(msg.out, msg.err, m.c.checkTimeout)
	if m.run.Phase == app.PhaseCompleting {
		return m.startComplete()
	}
	m.follow()
	return nil
}

func (m *stepModel) startComplete() tea.Cmd {
	m.follow()
	return tea.Batch(runComplete(m.c, m.seq, m.run.Submission(), m.run.Outcome()), m.startSpinner())
}

func (m *stepModel) onComplete(msg completeMsg) tea.Cmd {
	if msg.seq != m.seq || m.phase != phaseCompleting {
		return nil
	}
	m.run.Completed(msg.err)
	m.follow()
	if msg.err != nil {
		return nil
	}
	m.body.GotoTop()
	return emit(refreshMsg{})
}

// Help.

func (m *stepModel) ShortHelp() []key.Binding {
	b := m.phaseHelp()
	if m.phase != phaseForm && m.scrollable() {
		b = append([]key.Binding{m.c.keys.Scroll}, b...)
	}
	return b
}

func (m *stepModel) phaseHelp() []key.Binding {
	k := m.c.keys
	switch m.phase {
	case phaseLoading:
		return []key.Binding{k.Back}
	case phaseLoadError:
		return []key.Binding{k.Retry, k.Back}
	case phaseRead:
		b := []key.Binding{k.Answer}
		if m.unverified() {
			b = append(b, k.VerifyNow)
		}
		if m.step.Link != "" {
			b = append(b, k.OpenLink)
		}
		if len(m.step.Copy) > 0 {
			keys := append(append([]string(nil), k.Copy.Keys()...), k.CopyN.Keys()...)
			b = append(b, key.NewBinding(key.WithKeys(keys...), key.WithHelp(k.Copy.Help().Key+"/"+k.CopyN.Help().Key, "copy")))
		}
		return append(b, k.Back)
	case phaseForm:
		if m.form != nil {
			return append(m.form.KeyBinds(), k.Cancel)
		}
	case phaseChecking:
		return []key.Binding{k.Cancel}
	case phaseFailed:
		b := []key.Binding{k.Retry, k.Edit}
		if m.run.CanCompleteUnverified() {
			b = append(b, k.Unverified)
		}
		return append(b, k.Back)
	case phaseSaveFailed:
		return []key.Binding{k.Retry, k.Edit, k.Back}
	case phaseDone:
		b := []key.Binding{k.Continue}
		if m.run.Handoff() != "" {
			b = append(b, key.NewBinding(key.WithKeys(k.Copy.Keys()...), key.WithHelp(k.Copy.Help().Key, "copy hand-off")))
		}
		return append(b, k.Back)
	}
	return nil
}

func (m *stepModel) FullHelp() [][]key.Binding {
	k := m.c.keys
	return [][]key.Binding{m.phaseHelp(), {k.Up, k.Down}}
}

// View.

func (m *stepModel) headerHeight() int { return 3 }

// status is the step's state as this screen knows it: as recorded, or
// done with its new proof once this run is.
func (m *stepModel) status() (steps.Status, steps.Proof) {
	if m.phase == phaseDone {
		return steps.StatusDone, m.run.Outcome().Proof
	}
	return m.run.Was.Status, m.run.Was.Proof
}

func (m *stepModel) header() string {
	s := m.c.styles
	w := max(m.width, 1)
	badge := s.ProofBadge(m.status())
	stepper := m.stepper()
	pos := func(name string) string {
		p := fmt.Sprintf("%s · step %d of %d", name, m.run.Index+1, len(m.integ.Steps))
		if m.run.Setup {
			p += " · guided setup"
		}
		return p
	}
	// The integration's ID stands in for its name where the name would not fit.
	where := pos(m.integ.Name)
	if lipglossWidth(stepper)+1+len(where)+1+lipglossWidth(badge) > w {
		where = pos(m.integ.ID)
	}
	left := stepper + " " + s.Muted.Render(where)
	line1 := truncate(left, max(w-lipglossWidth(badge)-1, 1))
	line1 = padRight(line1, max(w-lipglossWidth(badge), 0)) + badge
	title := truncate(s.Title.Render(m.step.Title), w)
	place := truncate(s.Muted.Render("Where: ")+s.Where.Render(m.step.Where), w)
	return fit(line1+"\n"+title+"\n"+place, w, 3)
}

// stepper is the integration's steps in a few cells, each a state's mark
// and the step's number (✓ done, ? unverified, ↻ needs re-run, · to do),
// the current one highlighted: where you are at a glance, in colour or
// without (the marks, not the colours, carry the meaning).
func (m *stepModel) stepper() string {
	s := m.c.styles
	parts := make([]string, 0, len(m.integ.Steps))
	for i, st := range m.integ.Steps {
		status, proof := steps.StatusTodo, steps.Proof("")
		for _, sv := range m.states {
			if sv.Step.ID == st.ID {
				status, proof = sv.Status, sv.Proof
			}
		}
		if i == m.run.Index {
			status, proof = m.status()
		}
		cell := s.StepMark(status, proof) + s.Muted.Render(strconv.Itoa(i+1))
		if i == m.run.Index {
			// Reverse video in either style.
			cell = s.Selected.Render("▸" + ansi.Strip(cell))
		}
		parts = append(parts, cell)
	}
	return strings.Join(parts, " ")
}

func (m *stepModel) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	head := m.header()
	bodyH := m.height - m.headerHeight()
	if m.phase == phaseForm && m.form != nil {
		var b strings.Builder
		b.WriteString(head)
		if m.formErr != "" {
			b.WriteString("\n" + m.c.styles.Error.Render(wrap(m.formErr, m.width)))
		}
		b.WriteString("\n" + m.form.View())
		body := b.String()
		foot := m.formFooter()
		lines := strings.Split(fit(body, m.width, m.height-1), "\n")
		for len(lines) < m.height-1 {
			lines = append(lines, "")
		}
		return strings.Join(lines, "\n") + "\n" + truncate(foot, m.width)
	}
	// The last line is the footer: the latest notice, else where the
	// scroll is when the phase has more lines than fit.
	avail := max(bodyH-1, 0)
	shown := visible(&m.body, m.lines)
	footer := ""
	switch {
	case m.flash != "":
		footer = m.flash
	case len(m.lines) > avail:
		sc := m.c.keys.Scroll.Help()
		footer = m.c.styles.Muted.Render(fmt.Sprintf("%s %s · lines %d-%d of %d", sc.Key, sc.Desc, m.body.YOffset()+1, m.body.YOffset()+len(shown), len(m.lines)))
	}
	var b strings.Builder
	b.WriteString(head)
	for _, l := range shown {
		b.WriteString("\n" + truncate(l, m.width))
	}
	if footer != "" {
		for i := len(shown); i < avail; i++ {
			b.WriteString("\n")
		}
		b.WriteString("\n" + truncate(footer, m.width))
	}
	return fit(b.String(), m.width, m.height)
}

// scrollable reports whether the current phase has more lines than fit.
func (m *stepModel) scrollable() bool {
	return len(m.lines) > m.height-m.headerHeight()-1
}

func (m *stepModel) formFooter() string {
	s := m.c.styles
	if m.form != nil {
		if errs := m.form.Errors(); len(errs) > 0 {
			return s.Error.Render("✗ ") + errs[0].Error()
		}
	}
	if rules := m.run.Rules(); rules != nil {
		ok, line := rulesSummary(rules, m.vals)
		if ok {
			return s.OK.Render("rules ✓ ") + s.Muted.Render(line)
		}
		return s.Error.Render("rules ✗ ") + line
	}
	return s.Muted.Render("Answers are checked as you go; secrets are never shown.")
}

// bodyLines renders the current phase below the header, as lines wrapped to
// the screen width.
func (m *stepModel) bodyLines() []string {
	s := m.c.styles
	w := max(m.width, 10)
	var out []string
	add := func(text string) {
		out = append(out, strings.Split(wrap(text, w), "\n")...)
	}
	hang := func(prefix, text string) {
		pw := lipglossWidth(prefix)
		lines := strings.Split(wrap(text, max(w-pw, 10)), "\n")
		for i, l := range lines {
			if i == 0 {
				out = append(out, prefix+l)
			} else {
				out = append(out, strings.Repeat(" ", pw)+l)
			}
		}
	}
	spin := m.spin.View()

	switch m.phase {
	case phaseLoading:
		add("")
		add(spin + " Loading the step's answers" + m.loadingWhat() + "…")
	case phaseLoadError:
		add("")
		hang(s.Error.Render("✗ ")+"", "Couldn't load this step: "+plainErr(m.run.LoadErr))
		add(s.Muted.Render("Nothing was changed. Press " + m.c.keys.Retry.Help().Key + " to try again, " + m.c.keys.Back.Help().Key + " to go back."))
	case phaseRead:
		m.instructions(add, hang)
	case phaseChecking:
		add("")
		what := "Checking the answers…"
		if m.step.Check != steps.CheckNone {
			what = "Checking with the vendor…"
		}
		add(spin + " " + what)
		add(s.Muted.Render(fmt.Sprintf("Gives up after %s; %s cancels. Nothing is saved until the check passes.", m.c.checkTimeout, m.c.keys.Cancel.Help().Key)))
		m.warningLines(hang)
	case phaseFailed:
		add("")
		f := m.run.Failure()
		switch {
		case f.Cancelled:
			hang(s.Warn.Render("■ "), "Check cancelled. Nothing was saved.")
		case f.CheckErr != nil:
			hang(s.Error.Render("✗ "), "The check could not run: "+plainErr(f.CheckErr))
			add(s.Muted.Render("Nothing was saved."))
		case f.Guess:
			hang(s.Warn.Render("? "), "Couldn't check this step: an address or answer patchbay guesses for this vendor may be wrong. Nothing was saved.")
		case f.Unreachable:
			hang(s.Warn.Render("? "), "Couldn't reach the vendor to check this step.")
		default:
			hang(s.Error.Render("✗ "), "The check failed. Nothing was saved.")
		}
		if f.CheckErr == nil && !f.Cancelled {
			if f.Detail != "" {
				hang(s.Muted.Render("  Found: "), f.Detail)
			}
			if f.Fix != "" {
				hang(s.Muted.Render("  Fix:   "), f.Fix)
			}
		}
		m.outcomeWarnings(hang)
		add("")
		opts := "r retry the check · e edit the answers"
		if m.run.CanCompleteUnverified() {
			opts += " · u complete as unverified (verify later from the dashboard)"
		}
		add(s.Muted.Render(opts))
	case phaseCompleting:
		add("")
		add(spin + " Saving… (secrets to the store, then the step's state, in one go)")
	case phaseSaveFailed:
		add("")
		hang(s.Error.Render("✗ "), "Couldn't save: "+plainErr(m.run.Failure().SaveErr))
		add(s.Muted.Render("Nothing was stored: the step is as it was. " + m.c.keys.Retry.Help().Key + " tries again."))
	case phaseDone:
		out := m.run.Outcome()
		add("")
		add(s.OK.Render("done ✓") + " proof: " + s.ProofWord(out.Proof))
		if out.Detail != "" {
			hang("  ", out.Detail)
		}
		m.outcomeWarnings(hang)
		add("")
		next := m.run.NextStep()
		enter := m.c.keys.Continue.Help().Key + ": "
		switch {
		case m.run.Setup && next != nil:
			add(s.Muted.Render(enter+"next step — ") + next.Title)
		case m.run.Setup:
			add(s.OK.Render(m.integ.Name+": every step is done.") + s.Muted.Render(" "+enter+"back home"))
		case m.backTo != "":
			add(s.Muted.Render(enter + m.backTo))
		default:
			add(s.Muted.Render(enter + "back home"))
		}
		if h := m.run.Handoff(); h != "" {
			add("")
			add(s.Title.Render("Hand-off message") + s.Muted.Render(" ("+m.c.keys.Copy.Help().Key+" copies it)"))
			for _, l := range strings.Split(strings.TrimRight(h, "\n"), "\n") {
				hang("  ", l)
			}
		}
		if usage := m.run.Usage(); len(usage) > 0 {
			add("")
			add(s.Title.Render("Using it"))
			for _, u := range usage {
				hang("  • ", u)
			}
		}
	}
	return out
}

func (m *stepModel) loadingWhat() string {
	for _, f := range m.step.Fields {
		if f.Source != steps.SourceNone {
			return " and the vendor's list"
		}
	}
	return ""
}

func (m *stepModel) instructions(add func(string), hang func(string, string)) {
	s := m.c.styles
	if m.step.Link != "" {
		if m.showLink {
			hang(s.Warn.Render("Open this link: "), s.Link.Render(m.step.Link))
		} else {
			hang(s.Muted.Render("Link: "), s.Link.Render(m.step.Link)+s.Muted.Render("  ("+m.c.keys.OpenLink.Help().Key+" opens it)"))
		}
	}
	if len(m.step.Copy) > 0 {
		add("")
		add(s.Title.Render("To paste elsewhere") + s.Muted.Render(" ("+m.c.keys.Copy.Help().Key+" copies the next, "+m.c.keys.CopyN.Help().Key+" a given one)"))
		for i, it := range m.step.Copy {
			mark := ""
			if m.copied[i] {
				mark = s.OK.Render(" copied ✓")
			}
			// The value gets a line of its own so a URL stays whole and can be
			// selected by hand when the terminal has no clipboard.
			hang(s.Number.Render(fmt.Sprintf(" [%d] ", i+1)), it.Label+mark)
			if it.Secret != "" {
				hang("     ", s.Muted.Render("secret: copied from the store, never shown"))
			} else {
				hang("     ", it.Value)
			}
		}
	}
	if m.integ.StepIndex(m.step.ID) == 0 && len(m.integ.Prerequisites) > 0 {
		// The integration's first screen: what the article asks first.
		add("")
		add(s.Title.Render("Before you start"))
		for _, p := range m.integ.Prerequisites {
			hang(s.Muted.Render("  • "), p)
		}
	}
	if len(m.step.Actions) > 0 {
		add("")
		add(s.Title.Render("What to do"))
		for i, a := range m.step.Actions {
			hang(s.Number.Render(fmt.Sprintf("%2d. ", i+1)), a)
		}
	}
	if len(m.step.Caveats) > 0 {
		add("")
		add(s.Title.Render("Mind"))
		for _, c := range m.step.Caveats {
			hang(s.Caveat.Render(" ! "), c)
		}
	}
	if len(m.run.Notices) > 0 || m.formErr != "" {
		add("")
	}
	for _, n := range m.run.Notices {
		hang(s.Warn.Render(" ! "), n)
	}
	if m.formErr != "" {
		hang(s.Error.Render("✗ "), m.formErr)
	}
	add("")
	if m.unverified() {
		hang(s.ProofStyle(steps.ProofUnverified).Render("? "), "Done, but unverified: the vendor could not be reached then. "+
			m.c.keys.VerifyNow.Help().Key+" checks it now; it turns verified when the vendor accepts it.")
	}
	if len(m.step.Fields) == 0 {
		add(s.Muted.Render("Nothing to type here: press " + m.c.keys.Answer.Help().Key + " to check and complete this step."))
	} else {
		var names []string
		for _, f := range m.step.Fields {
			names = append(names, f.Label)
		}
		add(s.Muted.Render("Press " + m.c.keys.Answer.Help().Key + " to answer: " + strings.Join(names, ", ") + "."))
	}
}

func (m *stepModel) warningLines(hang func(string, string)) {
	for _, w := range m.run.AnswerWarnings() {
		hang(m.c.styles.Warn.Render("  ! "), w)
	}
}

// outcomeWarnings shows the answers' warnings and the check's, once each.
func (m *stepModel) outcomeWarnings(hang func(string, string)) {
	for _, w := range m.run.Warnings() {
		hang(m.c.styles.Warn.Render("  ! "), w)
	}
}
