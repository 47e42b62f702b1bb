package lever_test

// Each test here is named after a fact of Lever's documentation (or, when
// its name starts with TestInferred, a guess from docs/vendor-apis.md) and
// fails when the client's behaviour diverges from it.

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/clients/standin"
)

// pagedServer answers /stages with the scripted pages in order, checking
// that each request after the first carries the previous page's next
// token as offset.
func pagedServer(t *testing.T, pages []map[string]any) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var offsets []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := len(offsets)
		offsets = append(offsets, r.URL.Query().Get("offset"))
		mu.Unlock()
		if n >= len(pages) {
			t.Errorf("request %d beyond the %d scripted pages", n+1, len(pages))
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(pages[n])
	}))
	t.Cleanup(srv.Close)
	return srv, &offsets
}

func stage(id string) map[string]string { return map[string]string{"id": id, "text": "Stage " + id} }

// Lever's list envelope is {data, next, hasNext}: hasNext says whether
// another page exists and next is the offset to ask for it with.
func TestListStopRuleFollowsHasNextAndNext(t *testing.T) {
	tests := []struct {
		name        string
		pages       []map[string]any
		wantIDs     []string
		wantOffsets []string
		wantErr     string // "" when the listing must succeed
	}{
		{
			name: "hasNext false ends the listing even with a next token",
			pages: []map[string]any{
				{"data": []any{stage("a")}, "next": "tok-1", "hasNext": false},
			},
			wantIDs: []string{"a"}, wantOffsets: []string{""},
		},
		{
			name: "hasNext true is followed with next as offset",
			pages: []map[string]any{
				{"data": []any{stage("a")}, "next": "tok-1", "hasNext": true},
				{"data": []any{stage("b")}, "next": "tok-2", "hasNext": true},
				{"data": []any{stage("c")}, "hasNext": false},
			},
			wantIDs: []string{"a", "b", "c"}, wantOffsets: []string{"", "tok-1", "tok-2"},
		},
		{
			name: "hasNext true without next is malformed, not a short list",
			pages: []map[string]any{
				{"data": []any{stage("a")}, "next": "tok-1", "hasNext": true},
				{"data": []any{stage("b")}, "hasNext": true},
			},
			wantOffsets: []string{"", "tok-1"}, wantErr: "no next token",
		},
		{
			name: "hasNext true with an empty next is malformed",
			pages: []map[string]any{
				{"data": []any{stage("a")}, "next": "", "hasNext": true},
			},
			wantOffsets: []string{""}, wantErr: "no next token",
		},
		{
			name: "a repeated next token is malformed",
			pages: []map[string]any{
				{"data": []any{stage("a")}, "next": "tok-1", "hasNext": true},
				{"data": []any{stage("b")}, "next": "tok-1", "hasNext": true},
			},
			wantOffsets: []string{"", "tok-1"}, wantErr: "repeated",
		},
		{
			name:        "a page without its data list is malformed",
			pages:       []map[string]any{{"hasNext": false}},
			wantOffsets: []string{""}, wantErr: `no "data" list`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, offsets := pagedServer(t, tt.pages)
			c, err := lever.New(nil, srv.URL+"/v1", key, httpx.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Stages(context.Background())
			if tt.wantErr != "" {
				if !errors.Is(err, httpx.ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) || got != nil {
					t.Fatalf("Stages = %v, %v; want no list and a malformed error saying %q", got, err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, s := range got {
					ids = append(ids, s.ID)
				}
				if !slices.Equal(ids, tt.wantIDs) {
					t.Fatalf("ids = %v, want %v", ids, tt.wantIDs)
				}
			}
			if !slices.Equal(*offsets, tt.wantOffsets) {
				t.Fatalf("offsets asked = %q, want %q", *offsets, tt.wantOffsets)
			}
		})
	}
}

// The stand-in's no-next mode: a real listing whose second page says
// hasNext without a token must fail, not end short.
func TestListStopRuleAtTheStandinWithoutNext(t *testing.T) {
	s := startStandins(t, standin.Options{PageSize: 3})
	s.Lever.SetFault(standin.Fault{Kind: standin.FaultNoNext, Path: "/stages"})
	stages, err := newClient(t, s, key, httpx.Options{}).Stages(context.Background())
	if !errors.Is(err, httpx.ErrMalformed) || stages != nil {
		t.Fatalf("Stages = %d stages, %v; want a malformed error", len(stages), err)
	}
}

// Lever: HTTP basic auth, the API key as the username, an empty password.
func TestKeyIsTheBasicAuthUserWithAnEmptyPassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != key || pass != "" {
			t.Errorf("basic auth = %q, %q, %v", user, pass, ok)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":[],"hasNext":false}`))
	}))
	defer srv.Close()
	c, err := lever.New(nil, srv.URL, key, httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Lever: 401 = no valid key, so no endpoint can be read; 403 = a valid
// key without that endpoint's permission, named per endpoint.
func TestUnauthorizedIsTheKeyAndForbiddenIsTheEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case user == "bad":
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"code":"UnauthorizedError","message":"Invalid API key"}`))
		case r.URL.Path == "/tags":
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"code":"ForbiddenError","message":"no permission"}`))
		default:
			w.Write([]byte(`{"data":[],"hasNext":false}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	good, _ := lever.New(nil, srv.URL, "good", httpx.Options{})
	res := good.Probe(ctx, certnEndpoints)
	if got := lever.Denied(res); !slices.Equal(got, []string{"/tags"}) || lever.ProbeError(res) != nil {
		t.Fatalf("valid key: denied %v, error %v", got, lever.ProbeError(res))
	}
	var fe *httpx.ForbiddenError
	if !errors.As(res[1].Err, &fe) || fe.Endpoint != "/tags" || errors.Is(res[1].Err, httpx.ErrUnauthorized) {
		t.Fatalf("a 403 reads as %v", res[1].Err)
	}
	bad, _ := lever.New(nil, srv.URL, "bad", httpx.Options{})
	res = bad.Probe(ctx, certnEndpoints)
	for _, r := range res {
		if r.Allowed || r.Forbidden() || !errors.Is(r.Err, httpx.ErrUnauthorized) {
			t.Errorf("invalid key, %s: %+v", r.Endpoint, r)
		}
	}
	if len(lever.Denied(res)) != 0 || !errors.Is(lever.ProbeError(res), httpx.ErrUnauthorized) {
		t.Fatalf("invalid key: denied %v, error %v", lever.Denied(res), lever.ProbeError(res))
	}
}

// Lever's requisitions list only non-confidential items unless asked
// (confidentiality); a key without confidential access is refused there.
func TestConfidentialRequisitionsAreProbedWithTheConfidentialityFilter(t *testing.T) {
	s := startStandins(t, standin.Options{})
	ctx := context.Background()
	res := newClient(t, s, standin.NoConfidentialKey+"-"+key, httpx.Options{}).Probe(ctx, charthopEndpoints)
	if got := lever.Denied(res); !slices.Equal(got, []string{lever.ConfidentialRequisitions}) {
		t.Fatalf("denied = %v", got)
	}
	all, err := newClient(t, s, key, httpx.Options{}).Requisitions(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.Confidentiality != "non-confidential" {
			t.Errorf("the default listing holds %s requisition %s", r.Confidentiality, r.RequisitionCode)
		}
	}
}

// Lever limits per key: clients given one limiter draw from one bucket. A
// slow bucket (one token an hour) keeps the test independent of the
// machine's speed.
func TestOneLimiterPerKeyIsSharedByItsClients(t *testing.T) {
	s := startStandins(t, standin.Options{})
	shared := rate.NewLimiter(rate.Every(time.Hour), 2)
	var waits noWait
	a := newClient(t, s, key, httpx.Options{Limiter: shared, Sleep: waits.sleep})
	b := newClient(t, s, key, httpx.Options{Limiter: shared, Sleep: waits.sleep, MaxRetryWait: 2 * time.Hour, Timeout: 3 * time.Hour})
	ctx := context.Background()
	for range 2 {
		if err := a.Verify(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(waits.d) != 0 {
		t.Fatalf("the burst waited: %v", waits.d)
	}
	b.Verify(ctx) // the bucket a emptied: b must wait for a token
	if len(waits.d) != 1 || waits.d[0] < 30*time.Minute {
		t.Fatalf("a second client with the same limiter waited %v after the first spent the burst", waits.d)
	}
}

// dnsFailure is a transport whose every host is unknown to DNS.
type dnsFailure struct{}

func (dnsFailure) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: true}
}

// The EU address is a guess (third-party code only): when its name does
// not resolve, the error names the guess and its override.
func TestInferredEUAddressIsNamedWhenItDoesNotResolve(t *testing.T) {
	t.Setenv(lever.EnvURL, "")
	eu, err := lever.BaseURL("eu")
	if err != nil || eu != "https://api.eu.lever.co/v1" {
		t.Fatalf("EU address = %q, %v", eu, err)
	}
	c, err := lever.New(&http.Client{Transport: dnsFailure{}}, eu, key, httpx.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Verify(context.Background())
	var ie *inferred.Error
	if !errors.As(err, &ie) || ie.Guesses[0].ID != "lever.eu_host" || !strings.Contains(err.Error(), "PATCHBAY_LEVER_URL") {
		t.Fatalf("Verify = %v", err)
	}
	// The documented US address is no guess: the same failure there is a
	// plain network problem.
	us, _ := lever.BaseURL("us")
	c, _ = lever.New(&http.Client{Transport: dnsFailure{}}, us, key, httpx.Options{MaxRetries: -1})
	if err := c.Verify(context.Background()); errors.As(err, &ie) || !errors.Is(err, httpx.ErrUnreachable) {
		t.Fatalf("US Verify = %v", err)
	}
}

// The stand-in mode for a wrong EU guess: an address that does not resolve.
func TestInferredEUAddressStandinDoesNotResolve(t *testing.T) {
	c, err := lever.New(nil, standin.UnresolvableLeverEU, key, httpx.Options{MaxRetries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.AddressInferred()
	err = c.Verify(context.Background())
	if inferred.SignOf(err) != inferred.NoSuchHost {
		t.Fatalf("Verify = %v, want no such host", err)
	}
	var ie *inferred.Error
	if !errors.As(err, &ie) {
		t.Fatalf("the guess is not named: %v", err)
	}
}

// Lever's /users filters: email, accessRole, includeDeactivated (active
// users only by default).
func TestUsersFiltersAreLevers(t *testing.T) {
	s := startStandins(t, standin.Options{PageSize: 2})
	c := newClient(t, s, key, httpx.Options{})
	ctx := context.Background()
	count := func(f lever.UserFilter) int {
		t.Helper()
		us, err := c.Users(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			if !f.IncludeDeactivated && !u.Active() {
				t.Errorf("deactivated user %s listed without includeDeactivated", u.Name)
			}
		}
		return len(us)
	}
	active, all := count(lever.UserFilter{}), count(lever.UserFilter{IncludeDeactivated: true})
	if active == 0 || all != active+1 {
		t.Fatalf("active %d, all %d", active, all)
	}
	if n := count(lever.UserFilter{Email: "priya@example.com"}); n != 1 {
		t.Errorf("by email: %d users", n)
	}
	if n := count(lever.UserFilter{AccessRole: "super admin"}); n != 1 {
		t.Errorf("by access role: %d users", n)
	}
}
