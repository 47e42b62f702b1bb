package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"github.com/patchbay/patchbay/internal/steps"
)

// Styles is every style the TUI draws with. Views never build styles ad hoc:
// they pick one from here, so the colour and no-colour variants stay whole.
type Styles struct {
	Plain bool // no colour: selection and state are carried by text and weight

	Header      lipgloss.Style // the top line: product, profile, backend
	HeaderDim   lipgloss.Style
	PaneTitle   lipgloss.Style // a pane's heading when the pane is not focused
	PaneActive  lipgloss.Style // a pane's heading when it has focus
	Selected    lipgloss.Style // the row under the cursor in the focused pane
	SelectedDim lipgloss.Style // the row under the cursor in an unfocused pane
	Text        lipgloss.Style
	Muted       lipgloss.Style
	Title       lipgloss.Style // a step's title
	Where       lipgloss.Style
	Link        lipgloss.Style
	Number      lipgloss.Style // action numbers, copy item numbers
	Caveat      lipgloss.Style
	OK          lipgloss.Style
	Warn        lipgloss.Style
	Error       lipgloss.Style
	Info        lipgloss.Style
	Spinner     lipgloss.Style
	Divider     lipgloss.Style

	proof map[steps.Proof]lipgloss.Style
	state map[steps.State]lipgloss.Style
	todo  lipgloss.Style
	rerun lipgloss.Style

	Help help.Styles
	Form huh.Theme
}

// palette is the handful of colours the TUI uses, resolved for one background.
type palette struct {
	accent, accentSoft, text, muted, ok, warn, err, info, selectBg color.Color
}

func newPalette(isDark bool) palette {
	ld := lipgloss.LightDark(isDark)
	c := lipgloss.Color
	return palette{
		accent:     ld(c("#5A3FC0"), c("#A38BFF")),
		accentSoft: ld(c("#7C6AB8"), c("#8A7CC4")),
		text:       ld(c("#1F1F24"), c("#E6E6EA")),
		muted:      ld(c("#6B6B76"), c("#8C8C96")),
		ok:         ld(c("#1E7A3C"), c("#5FD68A")),
		warn:       ld(c("#9A5B00"), c("#F2B654")),
		err:        ld(c("#B3261E"), c("#FF7A70")),
		info:       ld(c("#1C5FA8"), c("#6CB6FF")),
		selectBg:   ld(c("#E4DEFA"), c("#3A3158")),
	}
}

// NewStyles returns the colour styles for a dark or light background.
func NewStyles(isDark bool) *Styles {
	p := newPalette(isDark)
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	s := &Styles{
		Header:      lipgloss.NewStyle().Bold(true).Foreground(p.accent),
		HeaderDim:   fg(p.muted),
		PaneTitle:   lipgloss.NewStyle().Bold(true).Foreground(p.muted),
		PaneActive:  lipgloss.NewStyle().Bold(true).Foreground(p.accent).Underline(true),
		Selected:    lipgloss.NewStyle().Bold(true).Foreground(p.text).Background(p.selectBg),
		SelectedDim: lipgloss.NewStyle().Bold(true).Foreground(p.accentSoft),
		Text:        fg(p.text),
		Muted:       fg(p.muted),
		Title:       lipgloss.NewStyle().Bold(true).Foreground(p.accent),
		Where:       fg(p.info),
		Link:        fg(p.info).Underline(true),
		Number:      lipgloss.NewStyle().Bold(true).Foreground(p.accentSoft),
		Caveat:      fg(p.warn),
		OK:          lipgloss.NewStyle().Bold(true).Foreground(p.ok),
		Warn:        lipgloss.NewStyle().Bold(true).Foreground(p.warn),
		Error:       lipgloss.NewStyle().Bold(true).Foreground(p.err),
		Info:        fg(p.info),
		Spinner:     fg(p.accent),
		Divider:     fg(p.muted),
		proof: map[steps.Proof]lipgloss.Style{
			steps.ProofVerified:   fg(p.ok).Bold(true),
			steps.ProofChecked:    fg(p.ok),
			steps.ProofAttested:   fg(p.info),
			steps.ProofUnverified: fg(p.warn),
		},
		state: map[steps.State]lipgloss.Style{
			steps.StateNotStarted:     fg(p.muted),
			steps.StateInProgress:     fg(p.info),
			steps.StateComplete:       fg(p.ok).Bold(true),
			steps.StateNeedsAttention: fg(p.err).Bold(true),
		},
		todo:  fg(p.muted),
		rerun: fg(p.warn).Bold(true),
		Help:  help.DefaultStyles(isDark),
	}
	s.Form = formTheme(s, p, false)
	return s
}

