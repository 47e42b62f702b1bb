// Package tui is patchbay's terminal interface: the home screen (integrations,
// their steps, the dashboard pane) and one generic step screen that runs any
// catalog step, plus a line-by-line accessible mode.
//
// It is composed like soft-serve's UI: a common value (size, styles, keys,
// context, backend) shared by every component; each component takes SetSize
// and reports its key bindings for the help bar; the root routes window sizes
// to every child, handles the global keys and passes everything else to the
// active screen. Update and View never do I/O: every backend call is a
// tea.Cmd that answers with a typed message, and answers meant for a screen
// the admin already left are dropped.
package tui
