package certn_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/patchbay/patchbay/internal/clients/certn"
	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/standin"
)

func setup(t *testing.T, opts standin.Options, key string) (*standin.Servers, *certn.Client) {
	t.Helper()
	s, err := standin.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := certn.New(nil, s.CertnURL, key, httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		env, want string
		wantErr   bool
	}{
		{"sandbox", "https://api.sandbox.certn.co", false},
		{"staging", "", true},
	}
	for _, tt := range tests {
		t.Setenv(certn.EnvURL, "http://127.0.0.1:1/certn") // read by cmd/patchbay, never here
		got, err := certn.BaseURL(tt.env)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("BaseURL(%q) = %q, %v", tt.env, got, err)
		}
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		check func(error) bool
	}{
		{"valid", "certn-key", func(err error) bool { return err == nil }},
		{"invalid", "invalid-key", func(err error) bool { return errors.Is(err, httpx.ErrUnauthorized) }},
		{"forbidden", "forbidden-key", func(err error) bool {
			var fe *httpx.ForbiddenError
			return errors.As(err, &fe) && fe.Endpoint == "/api/public/cases/"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := setup(t, standin.Options{}, tt.key)
			if err := c.Verify(context.Background()); !tt.check(err) {
				t.Fatalf("Verify = %v", err)
			}
		})
	}
}

// Django REST Framework next links are inferred for the case list.
func TestInferredCasesFollowNextLinks(t *testing.T) {
	s, c := setup(t, standin.Options{PageSize: 3}, "certn-key")
	cases, err := c.Cases(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 7 || s.Certn.Requests() != 3 {
		t.Fatalf("%d cases in %d requests, want 7 in 3", len(cases), s.Certn.Requests())
	}
	seen := map[string]bool{}
	for _, cs := range cases {
		if cs.ID == "" || cs.Status == "" || seen[cs.ID] {
			t.Fatalf("bad or repeated case %+v", cs)
		}
		seen[cs.ID] = true
	}
	s.Certn.ResetRequests()
	some, err := c.Cases(context.Background(), 4)
	if err != nil || len(some) != 4 || s.Certn.Requests() != 2 {
		t.Fatalf("Cases(4) = %d cases in %d requests, %v", len(some), s.Certn.Requests(), err)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		kind    standin.FaultKind
		wantErr error
	}{
		{standin.FaultMalformed, httpx.ErrMalformed},
		{standin.FaultOversized, httpx.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			s, c := setup(t, standin.Options{}, "certn-key")
			s.Certn.SetFault(standin.Fault{Kind: tt.kind})
			if err := c.Verify(context.Background()); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// Centric publishes no limit: 4/s follows Certn's older v1 API (inferred).
func TestInferredCertnRateLimit(t *testing.T) {
	_, c := setup(t, standin.Options{}, "certn-key")
	if l := c.API().Limiter(); l.Limit() != 4 || l.Burst() != 4 {
		t.Fatalf("limiter = %v/s burst %d", l.Limit(), l.Burst())
	}
}

// The cases envelope is inferred; a different shape must not fail the key check.
func TestVerifyIgnoresShape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Api-Key certn-key" || r.URL.Path != "/api/public/cases/" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `[{"uuid":"x"}]`)
	}))
	defer srv.Close()
	c, err := certn.New(nil, srv.URL, "certn-key", httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cases(context.Background(), 0); !errors.Is(err, httpx.ErrMalformed) {
		t.Fatalf("Cases on an unknown shape = %v, want ErrMalformed", err)
	}
}
