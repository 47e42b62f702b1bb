package httpx

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/scrub"
)

const secret = "sk_live_SECRET-0123456789abcdef"

// sleeps records requested waits without spending them.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
	at []time.Time // when each wait would end
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	s.at = append(s.at, time.Now().Add(d))
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type calls struct {
	mu sync.Mutex
	c  []Call
}

func (c *calls) add(call Call) { c.mu.Lock(); c.c = append(c.c, call); c.mu.Unlock() }
func (c *calls) all() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Call(nil), c.c...)
}

func newTestClient(t *testing.T, url string, auth Auth, opts Options) *Client {
	t.Helper()
	c, err := New(nil, Config{Vendor: "test", BaseURL: url + "/v1", Auth: auth}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthSchemes(t *testing.T) {
	tests := []struct {
		name string
		auth Auth
		want string
	}{
		{"lever basic, key as user", BasicKey(secret), "Basic " + base64.StdEncoding.EncodeToString([]byte(secret+":"))},
		{"bearer", Bearer(secret), "Bearer " + secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, ua string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, ua = r.Header.Get("Authorization"), r.Header.Get("User-Agent")
				io.WriteString(w, `{}`)
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, tt.auth, Options{Version: "1.2.3"})
			if err := c.Get(context.Background(), "/x", nil, &struct{}{}); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Authorization = %q, want %q", got, tt.want)
			}
			if ua != "patchbay/1.2.3" {
				t.Errorf("User-Agent = %q", ua)
			}
			if s := fmt.Sprintf("%v %+v %#v %s", tt.auth, tt.auth, tt.auth, tt.auth); strings.Contains(s, secret) {
				t.Errorf("formatting an Auth leaks the secret: %s", s)
			}
		})
	}
}

func TestBasicKeyMatchesNetHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != secret || pass != "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, BasicKey(secret), Options{})
	if err := c.Get(context.Background(), "/x", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialNotSentToOtherHosts(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
		io.WriteString(w, `{}`)
	}))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer home.Close()
	c := newTestClient(t, home.URL, Bearer(secret), Options{})
	var out map[string]any
	err := c.Get(context.Background(), "/x", nil, &out)
	var re *RedirectError
	if !errors.As(err, &re) || re.Target != other.URL+"/elsewhere" || !strings.Contains(err.Error(), other.URL+"/elsewhere") {
		t.Fatalf("err = %v, want a *RedirectError naming %s/elsewhere", err, other.URL)
	}
	if errors.Is(err, ErrUnreachable) || out != nil {
		t.Fatalf("a redirect off the origin gave err %v, out %v: it is an answer, and not the vendor's", err, out)
	}
	if leaked.Load() {
		t.Fatal("credential followed a redirect to another host")
	}
	if err := c.GetURL(context.Background(), other.URL+"/v1/x", nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("GetURL to another host: err = %v, want ErrMalformed", err)
	}
}

