package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/clients/vetty"
	"github.com/patchbay/patchbay/internal/termsafe"
	"golang.org/x/time/rate"
)

// Vendors implements Checker with the real vendor clients. Base URLs come
// from the clients' defaults or URLs.
type Vendors struct {
	HTTP    *http.Client // nil: the clients' default
	Version string
	Timeout time.Duration // per logical call; 0: the clients' default
	OnCall  func(httpx.Call)
	// URLs, when set, override vendors' base URLs (cmd/patchbay passes the
	// checked PATCHBAY_<VENDOR>_URL values; the demo and tests point them at
	// the stand-ins); an empty field leaves the vendor's own address.
	URLs *URLs

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// limiter returns the limiter shared by every client using one credential:
// vendors count requests per key, so must we.
func (v *Vendors) limiter(vendor, key string, mk func() *rate.Limiter) *rate.Limiter {
	sum := sha256.Sum256([]byte(vendor + "\x00" + key))
	id := string(sum[:])
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.limiters == nil {
		v.limiters = map[string]*rate.Limiter{}
	}
	l, ok := v.limiters[id]
	if !ok {
		l = mk()
		v.limiters[id] = l
	}
	return l
}

func (v *Vendors) options(l *rate.Limiter) httpx.Options {
	return httpx.Options{Version: v.Version, Timeout: v.Timeout, OnCall: v.OnCall, Limiter: l}
}

// Override is the base URL that replaces vendor's own address ("lever",
// "vetty", …), or "" when the vendor's own address is used.
func (v *Vendors) Override(vendor string) string {
	if v.URLs == nil {
		return ""
	}
	return map[string]string{"lever": v.URLs.Lever, "certn": v.URLs.Certn, "vetty": v.URLs.Vetty, "charthop": v.URLs.ChartHop}[vendor]
}

// URLs are base URLs for the four vendor APIs.
type URLs struct {
	Lever, Certn, Vetty, ChartHop string
}

func (v *Vendors) lever(region, key string) (*lever.Client, error) {
	base, err := lever.BaseURL(region)
	if v.URLs != nil && v.URLs.Lever != "" {
		base, err = v.URLs.Lever, nil
	}
	if err != nil {
		return nil, err
	}
	return lever.New(v.HTTP, base, key, v.options(v.limiter("lever", key, lever.NewLimiter)))
}

func (v *Vendors) vetty(key string) (*vetty.Client, error) {
	base := vetty.DefaultBaseURL
	if v.URLs != nil && v.URLs.Vetty != "" {
		base = v.URLs.Vetty
	}
	return vetty.New(v.HTTP, base, key, v.options(v.limiter("vetty", key, func() *rate.Limiter {
		return rate.NewLimiter(vetty.DefaultRate, vetty.DefaultBurst)
	})))
}

// VettyPackages lists the packages the key can see.
func (v *Vendors) VettyPackages(ctx context.Context, key string) ([]string, error) {
	c, err := v.vetty(key)
	if err != nil {
		return nil, err
	}
	pkgs, err := c.Packages(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(pkgs))
	for i, p := range pkgs {
		names[i] = termsafe.String(p.Name) // shown and stored: never raw
	}
	return names, nil
}

// LeverStages lists the account's stage names.
func (v *Vendors) LeverStages(ctx context.Context, region, key string) ([]string, error) {
	c, err := v.lever(region, key)
	if err != nil {
		return nil, err
	}
	stages, err := c.Stages(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = termsafe.String(s.Text)
	}
	return names, nil
}

// LeverProbe reads each endpoint once and returns those the key may not read.
func (v *Vendors) LeverProbe(ctx context.Context, region, key string, endpoints []string) ([]string, error) {
	c, err := v.lever(region, key)
	if err != nil {
		return nil, err
	}
	results := c.Probe(ctx, endpoints)
	var forbidden []string
	for _, r := range results {
		switch {
		case r.Allowed:
		case r.Forbidden():
			forbidden = append(forbidden, r.Endpoint)
		default:
			return nil, r.Err
		}
	}
	return forbidden, nil
}

// LeverTags counts candidates per tag.
func (v *Vendors) LeverTags(ctx context.Context, region, key string) (map[string]int, error) {
	c, err := v.lever(region, key)
	if err != nil {
		return nil, err
	}
	tags, err := c.Tags(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(tags))
	for _, t := range tags {
		out[termsafe.String(t.Text)] += t.Count
	}
	return out, nil
}

// SignatureSelfTest signs and verifies a sample Lever webhook payload.
func SignatureSelfTest(signingToken string) error {
	now := time.Now()
	const deliveryToken = "patchbay-self-test-0123456789abcdef0123456789ab"
	at := now.UnixMilli()
	sig := lever.Sign(signingToken, deliveryToken, at)
	payload := fmt.Sprintf(`{"event":"candidateStageChange","triggeredAt":%d,"token":%q,"signature":%q,"data":{}}`, at, deliveryToken, sig)
	return lever.VerifySignature(signingToken, []byte(payload), time.Minute, now)
}

// classifyErr words a client error as a live result; never a secret (the
// clients scrub their errors).
func classifyErr(err error) Classification {
	var forbidden *httpx.ForbiddenError
	switch {
	case errors.As(err, &forbidden):
		return Classification{ResultForbidden, "forbidden on " + forbidden.Endpoint}
	case errors.Is(err, httpx.ErrUnauthorized):
		msg := "the key was refused (401)"
		var access *vetty.AccessError
		if errors.As(err, &access) {
			msg += "; " + vetty.IPRangeHint
		}
		return Classification{ResultUnauthorized, msg}
	case errors.Is(err, httpx.ErrRateLimited):
		var rl *httpx.RateLimitError
		if errors.As(err, &rl) && rl.Local {
			return Classification{ResultRateLimited, "held back by patchbay's own rate limit for this vendor (it keeps under the vendor's published limit); try again shortly"}
		}
		return Classification{ResultRateLimited, "rate limited: the vendor asked patchbay to slow down"}
	case errors.Is(err, httpx.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return Classification{ResultUnreachable, "could not be reached: " + lastPart(err)}
	case errors.Is(err, context.Canceled):
		return Classification{ResultUnknown, "cancelled"}
	}
	return Classification{ResultUnknown, err.Error()}
}

// lastPart keeps the innermost cause of a wrapped error message.
func lastPart(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}
