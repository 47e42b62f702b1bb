package inferred_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
)

// A name under .invalid never resolves: the resolver answers "no such
// host", as it would for a wrongly guessed host name.
func TestExplainNamesAGuessWhoseHostDoesNotResolve(t *testing.T) {
	c, err := httpx.New(nil, httpx.Config{Vendor: "lever", BaseURL: "https://api.eu.lever.invalid/v1", Auth: httpx.BasicKey("k")},
		httpx.Options{Timeout: 5 * time.Second, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	callErr := c.Get(context.Background(), "/stages", nil, nil)
	if inferred.SignOf(callErr) != inferred.NoSuchHost {
		t.Fatalf("sign of %v = %v, want NoSuchHost", callErr, inferred.SignOf(callErr))
	}
	err = inferred.Explain(callErr, inferred.LeverEUHost)
	var ie *inferred.Error
	if !errors.As(err, &ie) || len(ie.Guesses) != 1 || ie.Guesses[0].ID != "lever.eu_host" {
		t.Fatalf("Explain = %v", err)
	}
	if !errors.Is(err, httpx.ErrUnreachable) {
		t.Errorf("the call's own error is lost: %v", err)
	}
	const want = "patchbay's Lever EU address (api.eu.lever.co) is inferred, not documented by Lever; " +
		"if your Lever account is in the EU and this persists, set PATCHBAY_LEVER_URL to the API address Lever gives you"
	if ie.Explanation() != want {
		t.Errorf("explanation = %q\nwant          %q", ie.Explanation(), want)
	}
}

// A resolver that cannot be asked is the network's problem, not a wrong
// guess: only "no such host" names the guess.
func TestExplainLeavesOtherFailuresAlone(t *testing.T) {
	temporary := fmt.Errorf("%w: %w", httpx.ErrUnreachable, &net.DNSError{Err: "i/o timeout", Name: "api.eu.lever.co", IsTimeout: true})
	refused := fmt.Errorf("%w: connection refused", httpx.ErrUnreachable)
	for _, err := range []error{nil, temporary, refused, httpx.ErrUnauthorized, &httpx.ForbiddenError{Endpoint: "/stages"}, &httpx.UnexpectedError{Status: http.StatusInternalServerError}} {
		if got := inferred.Explain(err, inferred.Table()...); got != err {
			t.Errorf("Explain(%v) = %v, want it unchanged", err, got)
		}
	}
}

func TestExplainNamesOnlyTheGuessesTheSignFits(t *testing.T) {
	notFound := fmt.Errorf("vetty GET /packages: %w", httpx.ErrNotFound)
	malformed := fmt.Errorf("vetty GET /packages: %w: no content", httpx.ErrMalformed)
	guesses := []inferred.Inference{inferred.VettyBaseURL, inferred.VettyPackages, inferred.VettyPackagesShape}
	ids := func(err error) string {
		var ie *inferred.Error
		if !errors.As(err, &ie) {
			return "none"
		}
		var out []string
		for _, g := range ie.Guesses {
			out = append(out, g.ID)
		}
		return strings.Join(out, ",")
	}
	if got := ids(inferred.Explain(notFound, guesses...)); got != "vetty.base_url,vetty.packages" {
		t.Errorf("404 names %s", got)
	}
	if got := ids(inferred.Explain(malformed, guesses...)); got != "vetty.packages_shape" {
		t.Errorf("a wrong envelope names %s", got)
	}
	if got := ids(inferred.Explain(notFound, inferred.VettyPackagesShape)); got != "none" {
		t.Errorf("a 404 named a shape guess: %s", got)
	}
	err := inferred.Explain(notFound, guesses...)
	if !strings.Contains(err.Error(), "are inferred, not documented by Vetty") || !strings.Contains(err.Error(), "PATCHBAY_VETTY_URL") {
		t.Errorf("message = %q", err)
	}
}

// Every guess that can be named on failure says what overrides it and
// what to do; every entry is told apart by its ID.
func TestTableEntriesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range inferred.Table() {
		if g.ID == "" || seen[g.ID] || g.Vendor == "" || g.What == "" || g.Value == "" || g.Source == "" {
			t.Errorf("incomplete or repeated entry %+v", g)
		}
		seen[g.ID] = true
		if g.Signs != 0 && (g.Override == "" || !strings.Contains(g.Advice, g.Override)) {
			t.Errorf("%s can be named on failure but its advice does not name its override: %q", g.ID, g.Advice)
		}
	}
}
