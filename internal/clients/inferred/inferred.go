// Package inferred is the one table of the vendor facts patchbay relies on
// without the vendor's own documentation (the "I" lines of
// docs/vendor-apis.md), and the error that names one when a call fails the
// way a wrong guess would: a name that does not resolve, a 404 on the path,
// an answer of another shape.
//
// Such a failure says nothing about the admin's key or network, so it is
// reported as unknown, naming the guess and the PATCHBAY_<VENDOR>_URL
// override, never as a network problem to retry.
package inferred

import (
	"errors"
	"net"
	"strings"

	"github.com/patchbay/patchbay/internal/clients/httpx"
)

// Sign is a way a call can fail that a wrong guess would explain.
type Sign int

const (
	// NoSuchHost: DNS answered that the name does not exist (NXDOMAIN).
	// A resolver that cannot be reached is a network problem, not this.
	NoSuchHost Sign = 1 << iota
	// NotFound: HTTP 404 on a path the guess names.
	NotFound
	// Envelope: a 2xx answer that is not the shape guessed.
	Envelope
)

// Inference is one guessed vendor fact.
type Inference struct {
	ID     string // stable name, e.g. "lever.eu_host"
	Vendor string // as the admin knows it: "Lever"
	// What names the guess in a sentence: "patchbay's Lever EU address
	// (api.eu.lever.co)".
	What string
	// Value is the guessed value the code uses (an address, a path, a
	// shape, a header).
	Value string
	// Source is where the guess comes from.
	Source string
	// Signs are the failures that could mean the guess is wrong; none
	// when a wrong guess cannot be told from another cause (the admin is
	// then told of it where the fact is used, not on failure).
	Signs Sign
	// Override is the variable that replaces the guess, "" when none can.
	Override string
	// Advice is what the admin can do when the failure persists.
	Advice string
}

// Explains reports whether a failure of kind s could mean the guess is wrong.
func (i Inference) Explains(s Sign) bool { return i.Signs&s != 0 }

// The table. Each client uses these values, so a guess lives in one place.
var (
	LeverEUHost = Inference{
		ID: "lever.eu_host", Vendor: "Lever",
		What:     "patchbay's Lever EU address (api.eu.lever.co)",
		Value:    "https://api.eu.lever.co/v1",
		Source:   "seen only in third-party code; Lever's documentation names the US and sandbox hosts only",
		Signs:    NoSuchHost | NotFound | Envelope,
		Override: "PATCHBAY_LEVER_URL",
		Advice:   "if your Lever account is in the EU and this persists, set PATCHBAY_LEVER_URL to the API address Lever gives you",
	}
	LeverKeyCheck = Inference{
		ID: "lever.key_check", Vendor: "Lever",
		What:   "the call patchbay proves a Lever key with (GET /stages, which every key Certn or ChartHop asks for can read)",
		Value:  "GET /v1/stages?limit=1",
		Source: "our reading of the permissions Certn and ChartHop ask for; /stages itself is documented",
		// A 403 there is reported as what it is: forbidden on /stages.
	}
	CertnProductionHost = Inference{
		ID: "certn.production_host", Vendor: "Certn",
		What:     "patchbay's CertnCentric production address (api.certn.co)",
		Value:    "https://api.certn.co",
		Source:   "third-party code calls /api/public/cases/ there; Centric's docs name only the sandbox host",
		Signs:    NoSuchHost | NotFound,
		Override: "PATCHBAY_CERTN_URL",
		Advice:   "if this persists, set PATCHBAY_CERTN_URL to the API address Certn gives you",
	}
	VettyBaseURL = Inference{
		ID: "vetty.base_url", Vendor: "Vetty",
		What:     "patchbay's Vetty API address (api.vetty.co/cfapi/v1)",
		Value:    "https://api.vetty.co/cfapi/v1",
		Source:   "third-party code calling api.vetty.co; Vetty's docs show the flow, not the address",
		Signs:    NoSuchHost | NotFound,
		Override: "PATCHBAY_VETTY_URL",
		Advice:   "if this persists, ask Vetty for its API address and set PATCHBAY_VETTY_URL to it",
	}
	VettyPackages = Inference{
		ID: "vetty.packages", Vendor: "Vetty",
		What:     "Vetty's package listing (GET /packages)",
		Value:    "/packages?page=N&size=M",
		Source:   "third-party code; Vetty documents that packages exist (packageId), not how to list them",
		Signs:    NotFound,
		Override: "PATCHBAY_VETTY_URL",
		Advice:   "if this persists, ask Vetty for its API address and set PATCHBAY_VETTY_URL to it",
	}
	VettyPackagesShape = Inference{
		ID: "vetty.packages_shape", Vendor: "Vetty",
		What:     "the shape patchbay expects of Vetty's package list (a list, or a Spring page {content, last})",
		Value:    `[{"id","name"}] or {"content": [...], "last": bool}`,
		Source:   "the Spring page third-party code reads from /applicants",
		Signs:    Envelope,
		Override: "PATCHBAY_VETTY_URL",
		Advice:   "if this persists, check that PATCHBAY_VETTY_URL (or the default address) is Vetty's API; otherwise Vetty answers in a shape patchbay does not know yet",
	}
	VettyIPRange = Inference{
		ID: "vetty.ip_range_refusal", Vendor: "Vetty",
		What:   "that Vetty refuses a key used from outside its IP range with 401 or 403",
		Value:  "401/403 on any call",
		Source: "Vetty binds keys to an IP range (documented); how it refuses is not",
		// Every Vetty 401 and 403 carries the hint (vetty.IPRangeHint).
	}
)

// Table lists every inference, in the order of docs/vendor-apis.md.
func Table() []Inference {
	return []Inference{
		LeverEUHost, LeverKeyCheck, CertnProductionHost,
		VettyBaseURL, VettyPackages, VettyPackagesShape, VettyIPRange,
	}
}

// Error is a call that failed the way a wrong guess would explain. It
// unwraps to the call's own error.
type Error struct {
	Guesses []Inference // one vendor's, at least one
	Err     error
}

func (e *Error) Error() string { return e.Err.Error() + "; " + e.Explanation() }
func (e *Error) Unwrap() error { return e.Err }

// Explanation names the guesses and what to do, in one sentence:
// "patchbay's Lever EU address (api.eu.lever.co) is inferred, not
// documented by Lever; if …".
func (e *Error) Explanation() string {
	whats := make([]string, len(e.Guesses))
	for i, g := range e.Guesses {
		whats[i] = g.What
	}
	verb := "is"
	if len(whats) > 1 {
		verb = "are"
	}
	g := e.Guesses[0]
	return strings.Join(whats, " and ") + " " + verb + " inferred, not documented by " + g.Vendor + "; " + g.Advice
}

// SignOf is the kind of failure err is, 0 when it is none a guess explains.
func SignOf(err error) Sign {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return NoSuchHost
	case errors.Is(err, httpx.ErrNotFound):
		return NotFound
	case errors.Is(err, httpx.ErrMalformed):
		return Envelope
	}
	return 0
}

// Explain wraps err in an *Error naming those of guesses a failure like
// err would explain; any other err (nil included) comes back unchanged.
func Explain(err error, guesses ...Inference) error {
	s := SignOf(err)
	if s == 0 {
		return err
	}
	var named []Inference
	for _, g := range guesses {
		if g.Explains(s) {
			named = append(named, g)
		}
	}
	if len(named) == 0 {
		return err
	}
	return &Error{Guesses: named, Err: err}
}
