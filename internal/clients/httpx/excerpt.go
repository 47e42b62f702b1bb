package httpx

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxExcerpt is the longest excerpt of a vendor error body we keep, in characters.
const MaxExcerpt = 200

const redacted = "[redacted]"

// Excerpt turns an error body into at most MaxExcerpt characters of single-line
// text with every form of the credential in secrets replaced. When the body is
// a JSON error object, its message fields are preferred over the raw bytes.
func Excerpt(body []byte, secrets []string) string {
	text := vendorMessage(body)
	if text == "" {
		text = strings.ToValidUTF8(string(body), "")
	}
	// Scrub before shortening, so a secret cut in half by the limit is still
	// recognised whole.
	text = scrub(text, secrets)
	text = strings.Join(strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if utf8.RuneCountInString(text) > MaxExcerpt {
		r := []rune(text)
		text = string(r[:MaxExcerpt-1]) + "…"
	}
	return text
}

// vendorMessage pulls the human part out of the error shapes our vendors use:
// Lever {code, message}, Django REST {detail}, Spring {error, message}.
func vendorMessage(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"code", "error", "message", "detail", "error_description"} {
		if s, ok := m[k].(string); ok && s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}
