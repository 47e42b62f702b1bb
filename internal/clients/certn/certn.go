// Package certn is a client for the CertnCentric public API: the cheap key
// check and case listing the wizard and dashboard use.
package certn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
)

// Vendor is the name used in calls and errors.
const Vendor = "certn"

// EnvURL names the variable that overrides the base URL whatever the
// environment; cmd/patchbay reads and checks it.
const EnvURL = "PATCHBAY_CERTN_URL"

// KeyLifetime: CertnCentric API keys expire 365 days after creation.
const KeyLifetime = 365 * 24 * time.Hour

// Centric publishes no rate limit; 240 requests/minute is the documented
// limit of Certn's older v1 API, so we stay under it (inferred.CertnRateLimit).
const (
	DefaultRate  rate.Limit = 4
	DefaultBurst int        = 4
)

// DefaultPageSize is the page size Cases asks for.
const DefaultPageSize = 100

var environments = map[string]string{
	"sandbox":    "https://api.sandbox.certn.co", // confirmed in Centric's docs
	"production": inferred.CertnProductionHost.Value,
}

// BaseURL is the API host for environment ("production" or "sandbox").
func BaseURL(environment string) (string, error) {
	u, ok := environments[strings.ToLower(strings.TrimSpace(environment))]
	if !ok {
		return "", fmt.Errorf("unknown Certn environment %q (want production or sandbox)", environment)
	}
	return u, nil
}

// Client talks to CertnCentric with one API key. Safe for concurrent use.
type Client struct {
	api *httpx.Client
	// host holds the inferred production address when it is the one in use.
	host []inferred.Inference
}

// New builds a client; hc may be nil. opts.Limiter nil means a fresh limiter
// at DefaultRate.
func New(hc *http.Client, baseURL, apiKey string, opts httpx.Options) (*Client, error) {
	api, err := httpx.New(hc, httpx.Config{
		Vendor:  Vendor,
		BaseURL: baseURL,
		Auth:    httpx.APIKey(apiKey),
		Limit:   DefaultRate,
		Burst:   DefaultBurst,
	}, opts)
	if err != nil {
		return nil, err
	}
	c := &Client{api: api}
	if api.BaseURL() == inferred.CertnProductionHost.Value {
		c.host = []inferred.Inference{inferred.CertnProductionHost}
	}
	return c, nil
}

// API exposes the underlying HTTP client.
func (c *Client) API() *httpx.Client { return c.api }

// casesPath keeps its trailing slash: Certn's API is Django REST Framework,
// which redirects (or refuses writes) without it.
const casesPath = "/api/public/cases/"

// Case is one background-check case. Inferred shape: Centric's docs show
// the endpoint but not the fields; id/status/created are the ones the
// dashboard needs.
type Case struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Created string `json:"created"`
}

// casePage is Django REST Framework's limit/offset envelope (inferred from
// the framework; next is an absolute URL or null).
type casePage struct {
	Count   int     `json:"count"`
	Next    *string `json:"next"`
	Results []Case  `json:"results"`
}

// Verify is the cheap "is this key valid" call: GET /api/public/cases/?limit=1.
// Any JSON answer counts as success: the page shape is inferred, and a wrong
// guess about it must not make a valid key look broken.
func (c *Client) Verify(ctx context.Context) error {
	var raw json.RawMessage
	return inferred.Explain(c.api.Get(ctx, casesPath, url.Values{"limit": {"1"}}, &raw), c.host...)
}

// explain names the guesses a failed case listing rests on.
func (c *Client) explain(err error) error {
	return inferred.Explain(err, append([]inferred.Inference{inferred.CertnCasesPage}, c.host...)...)
}

// Cases lists up to max cases (max <= 0: all), following next links.
func (c *Client) Cases(ctx context.Context, max int) ([]Case, error) {
	size := c.api.PageSize(DefaultPageSize)
	if max > 0 && max < size {
		size = max
	}
	pages := c.api.List(ctx, casesPath)
	defer pages.Close()
	var page casePage
	if err := pages.Get(url.Values{"limit": {strconv.Itoa(size)}}, &page); err != nil {
		return nil, c.explain(err)
	}
	var all []Case
	seen := map[string]bool{}
	for {
		all = append(all, page.Results...)
		if max > 0 && len(all) >= max {
			return all[:max], nil
		}
		if page.Next == nil || *page.Next == "" {
			return all, nil
		}
		next := *page.Next
		if seen[next] {
			return nil, c.explain(fmt.Errorf("%s GET %s: %w: pagination does not end", Vendor, casesPath, httpx.ErrMalformed))
		}
		seen[next] = true
		page = casePage{}
		if err := pages.GetURL(next, &page); err != nil {
			return nil, c.explain(err)
		}
	}
}
