// Package charthop is a client for ChartHop's API: the token/org check and
// the job listing.
//
// Inferred (seen in third-party code, not ChartHop's docs): the Bearer
// header and the {data, next} envelope with a "from" cursor (see
// inferred.ChartHopBearer and inferred.ChartHopJobPage). The path
// /v1/org/{org}/job/data with fields= is documented.
package charthop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
)

// Vendor is the name used in calls and errors.
const Vendor = "charthop"

// EnvURL names the variable that overrides DefaultBaseURL; cmd/patchbay
// reads and checks it.
const EnvURL = "PATCHBAY_CHARTHOP_URL"

// DefaultBaseURL is ChartHop's API host.
const DefaultBaseURL = "https://api.charthop.com"

// ChartHop publishes no rate limit for app tokens; stay gentle.
const (
	DefaultRate  rate.Limit = 5
	DefaultBurst int        = 10
)

// DefaultPageSize is the page size Jobs asks for.
const DefaultPageSize = 100

// slugRE is what an org slug in app.charthop.com/<slug>/ looks like. It is
// compiled on first use, not at start-up: its bounded repetition makes it the
// costliest regexp of the program, and most runs never need it.
var slugRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
})

// ValidOrg reports whether org looks like a ChartHop org slug.
func ValidOrg(org string) bool { return slugRE().MatchString(org) }

// ErrUnknownOrg: the token works but ChartHop knows no such org (404 on the
// org path). It wraps httpx.ErrNotFound.
var ErrUnknownOrg = fmt.Errorf("organization not found (check the slug in app.charthop.com/<slug>/): %w", httpx.ErrNotFound)

// Client talks to one ChartHop org with one app token. Safe for concurrent use.
type Client struct {
	api *httpx.Client
	org string
}

// New builds a client for org (the slug); hc may be nil.
func New(hc *http.Client, baseURL, token, org string, opts httpx.Options) (*Client, error) {
	if !ValidOrg(org) {
		return nil, fmt.Errorf("%s: %q is not an org slug (letters, digits, - _ .)", Vendor, org)
	}
	api, err := httpx.New(hc, httpx.Config{
		Vendor:  Vendor,
		BaseURL: baseURL,
		Auth:    httpx.Bearer(token),
		Limit:   DefaultRate,
		Burst:   DefaultBurst,
	}, opts)
	if err != nil {
		return nil, err
	}
	return &Client{api: api, org: org}, nil
}

// API exposes the underlying HTTP client.
func (c *Client) API() *httpx.Client { return c.api }

// Org is the org slug the client was built for.
func (c *Client) Org() string { return c.org }

// jobPath needs no escaping: New only accepts slugs of URL-safe characters.
func (c *Client) jobPath() string { return "/v1/org/" + c.org + "/job/data" }

// Job is one row of job data: the requested fields, keyed by field name.
type Job struct {
	ID     string
	Fields map[string]any
}

// Title is the "title" field, if requested and a string.
func (j Job) Title() string {
	s, _ := j.Fields["title"].(string)
	return s
}

// UnmarshalJSON keeps every field; the id may be under "id" or "jobId".
func (j *Job) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("job is not an object")
	}
	id, _ := m["id"].(string)
	if id == "" {
		id, _ = m["jobId"].(string)
	}
	*j = Job{ID: id, Fields: m}
	return nil
}

type jobPage struct {
	Data []Job   `json:"data"`
	Next *string `json:"next"`
}

// Verify checks token and org with the smallest documented read:
// GET /v1/org/{org}/job/data?fields=title&limit=1. A 404 means the org slug
// is wrong and comes back as ErrUnknownOrg.
//
// Any JSON answer counts as success: the envelope is inferred, and a wrong
// guess about it must not make a valid token look broken.
func (c *Client) Verify(ctx context.Context) error {
	var raw json.RawMessage
	err := c.api.Get(ctx, c.jobPath(), url.Values{"fields": {"title"}, "limit": {"1"}}, &raw)
	return c.explain(err)
}

// Jobs lists job rows with the given fields (e.g. "title", "open") and an
// optional Carrot filter q (e.g. "open:filled"), following next cursors.
func (c *Client) Jobs(ctx context.Context, fields []string, q string) ([]Job, error) {
	query := url.Values{"limit": {strconv.Itoa(c.api.PageSize(DefaultPageSize))}}
	if len(fields) > 0 {
		query.Set("fields", strings.Join(fields, ","))
	}
	if q != "" {
		query.Set("q", q)
	}
	var all []Job
	seen := map[string]bool{}
	pages := c.api.List(ctx, c.jobPath())
	defer pages.Close()
	for {
		var page jobPage
		if err := pages.Get(query, &page); err != nil {
			return nil, c.explain(err)
		}
		if page.Data == nil {
			return nil, c.explain(fmt.Errorf("%s GET %s: %w: no data list", Vendor, c.jobPath(), httpx.ErrMalformed))
		}
		all = append(all, page.Data...)
		if page.Next == nil || *page.Next == "" {
			return all, nil
		}
		if seen[*page.Next] {
			return nil, c.explain(fmt.Errorf("%s GET %s: %w: cursor repeated", Vendor, c.jobPath(), httpx.ErrMalformed))
		}
		seen[*page.Next] = true
		query.Set("from", *page.Next)
	}
}

// explain words a 404 as the unknown org it is (the path is documented)
// and names the inferred page shape when the answer is not that shape.
func (c *Client) explain(err error) error {
	if errors.Is(err, httpx.ErrNotFound) {
		return fmt.Errorf("%s: org %q: %w", Vendor, c.org, ErrUnknownOrg)
	}
	return inferred.Explain(err, inferred.ChartHopJobPage)
}
