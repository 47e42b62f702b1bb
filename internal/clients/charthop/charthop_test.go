package charthop_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/clients/charthop"
	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/standin"
)

func setup(t *testing.T, opts standin.Options, token, org string) (*standin.Servers, *charthop.Client) {
	t.Helper()
	s, err := standin.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := charthop.New(nil, s.ChartHopURL, token, org, httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestNewRejectsBadSlugs(t *testing.T) {
	for _, org := range []string{"", "acme/corp", "../admin", "a b", "-acme", strings.Repeat("a", 101)} {
		if _, err := charthop.New(nil, "https://api.charthop.com", "tok", org, httpx.Options{}); err == nil {
			t.Errorf("org %q accepted", org)
		}
	}
	for _, org := range []string{"acme", "acme-corp", "Acme_2", "acme.io"} {
		if !charthop.ValidOrg(org) {
			t.Errorf("org %q refused", org)
		}
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name, token, org string
		check            func(error) bool
	}{
		{"valid", "ch-token", "acme", func(err error) bool { return err == nil }},
		{"invalid token", "invalid-token", "acme", func(err error) bool { return errors.Is(err, httpx.ErrUnauthorized) }},
		{"forbidden token", "forbidden-token", "acme", func(err error) bool {
			var fe *httpx.ForbiddenError
			return errors.As(err, &fe) && fe.Endpoint == "/v1/org/acme/job/data"
		}},
		{"unknown org", "ch-token", "unknown-co", func(err error) bool {
			return errors.Is(err, charthop.ErrUnknownOrg) && errors.Is(err, httpx.ErrNotFound) && strings.Contains(err.Error(), "unknown-co")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := setup(t, standin.Options{}, tt.token, tt.org)
			if err := c.Verify(context.Background()); !tt.check(err) {
				t.Fatalf("Verify = %v", err)
			}
		})
	}
}

// The {data, next} envelope and from= cursor are inferred.
func TestInferredJobsSpanPages(t *testing.T) {
	s, c := setup(t, standin.Options{PageSize: 4}, "ch-token", "acme")
	jobs, err := c.Jobs(context.Background(), []string{"title", "open"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 9 || s.ChartHop.Requests() != 3 {
		t.Fatalf("%d jobs in %d requests, want 9 in 3", len(jobs), s.ChartHop.Requests())
	}
	for _, j := range jobs {
		if j.ID == "" || j.Title() == "" || j.Fields["department"] != nil {
			t.Fatalf("job = %+v (fields beyond those asked for?)", j)
		}
	}
	open, err := c.Jobs(context.Background(), []string{"title"}, "open:open")
	if err != nil || len(open) != 5 {
		t.Fatalf("open jobs = %d, %v", len(open), err)
	}
}

func TestFaults(t *testing.T) {
	s, c := setup(t, standin.Options{}, "ch-token", "acme")
	s.ChartHop.SetFault(standin.Fault{Kind: standin.FaultMalformed})
	if err := c.Verify(context.Background()); !errors.Is(err, httpx.ErrMalformed) {
		t.Fatalf("Verify = %v", err)
	}
	s.ChartHop.SetFault(standin.Fault{Kind: standin.FaultServerError})
	var ue *httpx.UnexpectedError
	if err := c.Verify(context.Background()); !errors.As(err, &ue) || ue.Status != 500 {
		t.Fatalf("Verify = %v", err)
	}
}
