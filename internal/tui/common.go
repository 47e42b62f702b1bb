package tui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	"github.com/charmbracelet/x/ansi"
)

// common is what every component shares: the terminal size, styles, keys,
// the backend and the run's context. The root owns it and keeps it current;
// components read it and never replace it.
type common struct {
	ctx     context.Context
	width   int
	height  int
	styles  *Styles
	keys    *KeyMap
	backend Backend
	profile string
	// switchProfile, when set, is told which profile the admin chose to
	// switch to; the run then ends and the caller starts it again there.
	switchProfile func(profile string, dashboard bool)

	// plain pins the no-colour styles even when the terminal reports its
	// background colour.
	plain bool
	// animate drives spinners and the refresh timer; tests switch it off so
	// the command harness never waits on a timer.
	animate bool
	now     func() time.Time

	// The outside world, swapped in tests. Each is only called from a tea.Cmd.
	clipboard func(string) error // native clipboard; nil when there is none
	openURL   func(string) error

	// clip clears a copied secret later (it reads the native clipboard
	// back); clipboardWait is its clock.
	clip          *clipGuard
	clipboardWait func(ctx context.Context, d time.Duration) bool

	checkTimeout    time.Duration // bound on one live check
	completeTimeout time.Duration // bound on the final write
	loadTimeout     time.Duration // bound on reads (overview, inputs, options, secrets)
	refreshEvery    time.Duration // home screen's background refresh
}

// component is one piece of a screen, in the manner of soft-serve's UI: it is
// sized by its parent and reports the keys it answers to for the help bar.
type component interface {
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
}

// visible is the part of lines, the content of vp, that the viewport
// shows at its offset. The viewport keeps the scroll offset and its
// bounds; the rows are already cut to its width, so they are used as they
// are instead of being measured and padded again by the viewport's View
// (which costs more than the rest of a frame).
func visible(vp *viewport.Model, lines []string) []string {
	start := min(vp.YOffset(), len(lines))
	end := min(start+vp.Height(), len(lines))
	return lines[start:end:end] // capped: appending to it copies
}

// fit clips every line of s to width cells and keeps at most height lines,
// so a view can never push the screen wider or taller than the terminal.
func fit(s string, width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		// A line of no more bytes than cells cannot be too wide: skip the
		// costly measure.
		if len(l) > width && ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	return strings.Join(lines, "\n")
}

// truncate clips one line of plain or styled text to width cells.
func truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if len(s) <= width || ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// padRight pads s with spaces to width cells (clipping it when longer).
func padRight(s string, width int) string {
	s = truncate(s, width)
	if w := ansi.StringWidth(s); w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// wrap word-wraps plain or styled text to width cells at spaces only, so a
// URL or a hyphenated name stays whole when it fits on a line; a word wider
// than the line is cut.
func wrap(s string, width int) string {
	if width <= 0 {
		return s
	}
	var b strings.Builder
	for i, para := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		lineW := 0
		for j, word := range strings.Split(para, " ") {
			ww := ansi.StringWidth(word)
			switch {
			case j == 0:
			case lineW+1+ww <= width:
				b.WriteByte(' ')
				lineW++
			default:
				b.WriteByte('\n')
				lineW = 0
			}
			if ww > width-lineW {
				cut := ansi.Hardwrap(word, width, false)
				if lineW > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(cut)
				lineW = ansi.StringWidth(cut[strings.LastIndexByte(cut, '\n')+1:])
				continue
			}
			b.WriteString(word)
			lineW += ww
		}
	}
	return b.String()
}

// hangLines word-wraps text to width cells after prefix, indenting the
// lines that follow by the prefix's width, so a long detail stays readable
// in a narrow pane instead of ending in "…".
func hangLines(prefix, text string, width int) []string {
	pw := lipglossWidth(prefix)
	lines := strings.Split(wrap(text, max(width-pw, 8)), "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = truncate(prefix+l, width)
		} else {
			lines[i] = truncate(strings.Repeat(" ", pw)+l, width)
		}
	}
	return lines
}

// age words how long ago t was, compactly: "now", "5m", "3h", "12d".
func age(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "now"
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

func ago(now, t time.Time) string {
	a := age(now, t)
	if a == "now" || a == "never" {
		return a
	}
	return a + " ago"
}

// lipglossWidth is the width in cells of styled text.
func lipglossWidth(s string) int { return ansi.StringWidth(s) }
