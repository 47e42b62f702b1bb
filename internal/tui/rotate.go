package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// Rotator is what rotating a secret from the home screen needs. It is kept
// apart from Backend so that a backend without rotation still runs the rest
// of the TUI: the home screen offers rotation only when the backend has it.
type Rotator interface {
	// PlanRotation says where to create the new credential and refuses
	// early (nothing stored, previous value awaiting revocation).
	PlanRotation(ctx context.Context, integration, key string) (app.RotationPlan, error)
	// Rotate checks the new value live, then replaces the old one, keeping
	// it as "previous"; a refused value changes nothing.
	Rotate(ctx context.Context, req app.RotateRequest) (app.RotateResult, error)
	// ConfirmRevoked records that the previous value was revoked.
	ConfirmRevoked(ctx context.Context, integration, key string) (string, error)
}

// Messages of the rotation screen; each carries the screen's sequence
// number so that an answer for a screen already left is dropped.

// openRotateMsg asks the root to open the rotation screen for one secret.
type openRotateMsg struct{ integration, key string }

// closeRotateMsg: leave the rotation screen for home.
type closeRotateMsg struct{}

type rotatePlanMsg struct {
	seq  int
	plan app.RotationPlan
	err  error
}

type rotatedMsg struct {
	seq int
	res app.RotateResult
	err error
}

type revokedMsg struct {
	seq   int
	last4 string
	err   error
}

func loadRotationPlan(c *common, r Rotator, seq int, integration, key string) tea.Cmd {
	ctx, d := c.ctx, c.loadTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		plan, err := r.PlanRotation(ctx, integration, key)
		return rotatePlanMsg{seq: seq, plan: plan, err: err}
	}
}

// runRotate is the live check and the write together. Like a step's write
// it is not tied to esc; the two-phase protocol keeps it whole even if the
// program stops half-way.
func runRotate(c *common, r Rotator, seq int, req app.RotateRequest) tea.Cmd {
	ctx, d := c.ctx, c.checkTimeout+c.completeTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
		defer cancel()
		res, err := r.Rotate(ctx, req)
		return rotatedMsg{seq: seq, res: res, err: err}
	}
}

func runConfirmRevoked(c *common, r Rotator, seq int, integration, key string) tea.Cmd {
	ctx, d := c.ctx, c.completeTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
		defer cancel()
		last4, err := r.ConfirmRevoked(ctx, integration, key)
		return revokedMsg{seq: seq, last4: last4, err: err}
	}
}

type rotatePhase int

const (
	rotLoading rotatePhase = iota
	rotRefused             // the plan refused: nothing to rotate, or a previous value awaits revocation
	rotInput               // the guide and the inputs
	rotWorking             // checking the new value, then writing it
	rotFailed              // the new value was refused: nothing changed
	rotDone                // rotated; re-runs and revocation to do
	rotRevoking
)

// rotateModel is the rotation screen: how to create the new credential in
// the vendor's UI, a hidden input for it (and its lifetime for Vetty keys),
// then what the rotation did and what to do next.
type rotateModel struct {
	c     *common
	r     Rotator
	seq   int
	integ string
	key   string

	phase   rotatePhase
	plan    app.RotationPlan
	err     error
	res     app.RotateResult
	revoked bool
	flash   string

	months    textinput.Model
	hasMonths bool
	secret    textinput.Model
	onSecret  bool // the secret input has the focus (else the months)
	rerun     int  // selected step among res.NeedsRerun
	// rerunDone marks the steps of res.NeedsRerun re-run since, from the
	// overview the root hands on (SetIntegration).
	rerunDone map[string]bool
	// awaitsRevoke: the plan refused because the previous value still awaits
	// its revocation, which can be confirmed here.
	awaitsRevoke bool

	spin          spinner.Model
	width, height int
}

