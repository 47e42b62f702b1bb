package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the TUI answers to, with its help text. Screens match
// against these bindings; no key string is compared anywhere else.
type KeyMap struct {
	// Global, handled by the root.
	Quit      key.Binding // q: only where no text is being typed
	ForceQuit key.Binding // ctrl+c: everywhere
	Help      key.Binding

	// Lists and panes. Move only labels Up and Down together in the short help.
	Move     key.Binding
	Scroll   key.Binding
	Up       key.Binding
	Down     key.Binding
	NextPane key.Binding
	PrevPane key.Binding
	Open     key.Binding
	Setup    key.Binding
	Refresh  key.Binding
	Rotate   key.Binding // the selected secret (home)
	Dash     key.Binding // the dashboard page (home)
	Profiles key.Binding // the fleet page: every profile (home)
	// VerifyNow runs the live checks now: a step completed unverified
	// turns verified when its check passes.
	VerifyNow key.Binding

	// The step screen.
	Answer     key.Binding
	OpenLink   key.Binding
	Copy       key.Binding
	CopyN      key.Binding
	Back       key.Binding
	Cancel     key.Binding
	Retry      key.Binding
	Edit       key.Binding
	Unverified key.Binding
	Continue   key.Binding

	// The rotation screen.
	Revoked key.Binding
}

// DefaultKeyMap returns patchbay's keys.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),

		Move:      key.NewBinding(key.WithKeys("up", "down", "k", "j"), key.WithHelp("↑↓/jk", "move")),
		Scroll:    key.NewBinding(key.WithKeys("up", "down", "k", "j"), key.WithHelp("↑↓", "scroll")),
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		NextPane:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "pane")),
		PrevPane:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Setup:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "setup")),
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Rotate:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "rotate secret")),
		Dash:      key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "dashboard")),
		Profiles:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "all profiles")),
		VerifyNow: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "verify now")),

		Answer:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "answer")),
		OpenLink:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open link")),
		Copy:       key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy next")),
		CopyN:      key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"), key.WithHelp("1-9", "copy item")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Cancel:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Retry:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
		Edit:       key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Unverified: key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "as unverified")),
		Continue:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),

		Revoked: key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "old one revoked")),
	}
}
