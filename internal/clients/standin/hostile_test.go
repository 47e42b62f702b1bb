package standin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/clients/vetty"
	"github.com/patchbay/patchbay/internal/scrub"
)

// hostileKey holds every character some encoding changes.
const hostileKey = `lever+key/with=odd%2F"chars\0123`

func hostile(t *testing.T) *standin.Servers {
	t.Helper()
	s, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func leverClient(t *testing.T, s *standin.Servers, key string, opts httpx.Options) *lever.Client {
	t.Helper()
	c, err := lever.New(nil, s.LeverURL, key, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func vettyClient(t *testing.T, s *standin.Servers, opts httpx.Options) *vetty.Client {
	t.Helper()
	c, err := vetty.New(nil, s.VettyURL, "vetty-key-0123456789", opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every call that can prove something fails on a redirect off the vendor's
// origin or on a 200 of the wrong shape: no stage list, no probe allowed,
// no packages.
func TestNoProofFromRedirectOrWrongShape(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []standin.FaultKind{standin.FaultRedirect, standin.FaultWrongShape} {
		s := hostile(t)
		s.Lever.SetFault(standin.Fault{Kind: kind})
		s.Vetty.SetFault(standin.Fault{Kind: kind})
		lc := leverClient(t, s, "lever-key-0123456789", httpx.Options{})
		check := func(what string, err error) {
			t.Helper()
			var re *httpx.RedirectError
			switch {
			case kind == standin.FaultRedirect && !errors.As(err, &re):
				t.Errorf("%s %s: err = %v, want a *RedirectError", kind, what, err)
			case kind == standin.FaultRedirect && !strings.Contains(err.Error(), re.Target):
				t.Errorf("%s %s: %v does not name the target", kind, what, err)
			case kind == standin.FaultWrongShape && !errors.Is(err, httpx.ErrMalformed):
				t.Errorf("%s %s: err = %v, want malformed", kind, what, err)
			}
		}
		check("Verify", lc.Verify(ctx))
		stages, err := lc.Stages(ctx)
		check("Stages", err)
		tags, err := lc.Tags(ctx)
		check("Tags", err)
		if stages != nil || tags != nil {
			t.Errorf("%s: results %v %v", kind, stages, tags)
		}
		for _, r := range lc.Probe(ctx, []string{"/stages", "/tags", "/opportunities"}) {
			if r.Allowed {
				t.Errorf("%s: probe of %s allowed", kind, r.Endpoint)
			}
			check("Probe "+r.Endpoint, r.Err)
		}
		pkgs, err := vettyClient(t, s, httpx.Options{}).Packages(ctx)
		check("Packages", err)
		if pkgs != nil {
			t.Errorf("%s: packages %v", kind, pkgs)
		}
	}
}

// A vendor that always has another page: the page bound stops it at once,
// the time bound stops it when pages are slow, the caller's context
// stops it in any case; none of them yields a list.
func TestEndlessPagesAreBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := hostile(t)
	s.Lever.SetFault(standin.Fault{Kind: standin.FaultEndlessPages})
	s.Vetty.SetFault(standin.Fault{Kind: standin.FaultEndlessPages})

	before := s.Lever.Requests()
	_, err := leverClient(t, s, "lever-key-0123456789", httpx.Options{MaxPages: 7}).Stages(ctx)
	if !errors.Is(err, httpx.ErrMalformed) || !strings.Contains(err.Error(), "7 pages") {
		t.Errorf("page bound: err = %v", err)
	}
	if n := s.Lever.Requests() - before; n != 7 {
		t.Errorf("page bound: %d requests, want 7", n)
	}

	s.SetLatency(40 * time.Millisecond)
	for name, list := range map[string]func(context.Context, httpx.Options) error{
		"lever": func(ctx context.Context, o httpx.Options) error {
			_, err := leverClient(t, s, "lever-key-0123456789", o).Tags(ctx)
			return err
		},
		"vetty": func(ctx context.Context, o httpx.Options) error {
			_, err := vettyClient(t, s, o).Packages(ctx)
			return err
		},
	} {
		start := time.Now()
		err := list(ctx, httpx.Options{ListTimeout: 500 * time.Millisecond, MaxPages: 1 << 20})
		took := time.Since(start)
		if !errors.Is(err, httpx.ErrUnreachable) || !strings.Contains(err.Error(), "did not end within 500ms") {
			t.Errorf("%s time bound: err = %v", name, err)
		}
		if took > 2*time.Second {
			t.Errorf("%s time bound: took %s for a 500ms bound", name, took)
		}

		cctx, ccancel := context.WithTimeout(ctx, 300*time.Millisecond)
		start = time.Now()
		err = list(cctx, httpx.Options{MaxPages: 1 << 20})
		ccancel()
		if err == nil || time.Since(start) > 2*time.Second {
			t.Errorf("%s caller's bound: err = %v after %s", name, err, time.Since(start))
		}
	}
	// The default bound holds too (the limiter lifted to keep the test short).
	s.SetLatency(0)
	before = s.Lever.Requests()
	if _, err := leverClient(t, s, "lever-key-0123456789", httpx.Options{Limiter: rate.NewLimiter(rate.Inf, 1)}).Stages(ctx); !errors.Is(err, httpx.ErrMalformed) {
		t.Errorf("default bounds: err = %v", err)
	}
	if n := s.Lever.Requests() - before; n != httpx.DefaultMaxPages {
		t.Errorf("default bounds: %d requests", n)
	}
}

// A 500 that echoes the key in every encoding leaves no form of it in the
// error, the excerpt or the call log.
func TestEchoedKeyIsScrubbed(t *testing.T) {
	s := hostile(t)
	s.Lever.SetFault(standin.Fault{Kind: standin.FaultEchoKey})
	var calls []httpx.Call
	err := leverClient(t, s, hostileKey, httpx.Options{OnCall: func(c httpx.Call) { calls = append(calls, c) }}).Verify(context.Background())
	var ue *httpx.UnexpectedError
	if !errors.As(err, &ue) || ue.Status != 500 {
		t.Fatalf("err = %v", err)
	}
	text := err.Error() + ue.Excerpt
	for _, c := range calls {
		text += c.Path + c.Err
	}
	for _, form := range scrub.Forms(hostileKey) {
		if strings.Contains(text, form) {
			t.Errorf("the key's form %q survives: %s", form, text)
		}
	}
	if strings.Count(ue.Excerpt, "[redacted]") < 7 {
		t.Errorf("excerpt %q: want every echo redacted", ue.Excerpt)
	}
}

// Items without what makes them one (a stage's id and text, a tag's text, a
// package's name) are the wrong shape too: no proof rests on them.
func TestItemsWithoutTheirShapeAreMalformed(t *testing.T) {
	body := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	defer srv.Close()
	ctx := context.Background()
	lc, err := lever.New(nil, srv.URL+"/v1", "lever-key-0123456789", httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vc, err := vetty.New(nil, srv.URL+"/v1", "vetty-key-0123456789", httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		call       func() error
	}{
		{"stage without text", `{"data":[{"id":"s1"}]}`, func() error { _, err := lc.Stages(ctx); return err }},
		{"stage without id", `{"data":[{"text":"Offer"}]}`, func() error { _, err := lc.Stages(ctx); return err }},
		{"tag without text", `{"data":[{"count":3}]}`, func() error { _, err := lc.Tags(ctx); return err }},
		{"package list without names", `[{"id":1}]`, func() error { _, err := vc.Packages(ctx); return err }},
		{"package page without names", `{"content":[{"id":1}],"last":true}`, func() error { _, err := vc.Packages(ctx); return err }},
	} {
		body = tc.body
		if err := tc.call(); !errors.Is(err, httpx.ErrMalformed) {
			t.Errorf("%s: err = %v, want malformed", tc.name, err)
		}
	}
	body = `{"data":[{"id":"s1","text":"Offer"}]}`
	if st, err := lc.Stages(ctx); err != nil || len(st) != 1 {
		t.Errorf("a well-formed stage list: %v %v", st, err)
	}
}
