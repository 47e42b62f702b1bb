package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel errors. Every error a Client returns wraps exactly one of these
// (or a typed error below) so the UI can word failures plainly with
// errors.Is / errors.As, whatever the vendor.
var (
	// ErrUnauthorized: the vendor rejected the credential itself (HTTP 401).
	ErrUnauthorized = errors.New("credential rejected (401 Unauthorized)")
	// ErrRateLimited: the vendor (429) or our own limiter refused the call
	// within the time budget. The concrete error is a *RateLimitError.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnreachable: no usable answer: DNS, dial, TLS, timeouts, or a 503
	// that outlasted the retries.
	ErrUnreachable = errors.New("vendor unreachable")
	// ErrNotFound: HTTP 404 (unknown path, object or organisation).
	ErrNotFound = errors.New("not found (404)")
	// ErrMalformed: a 2xx answer whose body is not the JSON we expect.
	ErrMalformed = errors.New("malformed response")
	// ErrTooLarge: a 2xx answer bigger than Options.MaxBody. Parsing a
	// truncated body could silently drop items, so we refuse it.
	ErrTooLarge = errors.New("response body too large")
)

// ForbiddenError: the credential is valid but may not use Endpoint (HTTP 403).
// Lever permissions are per endpoint, so the endpoint is what the admin needs
// to hear about.
type ForbiddenError struct {
	Endpoint string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("access to %s denied (403 Forbidden): the credential lacks this permission", e.Endpoint)
}

// RateLimitError is the concrete ErrRateLimited. RetryAfter is the wait the
// vendor asked for (or our limiter computed); zero when unknown.
type RateLimitError struct {
	RetryAfter time.Duration
	// Local is true when patchbay's own client-side limiter ran out of time
	// budget, i.e. the vendor was never asked.
	Local bool
}

func (e *RateLimitError) Error() string {
	who := "vendor"
	if e.Local {
		who = "client-side limiter"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("rate limited by the %s; retry after %s", who, e.RetryAfter.Round(time.Millisecond))
	}
	return "rate limited by the " + who
}

// Is makes errors.Is(err, ErrRateLimited) hold for a *RateLimitError.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// RetryAfter reports the wait carried by a rate-limit error anywhere in err's chain.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}

// UnexpectedError is any other non-2xx status. Excerpt is at most 200
// characters of the vendor's message with the credential scrubbed out.
type UnexpectedError struct {
	Status  int
	Excerpt string
}

func (e *UnexpectedError) Error() string {
	msg := fmt.Sprintf("unexpected HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.Excerpt != "" {
		msg += ": " + e.Excerpt
	}
	return msg
}

// RedirectError: the vendor's address answered a credentialed call with a
// redirect to another origin. patchbay does not follow it, and nothing the
// other origin says can count as the vendor's answer. Target is the
// redirect's URL without query or user info.
type RedirectError struct {
	Target string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("redirected to another origin (%s); patchbay only believes answers from the vendor's own address", e.Target)
}
