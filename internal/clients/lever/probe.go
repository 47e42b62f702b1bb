package lever

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
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

// ConfidentialRequisitions reads the confidential requisitions only
// (Lever's documented confidentiality filter; the default lists only
// non-confidential ones). A key created without confidential access is
// refused here while /requisitions alone answers.
const ConfidentialRequisitions = "/requisitions?confidentiality=confidential"

// Probe reads each endpoint once (?limit=1), concurrently; an endpoint may
// carry its own query ("/requisitions?confidentiality=confidential"). The client's
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
			err := c.probe(ctx, ep)
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

func (c *Client) probe(ctx context.Context, endpoint string) error {
	path, rawQuery, _ := strings.Cut(endpoint, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return fmt.Errorf("%s: probe %q: %w", Vendor, endpoint, err)
	}
	q.Set("limit", "1")
	_, err = getPage[json.RawMessage](ctx, c, path, q)
	var fe *httpx.ForbiddenError
	if errors.As(err, &fe) && fe.Endpoint != endpoint {
		// Name what was refused: confidential requisitions, not all of them.
		return fmt.Errorf("%s GET %s: %w", Vendor, endpoint, &httpx.ForbiddenError{Endpoint: endpoint})
	}
	return err
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
