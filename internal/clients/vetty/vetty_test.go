package vetty_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/clients/vetty"
)

func setup(t *testing.T, opts standin.Options, key string) (*standin.Servers, *vetty.Client) {
	t.Helper()
	s, err := standin.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := vetty.New(nil, s.VettyURL, key, httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// Spring paging (page, size, last) is inferred for /packages.
func TestInferredPackagesSpanPages(t *testing.T) {
	s, c := setup(t, standin.Options{PageSize: 3}, "vetty-key")
	pk, err := c.Packages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pk) != 8 || s.Vetty.Requests() != 3 {
		t.Fatalf("%d packages in %d requests, want 8 in 3", len(pk), s.Vetty.Requests())
	}
	if pk[0].ID != "1001" || pk[0].Name != "Basic" || pk[1].Name != "Standard" || pk[2].Name != "Professional" {
		t.Fatalf("packages = %+v", pk)
	}
	s.Vetty.RemovePackage("Standard")
	pk, err = c.Packages(context.Background())
	if err != nil || len(pk) != 7 {
		t.Fatalf("after removal: %d, %v", len(pk), err)
	}
}

func TestAccessErrorsExplainIPRange(t *testing.T) {
	tests := []struct {
		key   string
		check func(error) bool
	}{
		{"invalid-key", func(err error) bool { return errors.Is(err, httpx.ErrUnauthorized) }},
		{"forbidden-key", func(err error) bool {
			var fe *httpx.ForbiddenError
			return errors.As(err, &fe) && fe.Endpoint == "/packages"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, c := setup(t, standin.Options{}, tt.key)
			err := c.Verify(context.Background())
			var ae *vetty.AccessError
			if !tt.check(err) || !errors.As(err, &ae) || !strings.Contains(err.Error(), "IP range") {
				t.Fatalf("Verify = %v", err)
			}
			if strings.Contains(err.Error(), tt.key) {
				t.Fatalf("error shows the key: %v", err)
			}
		})
	}
}

// The package list's shape is inferred: these pin what patchbay accepts.
func TestInferredPackageShapes(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantIDs string
		wantErr error
	}{
		{"bare array, string ids", `[{"id":"pkg_basic","name":"Basic"},{"id":"pkg_std","name":"Standard"}]`, "pkg_basic,pkg_std", nil},
		{"page without last", `{"content":[{"id":7,"name":"Basic"}]}`, "7", nil},
		{"neither", `{"items":[]}`, "", httpx.ErrMalformed},
		{"server ignores page=", `{"content":[{"id":7,"name":"Basic"}],"last":false}`, "", httpx.ErrMalformed},
		{"not JSON", `<html>`, "", httpx.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := vetty.New(nil, srv.URL, "k", httpx.Options{})
			if err != nil {
				t.Fatal(err)
			}
			pk, err := c.Packages(context.Background())
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var ids []string
			for _, p := range pk {
				ids = append(ids, p.ID)
			}
			if strings.Join(ids, ",") != tt.wantIDs {
				t.Fatalf("ids = %v", ids)
			}
		})
	}
}

func TestUnavailableRetriedThenSuccess(t *testing.T) {
	s, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var waits []time.Duration
	c, err := vetty.New(nil, s.VettyURL, "vetty-key", httpx.Options{
		Sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Vetty.SetFault(standin.Fault{Kind: standin.FaultUnavailable, RetryAfter: "2", Count: 1})
	if err := c.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Vetty.Requests() != 2 || len(waits) != 1 || waits[0] != 2*time.Second {
		t.Fatalf("requests %d, waits %v", s.Vetty.Requests(), waits)
	}
}
