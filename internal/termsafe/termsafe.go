// Package termsafe is patchbay's one output boundary for text that came from
// outside (vendor answers, and whatever of them was stored): it shows
// terminal controls visibly instead of passing them to the terminal.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// String returns s with every rune a terminal could act on shown visibly:
// C0 controls other than newline and tab as caret notation (ESC is "^["),
// DEL as "^?", C1 controls (U+0080–U+009F) and the bidi overrides and
// isolates (U+202A–U+202E, U+2066–U+2069) as "\u202e", and each byte of
// invalid UTF-8 as "\xff". A string with none of them is returned as is,
// and String(String(s)) == String(s).
func String(s string) string { return clean(s, Forbidden) }

// Line is String for a value that must stay on one line (a name a vendor
// chose): newline and tab are shown too, as "^J" and "^I", so a name can
// never begin a line of its own that reads like patchbay's. Line(s) is
// String(s) for a string with neither, and Line(Line(s)) == Line(s).
func Line(s string) string { return clean(s, forbiddenInLine) }

func forbiddenInLine(r rune) bool { return r == '\n' || r == '\t' || Forbidden(r) }

func clean(s string, forbidden func(rune) bool) string {
	i := firstUnsafe(s, forbidden)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !forbidden(r):
			b.WriteString(s[i : i+size])
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// Forbidden reports whether r must never reach a terminal as is.
func Forbidden(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\n' && r != '\t'
	case r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// firstUnsafe is the byte index of the first forbidden rune or invalid byte
// in s, or -1.
func firstUnsafe(s string, forbidden func(rune) bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if forbidden(rune(c)) {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || forbidden(r) {
			return i
		}
		i += size
	}
	return -1
}

// Writer passes everything written through String. Each Write is treated
// as whole text: fmt's printers and text/tabwriter never split a rune
// across writes.
type Writer struct{ w io.Writer }

// NewWriter wraps w; a *Writer is returned as is.
func NewWriter(w io.Writer) io.Writer {
	if sw, ok := w.(*Writer); ok {
		return sw
	}
	return &Writer{w: w}
}

func (sw *Writer) Write(p []byte) (int, error) {
	s := string(p)
	if _, err := io.WriteString(sw.w, String(s)); err != nil {
		return 0, err
	}
	return len(p), nil
}
