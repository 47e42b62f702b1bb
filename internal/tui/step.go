package tui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// stepPhase is where a run of one step stands.
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

// stepModel is the one generic screen that runs any catalog step: it shows
// the step, asks its fields in a Huh form, runs the live check and completes
// the step through the backend.
type stepModel struct {
	c     *common
	seq   int // tells this screen's backend answers from a previous screen's
	integ steps.Integration
	index int // the step's position in the integration
	step  steps.Step
	setup bool // guided setup: go on to the next step when done
	was   app.StepView

	phase   stepPhase
	loadErr error
	loadRun int // which load (a retry starts a new one)
	pending int // loads of this run still on their way

	input   app.StepInput
	prior   steps.Answers
	options map[string][]steps.Option
	optErr  map[string]error
	rules   *optionRules

	answers map[string]string // non-secret answers, pre-filling the next form
	typed   map[string]string // secrets typed in this run; never rendered
	vals    []*formValue
	form    *huh.Form
	formErr string // a whole-step problem shown above the form

	sub      app.Submission
	warnings []string
	outcome  app.Outcome
	checkErr error
	saveErr  error
	cancel   context.CancelFunc
	checkRun int

	copied map[int]bool
	flash  string
	// showLink prints the link prominently: the browser could not be opened.
	showLink bool

	spin   spinner.Model
	scroll int
	width  int
	height int
}

func newStepModel(c *common, seq int, iv app.IntegrationView, stepID string, setup bool) (*stepModel, bool) {
	idx := iv.Integration.StepIndex(stepID)
	if idx < 0 {
		return nil, false
	}
	m := &stepModel{
		c:       c,
		seq:     seq,
		integ:   iv.Integration,
		index:   idx,
		step:    iv.Integration.Steps[idx],
		setup:   setup,
		options: map[string][]steps.Option{},
		optErr:  map[string]error{},
		answers: map[string]string{},
		typed:   map[string]string{},
		copied:  map[int]bool{},
		spin:    spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.styles.Spinner)),
	}
	for _, sv := range iv.Steps {
		if sv.Step.ID == stepID {
			m.was = sv
		}
	}
	return m, true
}

// Init starts loading what the step needs.
func (m *stepModel) Init() tea.Cmd {
	m.phase = phaseLoading
	m.loadErr = nil
	m.loadRun++
	m.pending = 1
	m.options, m.optErr = map[string][]steps.Option{}, map[string]error{}
	cmds := []tea.Cmd{loadStepInput(m.c, m.seq, m.loadRun, m.integ.ID, m.step)}
	for _, f := range m.step.Fields {
		if f.Source != steps.SourceNone {
			m.pending++
			cmds = append(cmds, loadOptions(m.c, m.seq, m.loadRun, m.integ.ID, f.Key, f.Source))
		}
	}
	cmds = append(cmds, m.startSpinner())
	return tea.Batch(cmds...)
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
}

