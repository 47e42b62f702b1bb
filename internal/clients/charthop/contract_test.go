package charthop_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/patchbay/patchbay/internal/clients/charthop"
	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
)

// The Bearer header is seen only in third-party code (inferred).
func TestInferredChartHopBearerAuth(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		io.WriteString(w, `{"data":[]}`)
	}))
	defer srv.Close()
	c, err := charthop.New(nil, srv.URL, "ch-token", "acme", httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got != "Bearer ch-token" {
		t.Fatalf("Authorization = %q", got)
	}
}

// The {data, next} page is inferred: another shape names the guess.
func TestInferredJobPageIsNamedWhenItDiffers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"items":[]}`)
	}))
	defer srv.Close()
	c, _ := charthop.New(nil, srv.URL, "ch-token", "acme", httpx.Options{})
	_, err := c.Jobs(context.Background(), []string{"title"}, "")
	var ie *inferred.Error
	if !errors.As(err, &ie) || ie.Guesses[0].ID != "charthop.job_page" || !errors.Is(err, httpx.ErrMalformed) {
		t.Fatalf("Jobs = %v", err)
	}
}
