package lever

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"sync"

	"github.com/patchbay/patchbay/internal/clients/httpx"
)

// ProbeResult is the outcome of reading one endpoint with ?limit=1.
// Allowed is true only on success. Err is a *httpx.ForbiddenError when the
// key lacks the permission, ErrUnauthorized when the key itself is invalid
// (then every result carries it), or whatever else went wrong (unreachable,
// rate limited), in which case the permission is unknown.
type ProbeResult struct {
	Endpoint string
	Allowed  bool
	Err      error
}

// Forbidden reports whether the result is a definite "no permission".
func (r ProbeResult) Forbidden() bool {
	var fe *httpx.ForbiddenError
	return errors.As(r.Err, &fe)
}

// Probe reads each endpoint once (?limit=1), concurrently; the client's
// limiter still spaces the requests. Results come back in the order of
// endpoints. A 401 on any endpoint means the key is invalid, so the other
// probes are cancelled and every result reports ErrUnauthorized.
func (c *Client) Probe(ctx context.Context, endpoints []string) []ProbeResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]ProbeResult, len(endpoints))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		authErr error
	)
	for i, ep := range endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var page Page[json.RawMessage]
			err := c.api.Get(ctx, ep, url.Values{"limit": {"1"}}, &page)
			results[i] = ProbeResult{Endpoint: ep, Allowed: err == nil, Err: err}
			if errors.Is(err, httpx.ErrUnauthorized) {
				mu.Lock()
				if authErr == nil {
					authErr = err
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if authErr != nil {
		for i := range results {
			results[i].Allowed = false
			results[i].Err = authErr
		}
	}
	return results
}

// Denied lists the endpoints a probe found forbidden.
func Denied(results []ProbeResult) []string {
	var out []string
	for _, r := range results {
		if r.Forbidden() {
			out = append(out, r.Endpoint)
		}
	}
	return out
}

// ProbeError is the first failure that is not a per-endpoint denial (invalid
// key, unreachable, rate limited): the probe could not decide those
// endpoints. nil when every endpoint was either allowed or forbidden.
func ProbeError(results []ProbeResult) error {
	for _, r := range results {
		if r.Err != nil && !r.Forbidden() {
			return r.Err
		}
	}
	return nil
}