func (m *stepModel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !m.busy() {
			return nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	case stepInputMsg:
		if msg.seq != m.seq || msg.run != m.loadRun || m.phase != phaseLoading {
			return nil
		}
		if msg.err != nil {
			m.phase, m.loadErr = phaseLoadError, msg.err
			return nil
		}
		m.input, m.prior = msg.input, msg.prior
		for k, v := range msg.input.Values {
			m.answers[k] = v
		}
		m.rules = rulesFor(m.step, m.prior)
		return m.loaded()
	case optionsMsg:
		if msg.seq != m.seq || msg.run != m.loadRun || m.phase != phaseLoading {
			return nil
		}
		if msg.err != nil {
			m.optErr[msg.field] = msg.err
		} else {
			m.options[msg.field] = msg.opts
		}
		return m.loaded()
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
		case msg.secret:
			m.flash = m.c.styles.OK.Render("copied ✓") + " (value hidden): " + msg.label
		default:
			m.flash = m.c.styles.OK.Render("copied ✓") + " " + msg.label
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

// loaded moves on once every load has answered.
func (m *stepModel) loaded() tea.Cmd {
	m.pending--
	if m.pending > 0 {
		return nil
	}
	m.phase = phaseRead
	m.scroll = 0
	return nil
}

func (m *stepModel) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Up):
		m.scroll = max(0, m.scroll-1)
		return nil
	case key.Matches(msg, k.Down):
		m.scroll++ // View clamps it to the content
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
			m.phase = phaseFailed
			m.checkErr = errCheckCancelled
			return nil
		}
	case phaseFailed:
		switch {
		case key.Matches(msg, k.Retry):
			return m.startCheck()
		case key.Matches(msg, k.Edit):
			return m.openForm()
		case key.Matches(msg, k.Unverified) && m.checkErr == nil && m.outcome.Unreachable:
			out := m.outcome
			out.Proof = steps.ProofUnverified
			return m.startComplete(out)
		case key.Matches(msg, k.OpenLink):
			return m.openLink()
		case key.Matches(msg, k.Back):
			m.phase = phaseRead
		}
	case phaseSaveFailed:
		switch {
		case key.Matches(msg, k.Retry):
			return m.startComplete(m.outcome)
		case key.Matches(msg, k.Edit):
			return m.openForm()
		case key.Matches(msg, k.Back):
			m.phase = phaseRead
		}
	case phaseDone:
		switch {
		case key.Matches(msg, k.Continue):
			return emit(stepFinishedMsg{integration: m.integ.ID, step: m.step.ID, setup: m.setup})
		case key.Matches(msg, k.Copy):
			if h := m.handoff(); h != "" {
				return copyToClipboard(m.c, m.seq, m.integ.ID, steps.CopyItem{Label: "hand-off message", Value: h})
			}
		case key.Matches(msg, k.Back):
			return emit(closeStepMsg{})
		}
	}
	return nil
}

var errCheckCancelled = errors.New("check cancelled")

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

// openForm builds a fresh form from the current answers. A step with no
// fields goes straight to its check.
func (m *stepModel) openForm() tea.Cmd {
	m.flash = ""
	if len(m.step.Fields) == 0 {
		m.sub = app.Submission{Integration: m.integ.ID, Step: m.step.ID, Values: map[string]string{}, Secrets: map[string]string{}}
		return m.validateAndCheck()
	}
	typed := map[string]bool{}
	for k := range m.typed {
		typed[k] = true
	}
	sp := formSpec{
		step:    m.step,
		answers: m.answers,
		stored:  m.input.StoredSecrets,
		typed:   typed,
		options: m.options,
		optErr:  m.optErr,
		rules:   m.rules,
		fresh:   m.was.CompletedAt.IsZero() && m.was.Status != steps.StatusDone,
		theme:   m.c.styles.Form,
		keys:    m.c.keys,
		width:   m.width,
		height:  m.formHeight(),
	}
	if m.vals == nil {
		m.vals = newFormValues(sp)
	} else {
		// Keep what was answered; secrets are never put back in an input.
		for _, v := range m.vals {
			if v.field.IsSecret() {
				v.str = ""
				if m.typed[v.field.Key] != "" {
					v.keep = keepTyped
				}
			}
			if v.field.Kind == steps.KindConfirm {
				v.on.Store(false)
			}
		}
	}
	m.form = buildForm(sp, m.vals)
	m.phase = phaseForm
	return m.form.Init()
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
		m.phase = phaseRead
		m.formErr = ""
		m.keepAnswers()
		return nil
	}
	return cmd
}

// keepAnswers carries non-secret answers over to the next form.
func (m *stepModel) keepAnswers() {
	for _, v := range m.vals {
		if !v.field.IsSecret() && v.field.Kind != steps.KindConfirm {
			m.answers[v.field.Key] = v.encode()
		}
	}
}