func newRotateModel(c *common, r Rotator, seq int, integration, key string) *rotateModel {
	secret := textinput.New()
	secret.EchoMode = textinput.EchoPassword
	secret.EchoCharacter = '•'
	secret.Prompt = "> "
	months := textinput.New()
	months.Prompt = "> "
	months.CharLimit = 3
	return &rotateModel{
		c: c, r: r, seq: seq, integ: integration, key: key,
		secret: secret, months: months, onSecret: true,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.styles.Spinner)),
	}
}

func (m *rotateModel) Init() tea.Cmd {
	cmds := []tea.Cmd{loadRotationPlan(m.c, m.r, m.seq, m.integ, m.key)}
	if m.c.animate {
		cmds = append(cmds, m.spin.Tick)
	}
	return tea.Batch(cmds...)
}

// SetIntegration takes the integration's latest overview: which of the
// steps to re-run are done again. The cursor moves on to the first one left.
func (m *rotateModel) SetIntegration(iv app.IntegrationView) {
	if m.phase != rotDone && m.phase != rotRevoking {
		return
	}
	m.rerunDone = map[string]bool{}
	for _, sv := range iv.Steps {
		if slices.Contains(m.res.NeedsRerun, sv.Step.ID) && sv.Status == steps.StatusDone {
			m.rerunDone[sv.Step.ID] = true
		}
	}
	for i, id := range m.res.NeedsRerun {
		if !m.rerunDone[id] {
			m.rerun = i
			break
		}
	}
}

func (m *rotateModel) SetSize(width, height int) {
	m.width, m.height = width, height
	m.secret.SetWidth(max(width-6, 10))
	m.months.SetWidth(6)
}

// capturesKeys reports whether printable keys are typed into an input.
func (m *rotateModel) capturesKeys() bool { return m.phase == rotInput }

// busy reports whether a backend call is running.
func (m *rotateModel) busy() bool {
	return m.phase == rotLoading || m.phase == rotWorking || m.phase == rotRevoking
}

func (m *rotateModel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !m.busy() {
			return nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	case rotatePlanMsg:
		if msg.seq != m.seq {
			return nil
		}
		if msg.err != nil {
			m.phase, m.err = rotRefused, msg.err
			m.awaitsRevoke = errors.Is(msg.err, app.ErrPreviousKept)
			return nil
		}
		m.plan, m.phase, m.awaitsRevoke = msg.plan, rotInput, false
		if f := msg.plan.Step.ExpiryMonthsField; f != "" {
			m.hasMonths = true
			m.months.SetValue(msg.plan.Values[f])
		}
		return m.focusInput(true)
	case rotatedMsg:
		if msg.seq != m.seq {
			return nil
		}
		m.res, m.err = msg.res, msg.err
		if msg.err != nil {
			m.phase = rotFailed
			return nil
		}
		m.phase, m.rerun = rotDone, 0
		return emit(refreshMsg{})
	case revokedMsg:
		if msg.seq != m.seq {
			return nil
		}
		if m.awaitsRevoke {
			// Confirmed from the refusal: the rotation can go ahead now.
			if msg.err != nil {
				m.phase = rotRefused
				m.flash = "couldn't record the revocation: " + plainErr(msg.err)
				return nil
			}
			m.phase, m.err, m.flash, m.awaitsRevoke = rotLoading, nil, "previous "+m.key+" ("+app.Ending(msg.last4)+") recorded as revoked", false
			return tea.Batch(emit(refreshMsg{}), loadRotationPlan(m.c, m.r, m.seq, m.integ, m.key))
		}
		m.phase = rotDone
		if msg.err != nil {
			m.flash = "couldn't record the revocation: " + plainErr(msg.err)
			return nil
		}
		m.revoked, m.flash = true, ""
		return emit(refreshMsg{})
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	if m.phase == rotInput {
		return m.updateInput(msg)
	}
	return nil
}

func (m *rotateModel) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.keys
	switch m.phase {
	case rotInput:
		switch {
		case key.Matches(msg, k.Cancel):
			m.secret.SetValue("")
			return emit(closeRotateMsg{})
		case key.Matches(msg, k.NextPane), key.Matches(msg, k.PrevPane):
			if m.hasMonths {
				return m.focusInput(!m.onSecret)
			}
			return nil
		case key.Matches(msg, k.Answer):
			if !m.onSecret {
				return m.focusInput(true)
			}
			return m.submit()
		}
		return m.updateInput(msg)
	case rotFailed:
		switch {
		case key.Matches(msg, k.Edit), key.Matches(msg, k.Retry), key.Matches(msg, k.Continue):
			m.phase, m.err = rotInput, nil
			return m.focusInput(true)
		case key.Matches(msg, k.Back):
			return emit(closeRotateMsg{})
		}
	case rotDone:
		n := len(m.res.NeedsRerun)
		switch {
		case key.Matches(msg, k.Up) && n > 0:
			m.rerun = clamp(m.rerun-1, 0, n-1)
		case key.Matches(msg, k.Down) && n > 0:
			m.rerun = clamp(m.rerun+1, 0, n-1)
		case key.Matches(msg, k.Open) && n > 0:
			return emit(openStepMsg{integration: m.integ, step: m.res.NeedsRerun[m.rerun], fromRotate: true})
		case key.Matches(msg, k.Revoked) && m.res.PreviousKept && !m.revoked:
			return m.confirmRevoked()
		case key.Matches(msg, k.Back):
			return emit(closeRotateMsg{})
		}
	case rotRefused:
		switch {
		case key.Matches(msg, k.Revoked) && m.awaitsRevoke:
			return m.confirmRevoked()
		case key.Matches(msg, k.Back):
			return emit(closeRotateMsg{})
		}
	}
	return nil
}

