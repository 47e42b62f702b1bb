// Package httpx is the HTTP plumbing the vendor clients share: the credential
// added by a RoundTripper, a deadline on every call, a client-side rate
// limiter, bounded retries with backoff on 429/503, capped response bodies,
// typed errors and a hook that feeds the UI's call log without secrets.
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/scrub"
)

// Defaults for Options fields left zero.
const (
	DefaultTimeout      = 20 * time.Second
	DefaultMaxRetries   = 3
	DefaultMaxBody      = 1 << 20 // 1 MiB
	DefaultBaseBackoff  = 500 * time.Millisecond
	DefaultMaxBackoff   = 8 * time.Second
	DefaultMaxRetryWait = 30 * time.Second
	DefaultVersion      = "dev"
)

// Call describes one HTTP attempt, for the UI's call log. It never holds a
// credential: Path carries no query string and Err is built from our own
// scrubbed errors.
type Call struct {
	Vendor  string
	Method  string
	Path    string // relative to the vendor base URL, without query
	Status  int    // 0 when no response arrived
	Latency time.Duration
	Attempt int    // 1 for the first try, 2 for the first retry…
	Err     string // empty on success
}

// Options tune a Client. The zero value is usable: every zero field takes the
// default named next to it.
type Options struct {
	// Version goes into "User-Agent: patchbay/<Version>" (default "dev").
	Version string
	// UserAgent replaces the whole User-Agent when set.
	UserAgent string
	// Timeout bounds one logical call, retries and waits included
	// (DefaultTimeout). The caller's ctx deadline applies too, whichever
	// comes first.
	Timeout time.Duration
	// MaxRetries is how many times a 429/503 is retried (DefaultMaxRetries);
	// negative disables retries.
	MaxRetries int
	// MaxBody caps a response body in bytes (DefaultMaxBody).
	MaxBody int64
	// BaseBackoff and MaxBackoff shape the exponential backoff with full
	// jitter used when the vendor gives no Retry-After.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxRetryWait is the longest single wait accepted before a retry
	// (DefaultMaxRetryWait); a longer Retry-After fails at once with
	// ErrRateLimited, as does one that outlasts the call's deadline.
	MaxRetryWait time.Duration
	// Limiter is the client-side rate limiter. nil uses the vendor default.
	// Vendor limits are per credential, so clients sharing a credential
	// should share a limiter.
	Limiter *rate.Limiter
	// PageSize is the page size listings ask for (0: the vendor package's
	// default).
	PageSize int
	// MaxPages and ListTimeout bound every listing that follows pages
	// (DefaultMaxPages, DefaultListTimeout).
	MaxPages    int
	ListTimeout time.Duration
	// OnCall, when set, is called after every HTTP attempt. It must be safe
	// for concurrent use and must not block for long.
	OnCall func(Call)
	// Sleep replaces the real wait used for the limiter and retries; tests
	// record waits with it instead of spending them. nil waits on a timer
	// and returns ctx.Err() if ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Config is what a vendor package knows about its vendor.
type Config struct {
	Vendor  string // "lever", "certn", … (goes into Call.Vendor and errors)
	BaseURL string // absolute http(s) URL; path prefix allowed
	Auth    Auth
	// Limit and Burst build the default limiter when Options.Limiter is nil.
	// Limit 0 means no client-side limiting.
	Limit rate.Limit
	Burst int
}

// Client performs JSON calls against one vendor base URL with one credential.
// It is safe for concurrent use.
type Client struct {
	vendor       string
	base         *url.URL
	hc           *http.Client
	scrubber     scrub.Scrubber
	userAgent    string
	timeout      time.Duration
	maxRetries   int
	maxBody      int64
	baseBackoff  time.Duration
	maxBackoff   time.Duration
	maxRetryWait time.Duration
	limiter      *rate.Limiter
	pageSize     int
	maxPages     int
	listTimeout  time.Duration
	onCall       func(Call)
	sleep        func(context.Context, time.Duration) error
	jitter       func(n int64) int64 // uniform in [0, n)
}

// ErrNoCredential is returned by New when the credential is empty.
var ErrNoCredential = errors.New("no credential given")

// New builds a Client. hc may be nil (DefaultHTTPClient is used); its
// Transport is wrapped with the credential and hc itself is not modified.
func New(hc *http.Client, cfg Config, opts Options) (*Client, error) {
	if cfg.Auth.Secret == "" {
		return nil, fmt.Errorf("%s: %w", cfg.Vendor, ErrNoCredential)
	}
	if strings.ContainsAny(cfg.Auth.Secret, "\r\n") {
		return nil, fmt.Errorf("%s: credential contains a line break (pasted with a trailing newline?)", cfg.Vendor)
	}
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Vendor, err)
	}
	if hc == nil {
		hc = DefaultHTTPClient()
	}
	wrapped := *hc
	wrapped.Transport = cfg.Auth.RoundTripper(hc.Transport, base.Scheme, base.Host)
	wrapped.CheckRedirect = sameOrigin(base, hc.CheckRedirect)

	c := &Client{
		vendor:       cfg.Vendor,
		base:         base,
		hc:           &wrapped,
		scrubber:     scrub.New(cfg.Auth.Secret),
		timeout:      orDuration(opts.Timeout, DefaultTimeout),
		maxRetries:   opts.MaxRetries,
		maxBody:      opts.MaxBody,
		baseBackoff:  orDuration(opts.BaseBackoff, DefaultBaseBackoff),
		maxBackoff:   orDuration(opts.MaxBackoff, DefaultMaxBackoff),
		maxRetryWait: orDuration(opts.MaxRetryWait, DefaultMaxRetryWait),
		limiter:      opts.Limiter,
		pageSize:     opts.PageSize,
		maxPages:     opts.MaxPages,
		listTimeout:  orDuration(opts.ListTimeout, DefaultListTimeout),
		onCall:       opts.OnCall,
		sleep:        opts.Sleep,
		jitter:       rand.Int64N,
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.maxPages <= 0 {
		c.maxPages = DefaultMaxPages
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.limiter == nil && cfg.Limit > 0 {
		burst := cfg.Burst
		if burst < 1 {
			burst = 1
		}
		c.limiter = rate.NewLimiter(cfg.Limit, burst)
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	c.userAgent = opts.UserAgent
	if c.userAgent == "" {
		v := opts.Version
		if v == "" {
			v = DefaultVersion
		}
		c.userAgent = "patchbay/" + v
	}
	return c, nil
}

// ParseBaseURL checks that raw is an absolute http(s) URL without query,
// fragment or embedded user info, and trims a trailing slash.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid base URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("invalid base URL %q: scheme must be https (or http for local stand-ins)", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid base URL %q: no host", raw)
	}
	if u.User != nil {
		// Credentials belong in the keyring, not in a URL that ends up in logs.
		return nil, errors.New("invalid base URL: user info is not allowed in the URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid base URL %q: no query or fragment allowed", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// sameOrigin refuses a redirect to another origin (scheme, host or port):
// an answer from there is not the vendor's, so it must never count as one,
// even though the credential itself stays behind (see Auth.RoundTripper).
// Redirects within the origin go on to next (or a limit of 10).
func sameOrigin(base *url.URL, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if origin(req.URL) != origin(base) {
			target := *req.URL
			target.User, target.RawQuery, target.Fragment = nil, "", ""
			return &RedirectError{Target: target.String()}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// origin is scheme://host:port with the scheme's default port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// DefaultHTTPClient is an *http.Client whose transport bounds each phase of a
// connection, so a dead network fails fast even without a context deadline.
func DefaultHTTPClient() *http.Client {
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16, // the dashboard checks endpoints concurrently
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return nil
		},
	}
}

// Vendor is the vendor name given in Config.
func (c *Client) Vendor() string { return c.vendor }

// BaseURL is the normalised base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// Limiter is the client-side limiter in use (nil when unlimited).
func (c *Client) Limiter() *rate.Limiter { return c.limiter }

// PageSize is Options.PageSize, or def when it was not set.
func (c *Client) PageSize(def int) int {
	if c.pageSize > 0 {
		return c.pageSize
	}
	return def
}

// Get is Do with GET and no request body.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	return c.Do(ctx, http.MethodGet, path, query, nil, out)
}

// GetURL follows an absolute link the vendor handed out (a "next" page URL).
// The link must point under the client's base URL (same host, path below the
// base path), so the credential is never sent elsewhere. The base URL's
// scheme is used whatever the link says: servers behind TLS-terminating
// proxies often hand out http:// links, and we never downgrade.
func (c *Client) GetURL(ctx context.Context, link string, out any) error {
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("%s: %w: bad link: %v", c.vendor, ErrMalformed, err)
	}
	if u.Host != c.base.Host || !strings.HasPrefix(u.Path, c.base.Path+"/") {
		return fmt.Errorf("%s: %w: link points outside %s", c.vendor, ErrMalformed, c.base.Redacted())
	}
	return c.Do(ctx, http.MethodGet, strings.TrimPrefix(u.Path, c.base.Path), u.Query(), nil, out)
}

// Shaped is a decoded answer that can tell whether it has its documented
// shape: JSON that decodes without error but lacks the fields that make the
// answer mean something (`{}` for a list) is malformed, never a success.
type Shaped interface {
	CheckShape() error
}

// Do sends method path?query with in (JSON-encoded, when non-nil) and decodes
// a 2xx answer into out (when non-nil). path is relative to the base URL,
// starts with "/" and is not yet escaped. Errors wrap the sentinels and types
// in errors.go, prefixed with vendor, method and path.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("%s: path %q must start with /", c.vendor, path)
	}
	var payload []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s %s: encoding request: %w", c.vendor, method, path, err)
		}
		payload = b
	}
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	target := u.String()

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	for attempt := 1; ; attempt++ {
		if err := c.waitLimiter(ctx); err != nil {
			return c.wrap(method, path, err)
		}
		start := time.Now()
		res, err := c.attempt(ctx, method, path, target, payload, out)
		c.emit(Call{
			Vendor:  c.vendor,
			Method:  method,
			Path:    path,
			Status:  res.status,
			Latency: time.Since(start),
			Attempt: attempt,
			Err:     errString(err),
		})
		if err == nil {
			return nil
		}
		if !res.retryable(method) || attempt > c.maxRetries {
			return c.wrap(method, path, err)
		}
		delay, fromVendor := res.retryAfter, res.hasRetryAfter
		if !fromVendor {
			delay = c.backoff(attempt)
		}
		if !c.fits(ctx, delay) {
			// Waiting would outlast the budget: say so now rather than
			// sleeping into a timeout.
			if res.status == http.StatusTooManyRequests {
				err = &RateLimitError{RetryAfter: delay}
			}
			return c.wrap(method, path, err)
		}
		if err := c.sleep(ctx, delay); err != nil {
			return c.wrap(method, path, c.ctxError(ctx, err))
		}
	}
}

