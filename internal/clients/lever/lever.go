// Package lever is a client for the parts of Lever's Data API v1 the wizard
// uses: key and permission checks, stages, tags, users, postings,
// requisitions, requisition fields, webhooks and opportunities, plus the
// webhook signature scheme.
package lever

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
)

// Vendor is the name used in calls and errors.
const Vendor = "lever"

// EnvURL names the variable that overrides the base URL whatever the region
// (local stand-ins, proxies). cmd/patchbay reads and checks it; the client
// is handed the result.
const EnvURL = "PATCHBAY_LEVER_URL"

// Lever's documented token bucket: ~10 requests/s per key, bursts to 20.
const (
	DefaultRate  rate.Limit = 10
	DefaultBurst int        = 20
)

// DefaultPageSize is Lever's maximum (and default) page size.
const DefaultPageSize = 100

var regions = map[string]string{
	"us":      "https://api.lever.co/v1",
	"sandbox": "https://api.sandbox.lever.co/v1",
	"eu":      inferred.LeverEUHost.Value,
}

// Regions lists the region names BaseURL accepts.
func Regions() []string {
	r := make([]string, 0, len(regions))
	for k := range regions {
		r = append(r, k)
	}
	slices.Sort(r)
	return r
}

// BaseURL is the API root for region ("us", "eu", "sandbox").
func BaseURL(region string) (string, error) {
	u, ok := regions[strings.ToLower(strings.TrimSpace(region))]
	if !ok {
		return "", fmt.Errorf("unknown Lever region %q (want one of %s)", region, strings.Join(Regions(), ", "))
	}
	return u, nil
}

// NewLimiter returns a limiter at Lever's documented rate. Lever limits per
// key, so share one limiter between all clients using the same key.
func NewLimiter() *rate.Limiter { return rate.NewLimiter(DefaultRate, DefaultBurst) }

// Client talks to one Lever account with one API key. Safe for concurrent use.
type Client struct {
	api *httpx.Client
	// guesses are the inferences behind the address: a failure one of
	// them explains names it (see package inferred).
	guesses []inferred.Inference
}

// New builds a client. hc may be nil; baseURL usually comes from BaseURL.
// opts.Limiter nil means a fresh limiter at Lever's rate.
func New(hc *http.Client, baseURL, apiKey string, opts httpx.Options) (*Client, error) {
	api, err := httpx.New(hc, httpx.Config{
		Vendor:  Vendor,
		BaseURL: baseURL,
		Auth:    httpx.BasicKey(apiKey),
		Limit:   DefaultRate,
		Burst:   DefaultBurst,
	}, opts)
	if err != nil {
		return nil, err
	}
	c := &Client{api: api}
	if api.BaseURL() == inferred.LeverEUHost.Value {
		c.guesses = []inferred.Inference{inferred.LeverEUHost}
	}
	return c, nil
}

// AddressInferred marks the client's address as standing for the inferred
// EU address (a stand-in of it in the demo and tests), so its failures are
// worded as the guess's. Call it before the client is used.
func (c *Client) AddressInferred() { c.guesses = []inferred.Inference{inferred.LeverEUHost} }

// get is every read: a failure a wrong guessed address explains names it.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	return c.explain(c.api.Get(ctx, path, query, out))
}

func (c *Client) explain(err error) error { return inferred.Explain(err, c.guesses...) }

// API exposes the underlying HTTP client (base URL, limiter).
func (c *Client) API() *httpx.Client { return c.api }

// Verify is the cheap "is this key valid" call: GET /stages?limit=1. Stages
// are readable by every key Certn or ChartHop asks for (inferred.LeverKeyCheck).
func (c *Client) Verify(ctx context.Context) error {
	_, err := getPage[Stage](ctx, c, "/stages", url.Values{"limit": {"1"}})
	return err
}
