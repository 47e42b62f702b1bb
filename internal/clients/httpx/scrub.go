package httpx

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

const redacted = "[redacted]"

// Scrubber removes credentials from text in every encoding a vendor (or an
// error message) could echo them back in. It is the one place patchbay
// scrubs: excerpts, error messages and the call log all go through it.
type Scrubber struct {
	forms []string // longest first, so a longer encoding is not half-replaced by a shorter one
}

// NewScrubber recognises every form (see Forms) of each non-empty secret.
func NewScrubber(secrets ...string) Scrubber {
	var forms []string
	for _, s := range secrets {
		forms = append(forms, Forms(s)...)
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return Scrubber{forms: slices.Compact(forms)}
}

// Scrub replaces every recognised form in text with "[redacted]".
func (s Scrubber) Scrub(text string) string {
	for _, f := range s.forms {
		text = strings.ReplaceAll(text, f, redacted)
	}
	return text
}

// Scrub is NewScrubber(secrets...).Scrub(text).
func Scrub(text string, secrets ...string) string { return NewScrubber(secrets...).Scrub(text) }

// Forms lists the encodings of secret that come back in practice: raw; URL
// query- and path-escaped (either hex case); standard and URL-safe base64,
// padded or not, of the secret and of "secret:" (HTTP Basic with the key as
// user name); JSON string escaping, with and without HTML escaping.
func Forms(secret string) []string {
	if secret == "" {
		return nil
	}
	forms := []string{secret}
	for _, esc := range []string{url.QueryEscape(secret), url.PathEscape(secret)} {
		forms = append(forms, esc, lowerHex(esc))
	}
	for _, v := range []string{secret, secret + ":"} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			forms = append(forms, enc.EncodeToString([]byte(v)))
		}
	}
	if b, err := json.Marshal(secret); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(secret) == nil {
		b := bytes.TrimSpace(buf.Bytes())
		forms = append(forms, string(b[1:len(b)-1]))
	}
	return forms
}

// lowerHex rewrites the hex digits of percent escapes in lower case
// ("%2B" -> "%2b"), which some servers produce.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = lowerASCII(b[i+1])
			b[i+2] = lowerASCII(b[i+2])
		}
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