type result struct {
	status        int
	retryAfter    time.Duration
	hasRetryAfter bool
}

func (r result) retryable(method string) bool {
	switch r.status {
	case http.StatusTooManyRequests:
		return true // the request was refused, not processed: safe to resend
	case http.StatusServiceUnavailable:
		return idempotent(method)
	}
	return false
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// attempt performs one HTTP exchange and maps its outcome to an error.
func (c *Client) attempt(ctx context.Context, method, path, target string, payload []byte, out any) (result, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return result{}, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{}, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	res := result{status: resp.StatusCode}
	res.retryAfter, res.hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())

	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && resp.ContentLength > c.maxBody {
		return res, c.tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return res, c.transportError(ctx, err)
	}
	if !ok {
		return res, c.statusError(resp.StatusCode, path, data, res)
	}
	if int64(len(data)) > c.maxBody {
		return res, c.tooLarge()
	}
	if out == nil {
		return res, nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return res, fmt.Errorf("%w: empty body", ErrMalformed)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return res, fmt.Errorf("%w: %s", ErrMalformed, c.scrubber.String(err.Error()))
	}
	if sh, ok := out.(Shaped); ok {
		if err := sh.CheckShape(); err != nil {
			return res, fmt.Errorf("%w: %s", ErrMalformed, c.scrubber.String(err.Error()))
		}
	}
	return res, nil
}