// PlainStyles returns the no-colour styles (NO_COLOR, --no-color): only bold,
// underline and reverse video, which every terminal renders.
func PlainStyles() *Styles {
	n := lipgloss.NewStyle
	s := &Styles{
		Plain:       true,
		Header:      n().Bold(true),
		HeaderDim:   n(),
		PaneTitle:   n().Bold(true),
		PaneActive:  n().Bold(true).Underline(true),
		Selected:    n().Reverse(true),
		SelectedDim: n().Bold(true),
		Text:        n(),
		Muted:       n(),
		Title:       n().Bold(true),
		Where:       n(),
		Link:        n().Underline(true),
		Number:      n().Bold(true),
		Caveat:      n(),
		OK:          n().Bold(true),
		Warn:        n().Bold(true),
		Error:       n().Bold(true),
		Info:        n(),
		Spinner:     n(),
		Divider:     n(),
		proof:       map[steps.Proof]lipgloss.Style{},
		state:       map[steps.State]lipgloss.Style{},
		todo:        n(),
		rerun:       n().Bold(true),
	}
	s.Help = help.Styles{
		Ellipsis:       n(),
		ShortKey:       n().Bold(true),
		ShortDesc:      n(),
		ShortSeparator: n(),
		FullKey:        n().Bold(true),
		FullDesc:       n(),
		FullSeparator:  n(),
	}
	s.Form = formTheme(s, palette{}, true)
	return s
}

// ProofBadge renders a step's status and proof as one short, self-describing
// word, so the meaning never depends on colour alone.
func (s *Styles) ProofBadge(status steps.Status, proof steps.Proof) string {
	st, mark, word := s.stepState(status, proof)
	return st.Render(mark + " " + word)
}

// StepMark is a step's state as one styled mark for the stepper, in its
// badge's style; the mark, not the colour, carries the meaning (NO_COLOR
// keeps it).
func (s *Styles) StepMark(status steps.Status, proof steps.Proof) string {
	st, mark, _ := s.stepState(status, proof)
	return st.Render(mark)
}

// stepState is the one reading of a step's state for the badge and the
// stepper: its style, its mark and its word.
func (s *Styles) stepState(status steps.Status, proof steps.Proof) (lipgloss.Style, string, string) {
	switch {
	case status == steps.StatusNeedsRerun:
		return s.rerun, "↻", "needs re-run"
	case status != steps.StatusDone:
		return s.todo, "·", "todo"
	}
	st := s.ProofStyle(proof)
	switch proof {
	case steps.ProofVerified, steps.ProofChecked, steps.ProofAttested:
		return st, "✓", string(proof)
	case steps.ProofUnverified:
		return st, "?", "unverified"
	}
	return st, "✓", "done"
}

// ProofStyle is the style of a proof's badge and word.
func (s *Styles) ProofStyle(proof steps.Proof) lipgloss.Style {
	if st, ok := s.proof[proof]; ok {
		return st
	}
	return lipgloss.NewStyle()
}

// ProofWord renders a proof as its bare word, styled.
func (s *Styles) ProofWord(proof steps.Proof) string {
	st, ok := s.proof[proof]
	if !ok {
		st = lipgloss.NewStyle()
	}
	if proof == "" {
		return st.Render("none")
	}
	return st.Render(string(proof))
}

// StateBadge renders an integration's state.
func (s *Styles) StateBadge(state steps.State) string {
	st, ok := s.state[state]
	if !ok {
		st = lipgloss.NewStyle()
	}
	switch state {
	case steps.StateComplete:
		return st.Render("complete")
	case steps.StateInProgress:
		return st.Render("in progress")
	case steps.StateNeedsAttention:
		return st.Render("attention")
	}
	return st.Render("not started")
}

