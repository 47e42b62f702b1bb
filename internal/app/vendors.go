package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
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

	mu          sync.Mutex
	limiters    map[string]*rate.Limiter
	regionTries map[string]*regionTry
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
	// LeverEU, when set, is Lever's EU deployment while Lever serves the
	// others: it stands in for Lever's inferred EU address (the demo and
	// tests), so its failures are worded as that guess's.
	LeverEU string
}

// leverBase is the address of a Lever region and whether it is the
// inferred EU address (or what stands in for it).
func (v *Vendors) leverBase(region string) (base string, guessed bool, err error) {
	if v.URLs != nil && v.URLs.LeverEU != "" && strings.EqualFold(strings.TrimSpace(region), "eu") {
		return v.URLs.LeverEU, true, nil
	}
	if v.URLs != nil && v.URLs.Lever != "" {
		return v.URLs.Lever, false, nil
	}
	base, err = lever.BaseURL(region)
	return base, false, err
}

func (v *Vendors) lever(region, key string) (*lever.Client, error) {
	base, guessed, err := v.leverBase(region)
	if err != nil {
		return nil, err
	}
	c, err := lever.New(v.HTTP, base, key, v.options(v.limiter("lever", key, lever.NewLimiter)))
	if err == nil && guessed {
		c.AddressInferred()
	}
	return c, err
}

// LeverRegionError: Lever's deployment for the region asked refused the
// key (401) and the other deployment accepts it. US and EU are separate
// deployments (Lever's docs), so the key belongs to the region found.
type LeverRegionError struct {
	Asked, Found string
}

func (e *LeverRegionError) Error() string {
	return fmt.Sprintf("Lever's %s deployment refused the key (401) but the %s deployment accepts it: the key belongs to Lever %s",
		RegionName(e.Asked), RegionName(e.Found), RegionName(e.Found))
}

// RegionName is a Lever region as the admin knows it: US, EU, Sandbox.
func RegionName(region string) string {
	switch r := strings.ToLower(strings.TrimSpace(region)); r {
	case "us", "eu":
		return strings.ToUpper(r)
	case "sandbox":
		return "Sandbox"
	}
	return region
}

// otherRegion is the Lever region a key refused in region is tried in:
// US for EU and EU for US, when the two have different addresses (one
// override address serves every region). Sandbox keys are sandbox-only.
func (v *Vendors) otherRegion(region string) (string, bool) {
	other, ok := map[string]string{"us": "eu", "eu": "us"}[strings.ToLower(strings.TrimSpace(region))]
	if !ok {
		return "", false
	}
	a, _, errA := v.leverBase(region)
	b, _, errB := v.leverBase(other)
	return other, errA == nil && errB == nil && a != b
}

// leverDo runs op with a client for region. A key refused there (401) is
// tried once in the other region; when that deployment accepts it, the
// answer is a *LeverRegionError naming where the key belongs.
func (v *Vendors) leverDo(ctx context.Context, region, key string, op func(*lever.Client) error) error {
	c, err := v.lever(region, key)
	if err != nil {
		return err
	}
	err = op(c)
	if !errors.Is(err, httpx.ErrUnauthorized) {
		return err
	}
	other, ok := v.otherRegion(region)
	if !ok {
		return err
	}
	if v.acceptedIn(ctx, other, key) {
		return &LeverRegionError{Asked: region, Found: other}
	}
	return err
}

// regionTry is one try of a key in another Lever region, shared by the
// calls of one check (a key check reads several lists at once) so the
// other deployment is asked once.
type regionTry struct {
	done     chan struct{}
	accepted bool
	at       time.Time
}

// regionTryFresh is how long a try answers for its key.
const regionTryFresh = 30 * time.Second

// acceptedIn reports whether Lever's deployment for region accepts key (a
// 403 on /stages is a valid key too).
func (v *Vendors) acceptedIn(ctx context.Context, region, key string) bool {
	sum := sha256.Sum256([]byte(region + "\x00" + key))
	id := string(sum[:])
	v.mu.Lock()
	if v.regionTries == nil {
		v.regionTries = map[string]*regionTry{}
	}
	t, ok := v.regionTries[id]
	mine := !ok || time.Since(t.at) > regionTryFresh
	if mine {
		t = &regionTry{done: make(chan struct{}), at: time.Now()}
		v.regionTries[id] = t
	}
	v.mu.Unlock()
	if !mine {
		select {
		case <-t.done:
			return t.accepted
		case <-ctx.Done():
			return false
		}
	}
	defer close(t.done)
	c, err := v.lever(region, key)
	if err != nil {
		return false
	}
	var fe *httpx.ForbiddenError
	verr := c.Verify(ctx)
	t.accepted = verr == nil || errors.As(verr, &fe)
	return t.accepted
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
		names[i] = termsafe.Line(p.Name) // shown and stored: never raw
	}
	return names, nil
}

