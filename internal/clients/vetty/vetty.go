// Package vetty is a client for Vetty's API: the key check and the package
// listing the wizard offers.
//
// Almost everything here beyond the auth header is inferred (Vetty's docs
// show the flow, not the shapes): the base URL, GET /packages, and its
// answer. Each inference is marked where it is made.
package vetty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
)

// Vendor is the name used in calls and errors.
const Vendor = "vetty"

// EnvURL names the variable that overrides DefaultBaseURL; cmd/patchbay
// reads and checks it.
const EnvURL = "PATCHBAY_VETTY_URL"

// DefaultBaseURL is inferred (see inferred.VettyBaseURL).
var DefaultBaseURL = inferred.VettyBaseURL.Value

// Vetty publishes no rate limit; stay gentle.
const (
	DefaultRate  rate.Limit = 2
	DefaultBurst int        = 5
)

// DefaultPageSize is the page size Packages asks for.
const DefaultPageSize = 100

// IPRangeHint is appended to 401/403 errors: Vetty binds each key to the IP
// range chosen when it was created, so a valid key used from elsewhere is
// refused the same way as a wrong one (inferred.VettyIPRange).
const IPRangeHint = "Vetty binds each API key to the IP range chosen when it was created; " +
	"if this machine's public address is outside that range, Vetty refuses even a valid key"

// AccessError wraps a 401 or 403 from Vetty with IPRangeHint. errors.Is
// still finds httpx.ErrUnauthorized and errors.As an *httpx.ForbiddenError.
type AccessError struct {
	Err error
}

func (e *AccessError) Error() string { return e.Err.Error() + " (" + IPRangeHint + ")" }
func (e *AccessError) Unwrap() error { return e.Err }

// Client talks to Vetty with one API key. Safe for concurrent use.
type Client struct {
	api *httpx.Client
	// guesses are the inferences a /packages call rests on.
	guesses []inferred.Inference
}

// New builds a client; hc may be nil.
func New(hc *http.Client, baseURL, apiKey string, opts httpx.Options) (*Client, error) {
	api, err := httpx.New(hc, httpx.Config{
		Vendor:  Vendor,
		BaseURL: baseURL,
		Auth:    httpx.Bearer(apiKey),
		Limit:   DefaultRate,
		Burst:   DefaultBurst,
	}, opts)
	if err != nil {
		return nil, err
	}
	c := &Client{api: api, guesses: []inferred.Inference{inferred.VettyPackages, inferred.VettyPackagesShape}}
	if api.BaseURL() == inferred.VettyBaseURL.Value {
		c.guesses = append([]inferred.Inference{inferred.VettyBaseURL}, c.guesses...)
	}
	return c, nil
}

// API exposes the underlying HTTP client.
func (c *Client) API() *httpx.Client { return c.api }

// Package is a screening package. IDs are what POST /screenings takes as
// packageId.
type Package struct {
	ID          string `json:"-"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// UnmarshalJSON accepts a numeric or string id (the API's id type is unknown).
func (p *Package) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID          json.RawMessage `json:"id"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	id := string(bytes.TrimSpace(raw.ID))
	if strings.HasPrefix(id, `"`) {
		if err := json.Unmarshal(raw.ID, &id); err != nil {
			return err
		}
	} else if id == "null" {
		id = ""
	}
	*p = Package{ID: id, Name: raw.Name, Description: raw.Description}
	return nil
}

// springPage is the Spring Data page Vetty's list endpoints are believed to
// use (inferred from third-party code for /applicants: content + last).
type springPage struct {
	Content []Package `json:"content"`
	Last    *bool     `json:"last"`
	Number  int       `json:"number"`
}

// Verify is the cheap key check: the package listing. A 401/403 comes back
// as an *AccessError explaining the IP-range cause.
func (c *Client) Verify(ctx context.Context) error {
	_, err := c.Packages(ctx)
	return err
}

// Packages lists screening packages via GET /packages?page=N&size=M. Since
// the shape is inferred, both a bare JSON array and a Spring page
// ({content, last}) are accepted; pages are followed until last is true.
func (c *Client) Packages(ctx context.Context) ([]Package, error) {
	size := c.api.PageSize(DefaultPageSize)
	var all []Package
	seen := map[string]bool{}
	pages := c.api.List(ctx, "/packages")
	defer pages.Close()
	for page := 0; ; page++ {
		var raw json.RawMessage
		q := url.Values{"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(size)}}
		if err := pages.Get(q, &raw); err != nil {
			return nil, c.explain(err)
		}
		body := bytes.TrimSpace(raw)
		if len(body) > 0 && body[0] == '[' {
			var list []Package
			if err := json.Unmarshal(body, &list); err != nil {
				return nil, c.explain(fmt.Errorf("%s GET /packages: %w: %v", Vendor, httpx.ErrMalformed, err))
			}
			if err := named(list); err != nil {
				return nil, c.explain(err)
			}
			return append(all, list...), nil // an unpaged list is the whole list
		}
		var p springPage
		if err := json.Unmarshal(body, &p); err != nil || p.Content == nil {
			return nil, c.explain(fmt.Errorf("%s GET /packages: %w: neither a list nor a page of packages", Vendor, httpx.ErrMalformed))
		}
		if err := named(p.Content); err != nil {
			return nil, c.explain(err)
		}
		fresh := false
		for _, pk := range p.Content {
			if !seen[pk.ID] {
				fresh = true
			}
			seen[pk.ID] = true
		}
		if len(p.Content) > 0 && !fresh {
			// A server that ignores page= would otherwise loop us.
			return nil, c.explain(fmt.Errorf("%s GET /packages: %w: page %d repeats earlier packages", Vendor, httpx.ErrMalformed, page))
		}
		all = append(all, p.Content...)
		// No "last" at all, or an empty page, ends the listing too: better
		// a short list than a loop.
		if p.Last == nil || *p.Last || len(p.Content) == 0 {
			return all, nil
		}
	}
}

// named refuses packages without a name: not the shape a proof rests on.
func named(pkgs []Package) error {
	for i, p := range pkgs {
		if p.Name == "" {
			return fmt.Errorf("%s GET /packages: %w: package %d has no name", Vendor, httpx.ErrMalformed, i)
		}
	}
	return nil
}

// explain adds the IP-range hint to a 401/403 and names the guesses a
// failure like err would explain.
func (c *Client) explain(err error) error {
	var fe *httpx.ForbiddenError
	if errors.Is(err, httpx.ErrUnauthorized) || errors.As(err, &fe) {
		return &AccessError{Err: err}
	}
	return inferred.Explain(err, c.guesses...)
}
