package vetty_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/inferred"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/clients/vetty"
)

// The address docs/vendor-apis.md gives (an inference from third-party
// code): a change to the client's default must be a change to that file.
func TestInferredVettyBaseURL(t *testing.T) {
	if vetty.DefaultBaseURL != "https://api.vetty.co/cfapi/v1" {
		t.Fatalf("DefaultBaseURL = %q, not the address in vendor-apis.md", vetty.DefaultBaseURL)
	}
}

// Vetty documents Bearer auth with the key.
func TestKeyIsSentAsBearer(t *testing.T) {
	s, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r.Header.Get("Authorization")
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, _ := vetty.New(hc, s.VettyURL, "vetty-key", httpx.Options{})
	if err := c.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got != "Bearer vetty-key" {
		t.Fatalf("Authorization = %q", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The stand-in's 404 mode on /packages: the listing is a guess, so the
// error names it and the override instead of "not found, retry".
func TestInferredPackagesPathIsNamedOn404(t *testing.T) {
	s, c := setup(t, standin.Options{}, "vetty-key")
	s.Vetty.SetFault(standin.Fault{Kind: standin.FaultNotFound, Path: "/packages"})
	_, err := c.Packages(context.Background())
	var ie *inferred.Error
	if !errors.As(err, &ie) || !errors.Is(err, httpx.ErrNotFound) {
		t.Fatalf("Packages = %v", err)
	}
	// The stand-in's address is an override, not the guessed one: only the
	// path is named.
	if len(ie.Guesses) != 1 || ie.Guesses[0].ID != "vetty.packages" || !strings.Contains(err.Error(), "PATCHBAY_VETTY_URL") {
		t.Fatalf("guesses %+v in %v", ie.Guesses, err)
	}
}

type dnsFailure struct{}

func (dnsFailure) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: true}
}

func TestInferredBaseURLIsNamedWhenItDoesNotResolve(t *testing.T) {
	c, err := vetty.New(&http.Client{Transport: dnsFailure{}}, vetty.DefaultBaseURL, "vetty-key", httpx.Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Verify(context.Background())
	var ie *inferred.Error
	if !errors.As(err, &ie) || ie.Guesses[0].ID != "vetty.base_url" {
		t.Fatalf("Verify = %v", err)
	}
}

func TestInferredPackageShapeIsNamedWhenItDiffers(t *testing.T) {
	s, c := setup(t, standin.Options{}, "vetty-key")
	s.Vetty.SetFault(standin.Fault{Kind: standin.FaultMalformed})
	_, err := c.Packages(context.Background())
	var ie *inferred.Error
	if !errors.As(err, &ie) || ie.Guesses[0].ID != "vetty.packages_shape" {
		t.Fatalf("Packages = %v", err)
	}
}

// Vetty binds each key to an IP range: a 401 or a 403 may be that, and
// both say so while keeping their kind.
func TestUnauthorizedAndForbiddenBothCarryTheIPRangeHint(t *testing.T) {
	for _, key := range []string{"invalid-vetty-key", "forbidden-vetty-key"} {
		_, c := setup(t, standin.Options{}, key)
		err := c.Verify(context.Background())
		var ae *vetty.AccessError
		var fe *httpx.ForbiddenError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), vetty.IPRangeHint) {
			t.Errorf("%s: %v", key, err)
		}
		if strings.HasPrefix(key, "invalid") != errors.Is(err, httpx.ErrUnauthorized) || strings.HasPrefix(key, "forbidden") != errors.As(err, &fe) {
			t.Errorf("%s: kind lost in %v", key, err)
		}
	}
}

// An empty page ends the listing even when it does not say last.
func TestInferredEmptyPageEndsPackages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "0" {
			io.WriteString(w, `{"content":[{"id":1,"name":"Basic"}],"last":false}`)
			return
		}
		io.WriteString(w, `{"content":[],"last":false}`)
	}))
	defer srv.Close()
	c, _ := vetty.New(nil, srv.URL, "vetty-key", httpx.Options{})
	pk, err := c.Packages(context.Background())
	if err != nil || len(pk) != 1 {
		t.Fatalf("Packages = %v, %v", pk, err)
	}
}