func (c *Client) tooLarge() error {
	return fmt.Errorf("%w: over the %d-byte limit", ErrTooLarge, c.maxBody)
}

func (c *Client) statusError(status int, path string, body []byte, res result) error {
	switch status {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return &ForbiddenError{Endpoint: path}
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusTooManyRequests:
		return &RateLimitError{RetryAfter: res.retryAfter}
	case http.StatusServiceUnavailable:
		return fmt.Errorf("%w: %w", ErrUnreachable, &UnexpectedError{Status: status, Excerpt: Excerpt(body, c.scrubber)})
	}
	return &UnexpectedError{Status: status, Excerpt: Excerpt(body, c.scrubber)}
}

// transportError maps a failure to get (or finish reading) a response.
// Cancellation by the caller stays a context error; everything else — dial,
// DNS, TLS, timeouts — is ErrUnreachable. The *url.Error wrapper is dropped
// because its message repeats the full URL.
func (c *Client) transportError(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var re *RedirectError
	if errors.As(err, &re) {
		return re // an answer, but not the vendor's: not "unreachable" either
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return fmt.Errorf("request cancelled: %w", context.Canceled)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w: no answer in time: %w", ErrUnreachable, err)
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, err)
}

func (c *Client) ctxError(ctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: ran out of time while waiting to send", ErrUnreachable)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("request cancelled: %w", context.Canceled)
	}
	return err
}