// confirmRevoked records that the previous value was revoked in the
// vendor's UI; patchbay then deletes its kept copy.
func (m *rotateModel) confirmRevoked() tea.Cmd {
	m.phase, m.flash = rotRevoking, ""
	cmds := []tea.Cmd{runConfirmRevoked(m.c, m.r, m.seq, m.integ, m.key)}
	if m.c.animate {
		cmds = append(cmds, m.spin.Tick)
	}
	return tea.Batch(cmds...)
}

func (m *rotateModel) focusInput(secret bool) tea.Cmd {
	m.onSecret = secret || !m.hasMonths
	if m.onSecret {
		m.months.Blur()
		return m.secret.Focus()
	}
	m.secret.Blur()
	return m.months.Focus()
}

func (m *rotateModel) updateInput(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	if m.onSecret {
		m.secret, cmd = m.secret.Update(msg)
	} else {
		m.months, cmd = m.months.Update(msg)
	}
	return cmd
}

// submit starts the rotation. The typed secret leaves the input at once: it
// lives on only in the command that hands it to the backend.
func (m *rotateModel) submit() tea.Cmd {
	value := m.secret.Value()
	if strings.TrimSpace(value) == "" {
		m.flash = "paste the new " + m.plan.Field.Label + " first"
		return nil
	}
	req := app.RotateRequest{Integration: m.integ, Key: m.key, NewValue: value, Values: map[string]string{}}
	if m.hasMonths {
		req.Values[m.plan.Step.ExpiryMonthsField] = strings.TrimSpace(m.months.Value())
	}
	m.secret.SetValue("")
	m.secret.Blur()
	m.phase, m.flash = rotWorking, ""
	cmds := []tea.Cmd{runRotate(m.c, m.r, m.seq, req)}
	if m.c.animate {
		cmds = append(cmds, m.spin.Tick)
	}
	return tea.Batch(cmds...)
}

