package httpx

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/scrub"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// MaxExcerpt is the longest excerpt of a vendor error body we keep, in characters.
const MaxExcerpt = 200

// Excerpt turns an error body into at most MaxExcerpt characters of single-line
// text, scrubbed of the credentials and safe for a terminal. When the body is
// a JSON error object, its message fields are preferred over the raw bytes.
func Excerpt(body []byte, s scrub.Scrubber) string {
	text := vendorMessage(body)
	if text == "" {
		text = strings.ToValidUTF8(string(body), "")
	}
	// Scrub before shortening, so a secret cut in half by the limit is still
	// recognised whole.
	text = s.String(text)
	text = strings.Join(strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	text = termsafe.String(text) // bidi overrides are not controls to FieldsFunc
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
