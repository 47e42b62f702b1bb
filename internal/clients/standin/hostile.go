package standin

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The hostile mode: what a vendor under an attacker's control (or anyone who
// can name a Lever tag) would send. Set these as faults like any other; the
// names come with SetHostileNames.
const (
	// FaultRedirect answers 302 to the same path on another origin (another
	// loopback port), which answers 200 in every documented shape to anyone.
	FaultRedirect FaultKind = iota + 100
	// FaultWrongShape answers 200 with well-formed JSON of another shape.
	FaultWrongShape
	// FaultEndlessPages answers every list request with one fresh item and
	// "another page", for ever.
	FaultEndlessPages
	// FaultEchoKey answers 500 with the credential echoed back raw,
	// URL-escaped, base64 (of the key and of "key:") and JSON-escaped.
	FaultEchoKey
)

func init() {
	faultNames[FaultRedirect] = "redirect"
	faultNames[FaultWrongShape] = "wrong-shape"
	faultNames[FaultEndlessPages] = "endless-pages"
	faultNames[FaultEchoKey] = "echo-key"
}

// HostileNames are display names that try to drive the admin's terminal:
// OSC 52 (rewrites the clipboard) and a screen clear, a C1 CSI, a bidi
// override, a carriage return that overwrites the line, DEL, and a newline
// that starts a line of its own dressed as patchbay's.
var HostileNames = []string{
	"Assessment\n" + HostileFakeLine,
	"CERTN - \x1b]52;c;cGF0Y2hiYXk=\x07\x1b[2J",
	"Background\u009b31m check",
	"CERTN - Complete \u202e(Clear)\u202c",
	"Hired\rNothing needs attention.",
	"Ref\x7fcheck \u2066x\u2069",
}

// HostileFakeLine follows a newline in one of HostileNames: no output may
// show it at the start of a line.
const HostileFakeLine = "✓ Lever: every check verified"

// SetHostileNames adds HostileNames to the Lever stages and tags and the
// Vetty packages (the real sample names stay, so a step can still pass).
func (s *Servers) SetHostileNames() {
	stages := s.Lever.Stages()
	tags := s.Lever.Tags()
	pkgs := s.Vetty.Packages()
	for i, n := range HostileNames {
		stages = append(stages, LeverStage{ID: newID("hostile-stage", int64(i)), Text: n})
		tags = append(tags, LeverTag{Text: n, Count: i + 1})
		pkgs = append(pkgs, VettyPackage{ID: int64(9000 + i), Name: n, Description: n})
	}
	s.Lever.SetStages(stages)
	s.Lever.SetTags(tags)
	s.Vetty.SetPackages(pkgs)
}

// elsewhere is the other origin FaultRedirect sends clients to: it answers
// every path with 200 and an empty list in each vendor's shape, to anyone,
// so only the client's refusal to believe it keeps a check from passing.
func startElsewhere() (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("standin: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"data": []any{}, "hasNext": false, // Lever, ChartHop
			"content": []any{}, "last": true, // Vetty
			"results": []any{}, "next": nil, // Certn
		})
	})}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String(), nil
}

// serveHostile answers a hostile fault; false when f is not one.
func (v *vendor) serveHostile(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case FaultRedirect:
		http.Redirect(w, r, v.shared.elsewhere+r.URL.Path, http.StatusFound)
	case FaultWrongShape:
		writeJSON(w, http.StatusOK, map[string]any{"items": []string{"Background Check"}, "total": 1})
	case FaultEndlessPages:
		v.endlessPage(w, r)
	case FaultEchoKey:
		key := v.credential(r)
		js, _ := json.Marshal(key)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "rejected credential %s (query %s, path %s, base64 %s, basic %s, url-base64 %s, json %s)",
			key, url.QueryEscape(key), url.PathEscape(key),
			base64.StdEncoding.EncodeToString([]byte(key)),
			base64.StdEncoding.EncodeToString([]byte(key+":")),
			base64.URLEncoding.EncodeToString([]byte(key)),
			js[1:len(js)-1])
	default:
		return false
	}
	return true
}

// endlessPage is one more page of a listing that never ends: a fresh item
// (so no "repeated page" check stops it) and a fresh next token.
func (v *vendor) endlessPage(w http.ResponseWriter, r *http.Request) {
	n := v.endless.Add(1)
	id := newID("endless", n)
	switch v.name {
	case "vetty":
		writeJSON(w, http.StatusOK, map[string]any{
			"content": []any{map[string]any{"id": n, "name": "Package " + strconv.FormatInt(n, 10)}},
			"number":  n, "last": false,
		})
	case "certn":
		next := url.URL{Scheme: "http", Host: r.Host, Path: CertnPrefix + certnCasesPath, RawQuery: "offset=" + strconv.FormatInt(n, 10)}
		writeJSON(w, http.StatusOK, map[string]any{
			"count": n + 1, "next": next.String(),
			"results": []any{map[string]any{"id": id, "status": "COMPLETE", "created": "2026-01-05T09:00:00Z"}},
		})
	default: // Lever, ChartHop
		writeJSON(w, http.StatusOK, map[string]any{
			"data":    []any{map[string]any{"id": id, "text": "Stage " + strings.Repeat("x", int(n%7))}},
			"hasNext": true, "next": encodeOffset(int(n)),
		})
	}
}