func TestStatusErrors(t *testing.T) {
	huge := `{"data":"` + strings.Repeat("x", 2<<20) + `"}`
	tests := []struct {
		name    string
		status  int
		body    string
		chunked bool
		check   func(t *testing.T, err error)
	}{
		{"401", 401, `{"code":"Unauthorized","message":"bad key"}`, false, func(t *testing.T, err error) {
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("got %v", err)
			}
		}},
		{"403", 403, `{}`, false, func(t *testing.T, err error) {
			var fe *ForbiddenError
			if !errors.As(err, &fe) || fe.Endpoint != "/things" {
				t.Fatalf("got %v", err)
			}
		}},
		{"404", 404, `{"code":"ResourceNotFound"}`, false, func(t *testing.T, err error) {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("got %v", err)
			}
		}},
		{"500 with Lever error body", 500, `{"code":"InternalError","message":"boom"}`, false, func(t *testing.T, err error) {
			var ue *UnexpectedError
			if !errors.As(err, &ue) || ue.Status != 500 || ue.Excerpt != "InternalError: boom" {
				t.Fatalf("got %#v", err)
			}
		}},
		{"418 plain text", 418, "I'm a\nteapot", false, func(t *testing.T, err error) {
			var ue *UnexpectedError
			if !errors.As(err, &ue) || ue.Excerpt != "I'm a teapot" {
				t.Fatalf("got %v", err)
			}
		}},
		{"malformed JSON", 200, `{"data": [`, false, func(t *testing.T, err error) {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v", err)
			}
		}},
		{"empty 200 body", 200, ``, false, func(t *testing.T, err error) {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v", err)
			}
		}},
		{"oversized with Content-Length", 200, huge, false, func(t *testing.T, err error) {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v", err)
			}
		}},
		{"oversized chunked", 200, huge, true, func(t *testing.T, err error) {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !tt.chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(tt.body)))
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, Bearer(secret), Options{})
			var out map[string]any
			err := c.Get(context.Background(), "/things", nil, &out)
			if err == nil {
				t.Fatal("want an error")
			}
			tt.check(t, err)
		})
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		failures     int // answers with status before a 200
		status       int
		maxRetries   int
		wantAttempts int
		wantErr      error
	}{
		{"429 twice then ok", "GET", 2, 429, 0, 3, nil},
		{"429 forever stops after default 3 retries", "GET", 100, 429, 0, 4, ErrRateLimited},
		{"503 forever is unreachable", "GET", 100, 503, 0, 4, ErrUnreachable},
		{"retries disabled", "GET", 100, 429, -1, 1, ErrRateLimited},
		{"one retry allowed", "GET", 100, 429, 1, 2, ErrRateLimited},
		{"POST not resent on 503", "POST", 100, 503, 0, 1, ErrUnreachable},
		{"POST resent on 429", "POST", 1, 429, 0, 2, nil},
		{"500 is not retried", "GET", 100, 500, 0, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if int(n.Add(1)) <= tt.failures {
					w.WriteHeader(tt.status)
					return
				}
				io.WriteString(w, `{}`)
			}))
			defer srv.Close()
			rec := &sleeps{}
			c := newTestClient(t, srv.URL, Bearer(secret), Options{MaxRetries: tt.maxRetries, Sleep: rec.sleep})
			err := c.Do(context.Background(), tt.method, "/x", nil, map[string]string{"a": "b"}, nil)
			if got := int(n.Load()); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			if len(rec.all()) != tt.wantAttempts-1 {
				t.Errorf("waits = %v, want %d", rec.all(), tt.wantAttempts-1)
			}
			switch {
			case tt.status == 500:
				var ue *UnexpectedError
				if !errors.As(err, &ue) {
					t.Errorf("err = %v, want UnexpectedError", err)
				}
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestBackoffFullJitter(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(429)
	}))
	defer srv.Close()
	rec := &sleeps{}
	c := newTestClient(t, srv.URL, Bearer(secret), Options{
		Sleep: rec.sleep, BaseBackoff: 100 * time.Millisecond, MaxBackoff: 250 * time.Millisecond,
	})
	// The top of each jitter range, so the ceiling is observable.
	c.jitter = func(n int64) int64 { return n - 1 }
	err := c.Get(context.Background(), "/x", nil, nil)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	want := []time.Duration{100*time.Millisecond - 1, 200*time.Millisecond - 1, 250*time.Millisecond - 1}
	if got := rec.all(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("waits = %v, want %v", got, want)
	}
	// And the bottom: full jitter may retry at once.
	c.jitter = func(int64) int64 { return 0 }
	rec2 := &sleeps{}
	c.sleep = rec2.sleep
	_ = c.Get(context.Background(), "/x", nil, nil)
	for _, d := range rec2.all() {
		if d != 0 {
			t.Fatalf("waits = %v, want zeros", rec2.all())
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	date := time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		retryAfter string
		timeout    time.Duration
		wantWaits  int
		min, max   time.Duration // bounds on the first wait
		wantErr    bool
		wantRA     time.Duration
	}{
		{"seconds", "2", 0, 1, 2 * time.Second, 2 * time.Second, false, 0},
		{"http date", date, 0, 1, 1 * time.Second, 3 * time.Second, false, 0},
		{"longer than the call budget fails at once", "5", time.Second, 0, 0, 0, true, 5 * time.Second},
		{"longer than MaxRetryWait fails at once", "120", 0, 0, 0, 0, true, 120 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					w.Header().Set("Retry-After", tt.retryAfter)
					w.WriteHeader(429)
					return
				}
				io.WriteString(w, `{}`)
			}))
			defer srv.Close()
			rec := &sleeps{}
			c := newTestClient(t, srv.URL, Bearer(secret), Options{Sleep: rec.sleep, Timeout: tt.timeout})
			err := c.Get(context.Background(), "/x", nil, nil)
			waits := rec.all()
			if len(waits) != tt.wantWaits {
				t.Fatalf("waits = %v", waits)
			}
			if tt.wantWaits > 0 && (waits[0] < tt.min || waits[0] > tt.max) {
				t.Fatalf("wait = %v, want in [%v, %v]", waits[0], tt.min, tt.max)
			}
			if tt.wantErr {
				ra, ok := RetryAfter(err)
				if !errors.Is(err, ErrRateLimited) || !ok || ra != tt.wantRA {
					t.Fatalf("err = %v (retry after %v), want ErrRateLimited after %v", err, ra, tt.wantRA)
				}
				if n.Load() != 1 {
					t.Fatalf("attempts = %d, want 1", n.Load())
				}
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{"999999999", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTimeoutIsUnreachable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL, Bearer(secret), Options{Timeout: 100 * time.Millisecond})
	err := c.Get(context.Background(), "/x", nil, nil)
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnreachable wrapping DeadlineExceeded", err)
	}
}