// submit validates the answers as a whole and starts the live check.
func (m *stepModel) submit() tea.Cmd {
	values := map[string]string{}
	secrets := map[string]string{}
	var warnings []string
	var problems []string
	for _, v := range m.vals {
		k := v.field.Key
		if !v.field.IsSecret() {
			values[k] = v.encode()
			continue
		}
		raw := v.str
		v.str = "" // the typed secret leaves the form's memory now
		if strings.TrimSpace(raw) == "" {
			switch v.keep {
			case keepTyped:
				secrets[k] = m.typed[k]
			case keepStored:
				// absent from Secrets: the stored one stays
			default:
				if !v.field.Optional {
					problems = append(problems, v.field.Label+": is empty")
				}
			}
			continue
		}
		n, w, err := v.field.Check(raw)
		if err != nil {
			problems = append(problems, v.field.Label+": "+fieldErr(err).Error())
			continue
		}
		warnings = append(warnings, w...)
		secrets[k] = n
		m.typed[k] = n
	}
	m.keepAnswers()
	if len(problems) > 0 {
		m.formErr = strings.Join(problems, "\n")
		return m.openForm()
	}
	norm, w, err := m.step.ValidateAnswers(values, m.prior)
	warnings = append(warnings, w...)
	if err != nil {
		m.formErr = err.Error()
		return m.openForm()
	}
	m.formErr = ""
	m.warnings = warnings
	m.sub = app.Submission{Integration: m.integ.ID, Step: m.step.ID, Values: norm, Secrets: secrets}
	return m.startCheck()
}

func (m *stepModel) validateAndCheck() tea.Cmd {
	norm, w, err := m.step.ValidateAnswers(m.sub.Values, m.prior)
	if err != nil {
		m.phase = phaseFailed
		m.checkErr = err
		return nil
	}
	m.sub.Values = norm
	m.warnings = w
	return m.startCheck()
}

// startCheck runs the live check with a bound; esc cancels it.
func (m *stepModel) startCheck() tea.Cmd {
	m.abortCheck()
	ctx, cancel := context.WithTimeout(m.c.ctx, m.c.checkTimeout)
	m.cancel = cancel
	m.checkRun++
	m.phase = phaseChecking
	m.checkErr = nil
	m.outcome = app.Outcome{}
	m.flash = ""
	return tea.Batch(runCheck(ctx, m.c.backend, m.seq, m.checkRun, m.sub), m.startSpinner())
}

func (m *stepModel) onCheck(msg checkMsg) tea.Cmd {
	if msg.seq != m.seq || msg.run != m.checkRun || m.phase != phaseChecking {
		return nil
	}
	m.abortCheck()
	switch {
	case errors.Is(msg.err, context.DeadlineExceeded):
		// No answer within the bound is the vendor being unreachable: it
		// must not block the admin.
		m.outcome = app.Outcome{
			Proof:       steps.ProofUnverified,
			Unreachable: true,
			Detail:      fmt.Sprintf("The vendor did not answer within %s.", m.c.checkTimeout),
			Fix:         "Check your network, then retry; or complete the step as unverified and verify it later from the dashboard.",
		}
		m.phase = phaseFailed
		return nil
	case msg.err != nil:
		m.checkErr = msg.err
		m.phase = phaseFailed
		return nil
	}
	m.outcome = msg.out
	if !msg.out.OK {
		m.phase = phaseFailed
		return nil
	}
	return m.startComplete(msg.out)
}

func (m *stepModel) startComplete(out app.Outcome) tea.Cmd {
	m.outcome = out
	m.phase = phaseCompleting
	m.saveErr = nil
	return tea.Batch(runComplete(m.c, m.seq, m.sub, out), m.startSpinner())
}

func (m *stepModel) onComplete(msg completeMsg) tea.Cmd {
	if msg.seq != m.seq || m.phase != phaseCompleting {
		return nil
	}
	if msg.err != nil {
		m.saveErr = msg.err
		m.phase = phaseSaveFailed
		return nil
	}
	m.phase = phaseDone
	m.outcome = msg.out
	m.typed = map[string]string{} // stored now; nothing to keep in memory
	m.scroll = 0
	return emit(refreshMsg{})
}

