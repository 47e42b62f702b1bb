package termsafe

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "CERTN - Pending", "CERTN - Pending"},
		{"newline and tab kept", "a\tb\nc", "a\tb\nc"},
		{"unicode kept", "Entretien téléphonique — 面接 ✓", "Entretien téléphonique — 面接 ✓"},
		{"OSC 52 clipboard write", "CERTN - \x1b]52;c;aGk=\x07\x1b[2J", `CERTN - ^[]52;c;aGk=^G^[[2J`},
		{"carriage return", "ok\rFAKE", "ok^MFAKE"},
		{"NUL and DEL", "a\x00b\x7f", "a^@b^?"},
		{"C1 CSI", "x\u009b31my", `x\u009b31my`},
		{"C1 range ends", "\u0080\u009f\u00a0", `\u0080\u009f` + "\u00a0"},
		{"bidi override", "abc\u202edcba", `abc\u202edcba`},
		{"bidi isolates", "\u2066x\u2069", `\u2066x\u2069`},
		{"bidi neighbours kept", "\u2029\u202f\u2065\u206a", "\u2029\u202f\u2065\u206a"},
		{"invalid UTF-8", "ok\xff\xc3", `ok\xff\xc3`},
		{"raw C1 byte", "a\x9bb", `a\x9bb`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLineKeepsANameOnOneLine(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "Phone screen", "Phone screen"},
		{"newline starts no line", "Onsite\nCertn: all checks passed ✓", "Onsite^JCertn: all checks passed ✓"},
		{"tab and CRLF", "a\tb\r\n", "a^Ib^M^J"},
		{"the rest as String", "x\x1b[2J\u202e\xff", `x^[[2J\u202e\xff`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Line(tc.in); got != tc.want {
				t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWriterThroughTabwriter(t *testing.T) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(NewWriter(&buf), 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s\n", "stage", "On site\x1b[2J é")
	fmt.Fprintf(tw, "%s\t%s\n", "tag", "\u202eevil")
	tw.Flush()
	got := buf.String()
	if strings.ContainsAny(got, "\x1b\u202e") {
		t.Fatalf("raw control passed: %q", got)
	}
	if !strings.Contains(got, `On site^[[2J é`) || !strings.Contains(got, `\u202eevil`) {
		t.Errorf("output %q", got)
	}
}

// FuzzString checks the three promises: nothing forbidden survives (and the
// result is valid UTF-8), safe text is untouched, and escaping is idempotent.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x1b]52;c;x\x07", "\u202e\u2066", "\xff\xfe", "\u0085", "^[", `\u202e`, "é\r\n\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not valid UTF-8", s, out)
		}
		for _, r := range out {
			if Forbidden(r) {
				t.Fatalf("String(%q) = %q keeps %U", s, out, r)
			}
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, Forbidden) && out != s {
			t.Fatalf("safe %q changed to %q", s, out)
		}
		if again := String(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
		line := Line(s)
		if strings.ContainsAny(line, "\n\t") || strings.ContainsFunc(line, Forbidden) || !utf8.ValidString(line) {
			t.Fatalf("Line(%q) = %q keeps a line break, a tab or a control", s, line)
		}
		if !strings.ContainsAny(s, "\n\t") && line != out {
			t.Fatalf("Line(%q) = %q differs from String's %q without a newline or tab", s, line, out)
		}
		if again := Line(line); again != line {
			t.Fatalf("Line not idempotent: %q -> %q -> %q", s, line, again)
		}
	})
}