func TestCallerCancelIsNotUnreachable(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL, Bearer(secret), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	err := c.Get(ctx, "/x", nil, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want context.Canceled only", err)
	}
}

func TestDialErrorIsUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := newTestClient(t, url, Bearer(secret), Options{})
	err := c.Get(context.Background(), "/x", nil, nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), url+"/v1/x") {
		t.Errorf("error repeats the full URL: %v", err)
	}
}

func TestSecretsNeverEscape(t *testing.T) {
	// A hostile or careless vendor echoing the credential back in its error.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprintf(w, `{"message":"bad header %s for key %s; %s"}`, r.Header.Get("Authorization"), secret, strings.Repeat("padding ", 60))
	}))
	defer srv.Close()
	for _, auth := range []Auth{BasicKey(secret), Bearer(secret)} {
		rec := &calls{}
		c := newTestClient(t, srv.URL, auth, Options{OnCall: rec.add})
		err := c.Get(context.Background(), "/x", map[string][]string{"q": {"1"}}, nil)
		var ue *UnexpectedError
		if !errors.As(err, &ue) {
			t.Fatalf("err = %v", err)
		}
		if n := len([]rune(ue.Excerpt)); n > MaxExcerpt {
			t.Errorf("excerpt has %d characters", n)
		}
		if !strings.Contains(ue.Excerpt, scrub.Marker) {
			t.Errorf("excerpt %q shows no redaction", ue.Excerpt)
		}
		all := fmt.Sprintf("%v %+v", err, rec.all())
		for _, form := range scrub.Forms(auth.Secret) {
			if strings.Contains(all, form) {
				t.Fatalf("%s credential leaked: %s", auth.Scheme, all)
			}
		}
		if got := rec.all(); len(got) != 1 || got[0].Path != "/x" || got[0].Status != 500 || got[0].Err == "" {
			t.Errorf("calls = %+v", got)
		}
	}
}

