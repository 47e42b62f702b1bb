// Package scrub is patchbay's one credential scrubber: it removes a secret
// from text in every encoding it could come back in, before any excerpt,
// detail, event or message is kept or shown.
package scrub

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Marker replaces every form of a secret.
const Marker = "[redacted]"

// Scrubber removes credentials from text in every encoding a vendor (or an
// error message) could echo them back in.
type Scrubber struct {
	forms []string // longest first, so a longer encoding is not half-replaced by a shorter one
}

// New recognises every form (see Forms) of each non-empty secret.
func New(secrets ...string) Scrubber {
	var forms []string
	for _, s := range secrets {
		forms = append(forms, Forms(s)...)
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return Scrubber{forms: slices.Compact(forms)}
}

// String replaces every recognised form in text with Marker.
func (s Scrubber) String(text string) string {
	for _, f := range s.forms {
		text = strings.ReplaceAll(text, f, Marker)
	}
	return text
}

// String is New(secrets...).String(text).
func String(text string, secrets ...string) string { return New(secrets...).String(text) }

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