// LeverStages lists the account's stage names.
func (v *Vendors) LeverStages(ctx context.Context, region, key string) ([]string, error) {
	var names []string
	err := v.leverDo(ctx, region, key, func(c *lever.Client) error {
		stages, err := c.Stages(ctx)
		for _, s := range stages {
			names = append(names, termsafe.Line(s.Text))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// LeverProbe reads each endpoint once and returns those the key may not read.
func (v *Vendors) LeverProbe(ctx context.Context, region, key string, endpoints []string) ([]string, error) {
	var forbidden []string
	err := v.leverDo(ctx, region, key, func(c *lever.Client) error {
		results := c.Probe(ctx, endpoints)
		if err := lever.ProbeError(results); err != nil {
			return err
		}
		forbidden = lever.Denied(results)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return forbidden, nil
}

// LeverTags counts candidates per tag.
func (v *Vendors) LeverTags(ctx context.Context, region, key string) (map[string]int, error) {
	out := map[string]int{}
	err := v.leverDo(ctx, region, key, func(c *lever.Client) error {
		tags, err := c.Tags(ctx)
		for _, t := range tags {
			out[termsafe.Line(t.Text)] += t.Count
		}
		return err
	})
	if err != nil {
		return nil, err
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
	var (
		guess   *inferred.Error
		region  *LeverRegionError
		denied  *httpx.ForbiddenError
		limited *httpx.RateLimitError
		access  *vetty.AccessError
	)
	// Vetty binds keys to IP ranges: a 401 and a 403 from it may both be
	// that, and every surface says so.
	hint := ""
	if errors.As(err, &access) {
		hint = "; " + vetty.IPRangeHint
	}
	switch {
	case errors.As(err, &guess):
		// Before the generic kinds: a wrong guess is no network problem and
		// no refused key, and retrying will not help.
		return Classification{Result: ResultUnknown, Detail: guessed(guess)}
	case errors.As(err, &region):
		return Classification{Result: ResultDrift, Detail: region.Error()}
	case errors.As(err, &denied):
		return Classification{Result: ResultForbidden, Detail: "forbidden on " + denied.Endpoint + hint}
	case errors.Is(err, httpx.ErrUnauthorized):
		return Classification{Result: ResultUnauthorized, Detail: "the key was refused (401)" + hint}
	case errors.Is(err, httpx.ErrRateLimited):
		if errors.As(err, &limited) && limited.Local {
			return Classification{Result: ResultRateLimited, Detail: "held back by patchbay's own rate limit for this vendor (it keeps under the vendor's published limit); try again shortly"}
		}
		return Classification{Result: ResultRateLimited, Detail: "rate limited: the vendor asked patchbay to slow down"}
	case errors.Is(err, httpx.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return Classification{Result: ResultUnreachable, Detail: "could not be reached: " + lastPart(err)}
	case errors.Is(err, context.Canceled):
		return Classification{Result: ResultUnknown, Detail: "cancelled"}
	}
	return Classification{Result: ResultUnknown, Detail: err.Error()}
}

// guessed says what failed when a guess may be wrong, and names the guess.
func guessed(e *inferred.Error) string {
	what := "the answer is not in the shape expected (" + lastPart(e.Err) + ")"
	switch inferred.SignOf(e.Err) {
	case inferred.NoSuchHost:
		what = "the address does not resolve (no such host)"
	case inferred.NotFound:
		what = "the API answered 404 (not found)"
	}
	return what + "; " + e.Explanation()
}

// vendorFailed words a vendor call that did not succeed, for a step's
// check and a dashboard row alike (see Verdict): what happened and what
// to do, from the one classification above.
func vendorFailed(vendor string, err error, c checkInput) Verdict {
	cl := Classify(err)
	v := Verdict{Result: cl.Result, Detail: vendorName(vendor) + ": " + cl.Detail}
	creator, _ := c.in.StepCreating(c.secret)
	var (
		guess  *inferred.Error
		region *LeverRegionError
	)
	switch {
	case errors.As(err, &guess):
		v.guess = true
		v.Fix = guess.Explanation()
	case errors.As(err, &region):
		v.moved = region.Found
		v.Fix = fmt.Sprintf("re-run %s/%s with region %s", c.in.ID, creator.ID, RegionName(region.Found))
	}
	switch cl.Result {
	case ResultRateLimited:
		v.retryAfter, _ = httpx.RetryAfter(err)
	case ResultUnauthorized:
		if c.recorded {
			v.Fix = fmt.Sprintf("rotate the key (patchbay rotate %s/%s) or re-run %s/%s", c.in.ID, c.secret, c.in.ID, creator.ID)
		} else if creator.Refused != "" {
			v.Fix = "the key was refused. " + creator.Refused
		} else {
			v.Fix = "the key was refused: copy it again (whole, without spaces)"
			if creator.Where != "" {
				v.Fix += " from " + creator.Where
			}
		}
		if vendor == VendorVetty {
			v.Fix += "; if it was copied whole, the key's IP range may not include this machine's address: check the key's IP Address field in Vetty › Settings › API Management (0.0.0.0/0 allows any address)"
		}
	case ResultForbidden:
		v.Fix = "the key is valid but lacks a permission: " + cl.Detail
		if c.recorded && creator.Where != "" {
			v.Fix = "give the key that permission in " + creator.Where
		}
		if vendor == VendorVetty {
			v.Fix = "Vetty refused the key: its IP range may not include this machine's address; check the key's IP Address field in Vetty › Settings › API Management"
		}
	}
	return v
}

// leverDenied words the endpoints a valid Lever key may not read. who is
// the system the key is for ("ChartHop"), needs what it must read.
func leverDenied(who string, needs, forbidden []string) Verdict {
	v := Verdict{
		Result: ResultForbidden,
		Detail: fmt.Sprintf("forbidden on %s: Lever accepted the key but refused it there (403)", strings.Join(forbidden, ", ")),
		Fix:    fmt.Sprintf("%s needs to read %s: give the key those permissions in Lever › Settings › Integrations and API (or generate a new key)", who, strings.Join(needs, ", ")),
	}
	if slices.Contains(forbidden, lever.ConfidentialRequisitions) {
		v.Detail += "; the key has no access to confidential requisitions"
		v.Fix += ". Confidential requisitions are readable only by a key given confidential access when it is created: generate a new key with confidential access. " +
			"Lever Requisitions needs Lever's Requisition Management add-on, and a Super Admin must enable API management in Lever's Requisitions settings"
	}
	return v
}

// lastPart keeps the innermost cause of a wrapped error message.
func lastPart(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}