func (m *rotateModel) ShortHelp() []key.Binding {
	k := m.c.keys
	switch m.phase {
	case rotInput:
		if m.hasMonths {
			next := key.NewBinding(key.WithKeys(k.NextPane.Keys()...), key.WithHelp(k.NextPane.Help().Key, "next field"))
			return []key.Binding{next, k.Answer, k.Cancel}
		}
		return []key.Binding{k.Answer, k.Cancel}
	case rotFailed:
		return []key.Binding{k.Edit, k.Back}
	case rotDone:
		var b []key.Binding
		if len(m.res.NeedsRerun) > 0 {
			b = append(b, k.Move, key.NewBinding(key.WithKeys(k.Open.Keys()...), key.WithHelp(k.Open.Help().Key, "re-run step")))
		}
		if m.res.PreviousKept && !m.revoked {
			b = append(b, k.Revoked)
		}
		return append(b, k.Back)
	case rotRefused:
		if m.awaitsRevoke {
			return []key.Binding{k.Revoked, k.Back}
		}
	}
	return []key.Binding{k.Back}
}

func (m *rotateModel) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// View.

func (m *rotateModel) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	s := m.c.styles
	w := m.width
	var lines []string
	add := func(text string) { lines = append(lines, wrapLines(text, w)...) }
	add(s.Title.Render(fmt.Sprintf("Rotate %s/%s", m.integ, m.key)))

	switch m.phase {
	case rotLoading:
		if m.flash != "" {
			add(s.OK.Render("✓ ") + m.flash)
		}
		add(m.spin.View() + " Reading what is stored…")
	case rotRefused:
		if m.awaitsRevoke {
			m.awaitingLines(add)
			break
		}
		add(s.Warn.Render("! ") + plainText(m.err))
	case rotRevoking:
		if m.awaitsRevoke {
			add(m.spin.View() + " Recording the revocation…")
			break
		}
		m.doneLines(add)
	case rotInput, rotWorking:
		// The inputs come first so that a short terminal never hides them;
		// the guide follows.
		cur := m.plan.Current
		when := "created " + cur.CreatedAt.Format("2006-01-02")
		if !cur.ExpiresAt.IsZero() {
			when += ", expires " + cur.ExpiresAt.Format("2006-01-02")
		}
		add(s.Muted.Render(fmt.Sprintf("Current %s: %s, %s", m.plan.Field.Label, app.Ending(cur.Last4), when)))
		if m.phase == rotWorking {
			add(m.spin.View() + fmt.Sprintf(" Checking the new %s with the vendor before anything is replaced…", m.key))
		} else {
			if m.hasMonths {
				f, _ := m.plan.Step.Field(m.plan.Step.ExpiryMonthsField)
				add(s.Text.Render(f.Label + " of the new one (1–120)"))
				lines = append(lines, truncate(m.months.View(), w))
			}
			add(s.Text.Render("New " + m.plan.Field.Label + " (hidden; it goes to the secrets store, never to the screen)"))
			lines = append(lines, truncate(m.secret.View(), w))
			if m.flash != "" {
				add(s.Warn.Render(m.flash))
			}
		}
		add("")
		lines = append(lines, m.guideLines(w)...)
	case rotFailed:
		m.failedLines(add)
	case rotDone:
		m.doneLines(add)
	}
	return fit(strings.Join(lines, "\n"), w, m.height)
}

// guideLines says where and how to create the new credential.
func (m *rotateModel) guideLines(w int) []string {
	s := m.c.styles
	st := m.plan.Step
	var lines []string
	add := func(text string) { lines = append(lines, wrapLines(text, w)...) }
	add("Create the new one in " + s.Where.Render(st.Where))
	if st.Link != "" {
		add(s.Link.Render(st.Link))
	}
	for i, a := range st.Actions {
		add(s.Number.Render(fmt.Sprintf("%d.", i+1)) + " " + a)
	}
	for _, c := range st.Caveats {
		add(s.Caveat.Render("! " + c))
	}
	add("")
	add(s.Muted.Render("patchbay checks the new value live before it replaces the current one; the current one is kept until you confirm you revoked it."))
	if len(m.plan.HandsOn) > 0 {
		add(s.Muted.Render("Afterwards, re-run " + strings.Join(m.plan.HandsOn, ", ") + " to hand the new value on."))
	}
	return lines
}