func (m *stepModel) handoff() string {
	if m.step.Handoff == nil {
		return ""
	}
	prior := steps.Answers{}
	for k, v := range m.prior {
		prior[k] = v
	}
	return m.step.Handoff(m.sub.Values, prior)
}

// nextStep is the step after this one in the integration, "" for the last.
func (m *stepModel) nextStepTitle() string {
	if m.index+1 < len(m.integ.Steps) {
		return m.integ.Steps[m.index+1].Title
	}
	return ""
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
		if m.checkErr == nil && m.outcome.Unreachable {
			b = append(b, k.Unverified)
		}
		return append(b, k.Back)
	case phaseSaveFailed:
		return []key.Binding{k.Retry, k.Edit, k.Back}
	case phaseDone:
		b := []key.Binding{k.Continue}
		if m.handoff() != "" {
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

func (m *stepModel) header() string {
	s := m.c.styles
	w := max(m.width, 1)
	pos := fmt.Sprintf("%s · step %d of %d", m.integ.Name, m.index+1, len(m.integ.Steps))
	if m.setup {
		pos += " · guided setup"
	}
	badge := s.ProofBadge(m.was.Status, m.was.Proof)
	line1 := truncate(s.Muted.Render(pos), max(w-lipglossWidth(badge)-1, 1))
	line1 = padRight(line1, max(w-lipglossWidth(badge), 0)) + badge
	title := truncate(s.Title.Render(m.step.Title), w)
	where := truncate(s.Muted.Render("Where: ")+s.Where.Render(m.step.Where), w)
	return fit(line1+"\n"+title+"\n"+where, w, 3)
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
	content := m.bodyLines()
	avail := max(bodyH-1, 0)
	maxScroll := max(len(content)-avail, 0)
	m.scroll = min(m.scroll, maxScroll)
	visible := content[m.scroll:min(len(content), m.scroll+avail)]
	footer := ""
	switch {
	case m.flash != "":
		footer = m.flash
	case maxScroll > 0:
		footer = m.c.styles.Muted.Render(fmt.Sprintf("↑↓/jk scroll · lines %d-%d of %d", m.scroll+1, m.scroll+len(visible), len(content)))
	}
	var b strings.Builder
	b.WriteString(head)
	for _, l := range visible {
		b.WriteString("\n" + truncate(l, m.width))
	}
	if footer != "" {
		for i := len(visible); i < avail; i++ {
			b.WriteString("\n")
		}
		b.WriteString("\n" + truncate(footer, m.width))
	}
	return fit(b.String(), m.width, m.height)
}

// scrollable reports whether the current phase has more lines than fit.
func (m *stepModel) scrollable() bool {
	return len(m.bodyLines()) > m.height-m.headerHeight()-1
}

func (m *stepModel) formFooter() string {
	s := m.c.styles
	if m.form != nil {
		if errs := m.form.Errors(); len(errs) > 0 {
			return s.Error.Render("✗ ") + errs[0].Error()
		}
	}
	if m.rules != nil {
		ok, line := m.rules.summary(m.vals)
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
		hang(s.Error.Render("✗ ")+"", "Couldn't load this step: "+plainErr(m.loadErr))
		add(s.Muted.Render("Nothing was changed. Press r to try again, esc to go back."))
	case phaseRead:
		m.instructions(add, hang)
	case phaseChecking:
		add("")
		what := "Checking the answers…"
		if m.step.Check != steps.CheckNone {
			what = "Checking with the vendor…"
		}
		add(spin + " " + what)
		add(s.Muted.Render(fmt.Sprintf("Gives up after %s; esc cancels. Nothing is saved until the check passes.", m.c.checkTimeout)))
		m.warningLines(hang)
	case phaseFailed:
		add("")
		switch {
		case errors.Is(m.checkErr, errCheckCancelled):
			hang(s.Warn.Render("■ "), "Check cancelled. Nothing was saved.")
		case m.checkErr != nil:
			hang(s.Error.Render("✗ "), "The check could not run: "+plainErr(m.checkErr))
			add(s.Muted.Render("Nothing was saved."))
		case m.outcome.Unreachable:
			hang(s.Warn.Render("? "), "Couldn't reach the vendor to check this step.")
		default:
			hang(s.Error.Render("✗ "), "The check failed. Nothing was saved.")
		}
		if m.checkErr == nil {
			if m.outcome.Detail != "" {
				hang(s.Muted.Render("  Found: "), m.outcome.Detail)
			}
			if m.outcome.Fix != "" {
				hang(s.Muted.Render("  Fix:   "), m.outcome.Fix)
			}
		}
		m.outcomeWarnings(hang)
		add("")
		opts := "r retry the check · e edit the answers"
		if m.checkErr == nil && m.outcome.Unreachable {
			opts += " · u complete as unverified (verify later from the dashboard)"
		}
		add(s.Muted.Render(opts))
	case phaseCompleting:
		add("")
		add(spin + " Saving… (secrets to the store, then the step's state, in one go)")
	case phaseSaveFailed:
		add("")
		hang(s.Error.Render("✗ "), "Couldn't save: "+plainErr(m.saveErr))
		add(s.Muted.Render("Nothing was stored: the step is as it was. r tries again."))
	case phaseDone:
		add("")
		add(s.OK.Render("done ✓") + " proof: " + s.ProofWord(m.outcome.Proof))
		if m.outcome.Detail != "" {
			hang("  ", m.outcome.Detail)
		}
		m.outcomeWarnings(hang)
		add("")
		switch next := m.nextStepTitle(); {
		case m.setup && next != "":
			add(s.Muted.Render("enter: next step — ") + next)
		case m.setup:
			add(s.OK.Render(m.integ.Name+": every step is done.") + s.Muted.Render(" enter: back home"))
		default:
			add(s.Muted.Render("enter: back home"))
		}
		if h := m.handoff(); h != "" {
			add("")
			add(s.Title.Render("Hand-off message") + s.Muted.Render(" (c copies it)"))
			for _, l := range strings.Split(strings.TrimRight(h, "\n"), "\n") {
				hang("  ", l)
			}
		}
		if m.setup && m.nextStepTitle() == "" && len(m.integ.Usage) > 0 {
			add("")
			add(s.Title.Render("Using it"))
			for _, u := range m.integ.Usage {
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
			hang(s.Muted.Render("Link: "), s.Link.Render(m.step.Link)+s.Muted.Render("  (o opens it)"))
		}
	}
	if len(m.step.Copy) > 0 {
		add("")
		add(s.Title.Render("To paste elsewhere") + s.Muted.Render(" (c copies the next, 1-9 a given one)"))
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
	add("")
	if len(m.step.Fields) == 0 {
		add(s.Muted.Render("Nothing to type here: press enter to check and complete this step."))
	} else {
		var names []string
		for _, f := range m.step.Fields {
			names = append(names, f.Label)
		}
		add(s.Muted.Render("Press enter to answer: " + strings.Join(names, ", ") + "."))
	}
}

func (m *stepModel) warningLines(hang func(string, string)) {
	for _, w := range m.warnings {
		hang(m.c.styles.Warn.Render("  ! "), w)
	}
}

// outcomeWarnings shows the form's warnings and the check's, once each (the
// backend repeats the answers' warnings in its outcome).
func (m *stepModel) outcomeWarnings(hang func(string, string)) {
	for _, w := range mergeWarnings(m.warnings, m.outcome.Warnings) {
		hang(m.c.styles.Warn.Render("  ! "), w)
	}
}

// mergeWarnings joins warning lists, dropping repeats, in order.
func mergeWarnings(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, w := range l {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}