func TestOnCallPerAttempt(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(429)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	rec := &calls{}
	c := newTestClient(t, srv.URL, Bearer(secret), Options{OnCall: rec.add, Sleep: (&sleeps{}).sleep})
	if err := c.Get(context.Background(), "/stages", map[string][]string{"limit": {"1"}}, &map[string]any{}); err != nil {
		t.Fatal(err)
	}
	got := rec.all()
	if len(got) != 2 {
		t.Fatalf("calls = %+v", got)
	}
	if got[0].Status != 429 || got[0].Attempt != 1 || got[0].Err == "" || got[1].Status != 200 || got[1].Attempt != 2 || got[1].Err != "" {
		t.Errorf("calls = %+v", got)
	}
	for _, call := range got {
		if call.Vendor != "test" || call.Method != "GET" || call.Path != "/stages" {
			t.Errorf("call = %+v", call)
		}
	}
}

// The limiter must hold the burst: with 50/s and burst 5, the 15th token
// cannot be granted before 200 ms after the first. Waits are recorded, not
// slept, so the check does not depend on machine load.
func TestLimiterHoldsRate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) }))
	defer srv.Close()
	rec := &sleeps{}
	lim := rate.NewLimiter(50, 5)
	c := newTestClient(t, srv.URL, Bearer(secret), Options{Limiter: lim, Sleep: rec.sleep})
	start := time.Now()
	const n = 15
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Get(context.Background(), "/x", nil, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var latest time.Time
	for _, at := range rec.at {
		if at.After(latest) {
			latest = at
		}
	}
	want := start.Add(time.Duration(n-5) * time.Second / 50)
	if len(rec.at) < n-5 || latest.Before(want.Add(-5*time.Millisecond)) {
		t.Fatalf("%d waits, last ends %v after start; want ≥ %d waits and ≥ %v", len(rec.at), latest.Sub(start), n-5, want.Sub(start))
	}
}

func TestLimiterBudgetFailsFast(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); io.WriteString(w, `{}`) }))
	defer srv.Close()
	lim := rate.NewLimiter(rate.Every(time.Minute), 1)
	c := newTestClient(t, srv.URL, Bearer(secret), Options{Limiter: lim, Timeout: time.Second})
	if err := c.Get(context.Background(), "/x", nil, nil); err != nil {
		t.Fatal(err)
	}
	err := c.Get(context.Background(), "/x", nil, nil)
	var rl *RateLimitError
	if !errors.As(err, &rl) || !rl.Local || rl.RetryAfter <= 0 {
		t.Fatalf("err = %v, want a local rate limit", err)
	}
	if n.Load() != 1 {
		t.Fatalf("server saw %d requests, want 1", n.Load())
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name, url, key string
	}{
		{"empty credential", "https://api.example.com", ""},
		{"newline in credential", "https://api.example.com", "abc\n"},
		{"no scheme", "api.example.com", "k"},
		{"ftp", "ftp://api.example.com", "k"},
		{"user info", "https://user:pw@api.example.com", "k"},
		{"query", "https://api.example.com/?key=1", "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(nil, Config{Vendor: "v", BaseURL: tt.url, Auth: Bearer(tt.key)}, Options{})
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), "pw") {
				t.Fatalf("error echoes URL credentials: %v", err)
			}
		})
	}
	c, err := New(nil, Config{Vendor: "v", BaseURL: "https://api.example.com/v1/", Auth: Bearer("k")}, Options{})
	if err != nil || c.BaseURL() != "https://api.example.com/v1" {
		t.Fatalf("BaseURL = %v, %v", c, err)
	}
}

func TestGetURLNeverDowngrades(t *testing.T) {
	var path, scheme string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.RequestURI()
		if r.TLS != nil {
			scheme = "https"
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c, err := New(srv.Client(), Config{Vendor: "test", BaseURL: srv.URL + "/api", Auth: Bearer(secret)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "https://")
	if err := c.GetURL(context.Background(), "http://"+host+"/api/cases/?limit=3&offset=3", nil); err != nil {
		t.Fatal(err)
	}
	if scheme != "https" || path != "/api/cases/?limit=3&offset=3" {
		t.Fatalf("followed to %s %s", scheme, path)
	}
	for _, bad := range []string{"https://" + host + "/other/x", "https://" + host + "/apix", "::"} {
		if err := c.GetURL(context.Background(), bad, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("GetURL(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}