func (m *rotateModel) failedLines(add func(string)) {
	s := m.c.styles
	out := m.res.Outcome
	switch {
	case errors.Is(m.err, app.ErrCheckFailed), errors.Is(m.err, app.ErrNotVerified):
		add(s.Error.Render("✗ ") + "The new value did not pass: " + out.Detail)
		if out.Fix != "" {
			add("What to do: " + out.Fix)
		}
		if errors.Is(m.err, app.ErrNotVerified) {
			add(s.Muted.Render(fmt.Sprintf("To rotate without the check: patchbay rotate %s/%s --allow-unverified", m.integ, m.key)))
		}
	default:
		add(s.Error.Render("✗ ") + plainText(m.err))
	}
	add(s.OK.Render("Nothing was changed: ") + fmt.Sprintf("the current value (%s) stays in use.", app.Ending(m.plan.Current.Last4)))
}

func (m *rotateModel) doneLines(add func(string)) {
	s := m.c.styles
	res := m.res
	head := fmt.Sprintf("✓ Rotated: %s → %s", app.Ending(res.OldLast4), app.Ending(res.NewLast4))
	if p := res.Outcome.Proof; p != "" && !res.Outcome.Unreachable {
		head += " · " + string(p)
	} else if res.Outcome.Unreachable {
		head += " · " + string(steps.ProofUnverified)
	}
	add(s.OK.Render(head))
	if res.Outcome.Detail != "" {
		add(s.Muted.Render(res.Outcome.Detail))
	}
	if !res.ExpiresAt.IsZero() {
		add(fmt.Sprintf("The new value expires on %s.", res.ExpiresAt.Format("2006-01-02")))
	}
	add("")
	in, _ := steps.Lookup(m.integ)
	if len(res.NeedsRerun) > 0 {
		left := 0
		for _, id := range res.NeedsRerun {
			if !m.rerunDone[id] {
				left++
			}
		}
		if left == 0 {
			add(s.OK.Render("1. Handed on ✓") + " — every step that held the old value was re-run:")
		} else {
			add(s.Warn.Render("1. Hand the new value on") + " — these steps need a re-run, before you revoke the old value:")
		}
		for i, id := range res.NeedsRerun {
			title := id
			if st, ok := in.Step(id); ok {
				title = st.Title + " (" + id + ")"
			}
			if m.rerunDone[id] {
				title = s.OK.Render("✓ ") + title + s.Muted.Render(" · re-run")
			} else {
				title = s.Warn.Render("↻ ") + title
			}
			row := "  " + title
			if i == m.rerun {
				row = s.Selected.Render("▸ " + title)
			}
			add(row)
		}
		add("")
	}
	switch {
	case m.revoked:
		add(s.OK.Render("✓ ") + "The previous value is recorded as revoked; its kept copy is deleted.")
	case m.phase == rotRevoking:
		add(m.spin.View() + " Recording the revocation…")
	case res.PreviousKept:
		add(s.Warn.Render("2. Revoke the previous value") + fmt.Sprintf(" (%s) in %s.", app.Ending(res.OldLast4), res.Revoke))
		add(fmt.Sprintf("Once you have, press %s: patchbay deletes its kept copy.", m.c.keys.Revoked.Help().Key))
	}
	if m.flash != "" {
		add(s.Warn.Render(m.flash))
	}
}

