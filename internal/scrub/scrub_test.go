package scrub

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// hostileKey holds every character that changes under some encoding.
const hostileKey = `k+y/Ab=c%2B"q\z~ é`

var percentLower = regexp.MustCompile(`%[0-9A-F]{2}`)

// encodings lists the forms a vendor might echo a key in, built here
// independently of Forms.
func encodings(key string) map[string]string {
	b64 := func(e *base64.Encoding, s string) string { return e.EncodeToString([]byte(s)) }
	js, _ := json.Marshal(key)
	return map[string]string{
		"raw":                 key,
		"query-escaped":       url.QueryEscape(key),
		"query-escaped lower": percentLower.ReplaceAllStringFunc(url.QueryEscape(key), strings.ToLower),
		"path-escaped":        url.PathEscape(key),
		"base64 std":          b64(base64.StdEncoding, key),
		"base64 url":          b64(base64.URLEncoding, key),
		"base64 raw url":      b64(base64.RawURLEncoding, key),
		"basic std":           b64(base64.StdEncoding, key+":"),
		"basic url":           b64(base64.URLEncoding, key+":"),
		"json-escaped":        string(js[1 : len(js)-1]),
	}
}

func TestScrubEveryEncoding(t *testing.T) {
	for name, form := range encodings(hostileKey) {
		text := "before " + form + " after"
		got := String(text, hostileKey)
		if strings.Contains(got, form) || got != "before [redacted] after" {
			t.Errorf("%s: Scrub(%q) = %q", name, text, got)
		}
	}
}

// FuzzScrub: whatever the key and the text around it, no form of the key
// (built independently of Forms) survives outside a "[redacted]" marker.
func FuzzScrub(f *testing.F) {
	f.Add(hostileKey, "a ", " b", uint8(0))
	f.Add("abc", "", "", uint8(3))
	f.Add("redacted", "[", "]", uint8(0))
	f.Fuzz(func(t *testing.T, key, before, after string, which uint8) {
		if key == "" || strings.ContainsRune(key, 0) {
			return
		}
		names := []string{"raw", "query-escaped", "query-escaped lower", "path-escaped", "base64 std", "base64 url", "base64 raw url", "basic std", "basic url", "json-escaped"}
		forms := encodings(key)
		form := forms[names[int(which)%len(names)]]
		out := String(before+form+after, key)
		masked := strings.ReplaceAll(out, Marker, "\x00")
		for _, n := range names {
			if f := forms[n]; strings.Contains(masked, f) {
				t.Fatalf("key %q: %s form %q survives in %q", key, n, f, out)
			}
		}
	})
}
