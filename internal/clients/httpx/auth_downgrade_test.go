package httpx

import (
	"net/http"
	"testing"
)

type recordingTransport struct{ got []*http.Request }

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = append(r.got, req)
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

// The credential goes only to the vendor's own scheme and host: never to
// another host, and never in clear text after a redirect from https to http.
func TestCredentialOnlyToTheVendorOverItsScheme(t *testing.T) {
	rec := &recordingTransport{}
	rt := BasicKey("k-secret").RoundTripper(rec, "https", "api.vendor.test")
	for _, tc := range []struct {
		url      string
		wantAuth bool
	}{
		{"https://api.vendor.test/v1/stages", true},
		{"http://api.vendor.test/v1/stages", false},
		{"https://elsewhere.test/v1/stages", false},
	} {
		req, err := http.NewRequest(http.MethodGet, tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		sent := rec.got[len(rec.got)-1]
		if has := sent.Header.Get("Authorization") != ""; has != tc.wantAuth {
			t.Errorf("%s: Authorization sent = %v, want %v", tc.url, has, tc.wantAuth)
		}
	}
}