// awaitingLines: a previous value awaits its revocation, so no new rotation
// starts; confirming it is one key away.
func (m *rotateModel) awaitingLines(add func(string)) {
	s := m.c.styles
	in, _ := steps.Lookup(m.integ)
	add(s.Warn.Render("! ") + fmt.Sprintf("The %s rotated out last time is kept until you confirm it was revoked.", m.key))
	add("")
	add(s.Warn.Render("Revoke the previous value") + " in " + app.RevokeGuidance(in, m.key) + ",")
	add(fmt.Sprintf("then press %s: patchbay deletes its kept copy, and you can rotate again.", m.c.keys.Revoked.Help().Key))
	if m.flash != "" {
		add(s.Warn.Render(m.flash))
	}
}

// plainText is an error's text for the screen.
func plainText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Glue for the root and the home screen.

// rotator returns the backend's rotation, when it has one.
func (c *common) rotator() (Rotator, bool) {
	r, ok := c.backend.(Rotator)
	return r, ok
}

// rotatable names the secret the R key rotates on the home screen: the one
// the selected step creates (in the steps pane), else the integration's only
// stored secret.
func (m *homeModel) rotatable() (integration, key string, ok bool) {
	if _, has := m.c.rotator(); !has {
		return "", "", false
	}
	iv, have := m.selected()
	if !have || len(iv.Secrets) == 0 {
		return "", "", false
	}
	stored := func(k string) bool {
		for _, sv := range iv.Secrets {
			if sv.Key == k {
				return true
			}
		}
		return false
	}
	if m.focus == paneSteps && m.step < len(iv.Steps) {
		for _, k := range iv.Steps[m.step].Step.Creates {
			if stored(k) {
				return iv.Integration.ID, k, true
			}
		}
		return "", "", false
	}
	if len(iv.Secrets) == 1 {
		return iv.Integration.ID, iv.Secrets[0].Key, true
	}
	return "", "", false
}

// revocable names the secret whose previous value v confirms as revoked on
// the home screen: the selected step's, else the integration's only one
// awaiting revocation.
func (m *homeModel) revocable() (integration, key string, ok bool) {
	if _, has := m.c.rotator(); !has {
		return "", "", false
	}
	iv, have := m.selected()
	if !have {
		return "", "", false
	}
	var waiting []string
	for _, sv := range iv.Secrets {
		if sv.HasPrevious {
			waiting = append(waiting, sv.Key)
		}
	}
	if m.focus == paneSteps && m.step < len(iv.Steps) {
		for _, k := range iv.Steps[m.step].Step.Creates {
			if slices.Contains(waiting, k) {
				return iv.Integration.ID, k, true
			}
		}
	}
	if len(waiting) == 1 {
		return iv.Integration.ID, waiting[0], true
	}
	return "", "", false
}

// rotateKey handles R on the home screen.
func (m *homeModel) rotateKey() tea.Cmd {
	integration, k, ok := m.rotatable()
	if !ok {
		return nil
	}
	return emit(openRotateMsg{integration: integration, key: k})
}

// rotateHelp is R's help on the home screen, shown only where it applies.
func (m *homeModel) rotateHelp() []key.Binding {
	var b []key.Binding
	if _, _, ok := m.rotatable(); ok {
		b = append(b, m.c.keys.Rotate)
	}
	if _, _, ok := m.revocable(); ok {
		b = append(b, m.c.keys.Revoked)
	}
	return b
}

func (m *rootModel) openRotate(msg openRotateMsg) tea.Cmd {
	r, ok := m.c.rotator()
	if !ok {
		return nil
	}
	m.seq++
	m.rotate = newRotateModel(m.c, r, m.seq, msg.integration, msg.key)
	m.screen = screenRotate
	m.fullHelp = false
	m.resize()
	return m.rotate.Init()
}

func (m *rootModel) closeRotate() {
	m.rotate = nil
	m.screen = screenHome
	m.resize()
}

// rotateCaptures reports whether the rotation screen takes printable keys.
func (m *rootModel) rotateCaptures() bool {
	return m.screen == screenRotate && m.rotate != nil && m.rotate.capturesKeys()
}
