package certn_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/patchbay/patchbay/internal/clients/certn"
	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
	"github.com/patchbay/patchbay/internal/clients/standin"
)

type dnsFailure struct{}

func (dnsFailure) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: true}
}

// Centric's docs name only the sandbox host; production is a guess that
// is named when it does not resolve, and the sandbox is not.
func TestInferredCertnProductionHost(t *testing.T) {
	t.Setenv(certn.EnvURL, "")
	prod, err := certn.BaseURL("production")
	if err != nil || prod != "https://api.certn.co" {
		t.Fatalf("production = %q, %v", prod, err)
	}
	var ie *inferred.Error
	c, _ := certn.New(&http.Client{Transport: dnsFailure{}}, prod, "certn-key", httpx.Options{MaxRetries: -1})
	if err := c.Verify(context.Background()); !errors.As(err, &ie) || ie.Guesses[0].ID != "certn.production_host" {
		t.Fatalf("production Verify = %v", err)
	}
	sandbox, _ := certn.BaseURL("sandbox")
	c, _ = certn.New(&http.Client{Transport: dnsFailure{}}, sandbox, "certn-key", httpx.Options{MaxRetries: -1})
	if err := c.Verify(context.Background()); errors.As(err, &ie) || !errors.Is(err, httpx.ErrUnreachable) {
		t.Fatalf("sandbox Verify = %v", err)
	}
}

func TestInferredCasesPageIsNamedWhenItDiffers(t *testing.T) {
	s, c := setup(t, standin.Options{}, "certn-key")
	s.Certn.SetFault(standin.Fault{Kind: standin.FaultMalformed})
	_, err := c.Cases(context.Background(), 0)
	var ie *inferred.Error
	if !errors.As(err, &ie) || ie.Guesses[0].ID != "certn.cases_page" {
		t.Fatalf("Cases = %v", err)
	}
}