// wrap prefixes err with the call and scrubs the whole message, whatever
// part of it echoes the credential; errors.Is and errors.As still see err.
func (c *Client) wrap(method, path string, err error) error {
	err = fmt.Errorf("%s %s %s: %w", c.vendor, method, path, err)
	if msg := c.scrubber.String(err.Error()); msg != err.Error() {
		return &scrubbedError{msg: msg, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// waitLimiter takes one token, waiting for it unless the wait would outlast
// the call's budget, in which case it fails at once with a local rate limit.
func (c *Client) waitLimiter(ctx context.Context) error {
	if c.limiter == nil {
		return nil
	}
	r := c.limiter.Reserve()
	if !r.OK() {
		return &RateLimitError{Local: true}
	}
	d := r.Delay()
	if d <= 0 {
		return nil
	}
	if !c.fits(ctx, d) {
		r.Cancel()
		return &RateLimitError{RetryAfter: d, Local: true}
	}
	if err := c.sleep(ctx, d); err != nil {
		r.Cancel()
		return c.ctxError(ctx, err)
	}
	return nil
}

// fits reports whether waiting d still leaves the call within its budget.
func (c *Client) fits(ctx context.Context, d time.Duration) bool {
	if d > c.maxRetryWait {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && d >= time.Until(dl) {
		return false
	}
	return true
}

// backoff is exponential backoff with full jitter: uniform in
// [0, min(MaxBackoff, BaseBackoff·2^(attempt-1))).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.maxBackoff
	if attempt-1 < 30 {
		if d := c.baseBackoff << (attempt - 1); d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(c.jitter(int64(ceiling)))
}

func (c *Client) emit(call Call) {
	if c.onCall == nil {
		return
	}
	call.Path = c.scrubber.String(call.Path)
	call.Err = c.scrubber.String(call.Err)
	c.onCall(call)
}

// parseRetryAfter reads Retry-After as delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