// LiveResult styles a live check result word (valid, unauthorized...).
func (s *Styles) LiveResult(result string) string {
	switch result {
	case "valid":
		return s.OK.Render("valid")
	case "", "unknown":
		return s.Muted.Render("not checked")
	case "unreachable", "rate_limited":
		return s.Warn.Render(humanResult(result))
	}
	return s.Error.Render(humanResult(result))
}

func humanResult(r string) string {
	switch r {
	case "rate_limited":
		return "rate limited"
	case "":
		return "unknown"
	}
	return r
}

// formTheme derives the Huh theme from the TUI's own palette so the embedded
// forms match the rest of the screen.
func formTheme(s *Styles, p palette, plain bool) huh.Theme {
	return huh.ThemeFunc(func(bool) *huh.Styles {
		t := huh.ThemeBase(false)
		n := lipgloss.NewStyle
		if plain {
			t.Focused.Title = n().Bold(true)
			t.Focused.FocusedButton = n().Reverse(true).Padding(0, 2).MarginRight(1)
			t.Focused.BlurredButton = n().Padding(0, 2).MarginRight(1)
			t.Focused.TextInput.Placeholder = n()
			t.Focused.ErrorIndicator = n().SetString(" *")
			t.Focused.ErrorMessage = n().SetString(" *")
			t.Focused.SelectSelector = n().SetString("> ")
			t.Focused.MultiSelectSelector = n().SetString("> ")
			t.Focused.SelectedOption = n().Bold(true)
			t.Help = s.Help
			t.Blurred = t.Focused
			t.Blurred.Base = t.Blurred.Base.BorderStyle(lipgloss.HiddenBorder())
			t.Blurred.Card = t.Blurred.Base
			t.Blurred.MultiSelectSelector = n().SetString("  ")
			t.Blurred.SelectSelector = n().SetString("  ")
			t.Blurred.NextIndicator = n()
			t.Blurred.PrevIndicator = n()
			return t
		}
		t.Focused.Base = t.Focused.Base.BorderForeground(p.accentSoft)
		t.Focused.Card = t.Focused.Base
		t.Focused.Title = n().Bold(true).Foreground(p.accent)
		t.Focused.NoteTitle = n().Bold(true).Foreground(p.accent)
		t.Focused.Description = n().Foreground(p.muted)
		t.Focused.ErrorIndicator = n().Foreground(p.err).SetString(" *")
		t.Focused.ErrorMessage = n().Foreground(p.err).SetString(" *")
		t.Focused.SelectSelector = n().Foreground(p.accent).SetString("> ")
		t.Focused.NextIndicator = n().Foreground(p.accent).MarginLeft(1).SetString("→")
		t.Focused.PrevIndicator = n().Foreground(p.accent).MarginRight(1).SetString("←")
		t.Focused.Option = n().Foreground(p.text)
		t.Focused.MultiSelectSelector = n().Foreground(p.accent).SetString("> ")
		t.Focused.SelectedOption = n().Foreground(p.ok)
		t.Focused.SelectedPrefix = n().Foreground(p.ok).SetString("[x] ")
		t.Focused.UnselectedPrefix = n().Foreground(p.muted).SetString("[ ] ")
		t.Focused.UnselectedOption = n().Foreground(p.text)
		t.Focused.FocusedButton = n().Padding(0, 2).MarginRight(1).Bold(true).Foreground(p.text).Background(p.selectBg)
		t.Focused.BlurredButton = n().Padding(0, 2).MarginRight(1).Foreground(p.muted)
		t.Focused.TextInput.Cursor = n().Foreground(p.accent)
		t.Focused.TextInput.Placeholder = n().Foreground(p.muted)
		t.Focused.TextInput.Prompt = n().Foreground(p.accent)
		t.Focused.TextInput.Text = n().Foreground(p.text)
		t.Help = s.Help
		t.Blurred = t.Focused
		t.Blurred.Base = t.Blurred.Base.BorderStyle(lipgloss.HiddenBorder())
		t.Blurred.Card = t.Blurred.Base
		t.Blurred.Title = n().Foreground(p.muted)
		t.Blurred.MultiSelectSelector = n().SetString("  ")
		t.Blurred.SelectSelector = n().SetString("  ")
		t.Blurred.NextIndicator = n()
		t.Blurred.PrevIndicator = n()
		return t
	})
}
