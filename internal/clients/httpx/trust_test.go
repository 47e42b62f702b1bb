package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/scrub"
)

// Every way a redirect can leave the origin: another port, another scheme,
// another host. The call fails with the target named, whatever that origin
// answers; a redirect within the origin is still followed.
func TestRedirectToAnotherOriginIsRefused(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[]}`)
	}))
	defer other.Close()
	otherURL, _ := url.Parse(other.URL)
	var home *httptest.Server
	home = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/port":
			http.Redirect(w, r, other.URL+"/v1/x?key=abc", http.StatusFound)
		case "/v1/scheme":
			http.Redirect(w, r, "https://"+strings.TrimPrefix(home.URL, "http://")+"/v1/ok", http.StatusMovedPermanently)
		case "/v1/host":
			http.Redirect(w, r, "http://localhost:"+otherURL.Port()+"/v1/x", http.StatusTemporaryRedirect)
		case "/v1/same":
			http.Redirect(w, r, "/v1/ok", http.StatusFound)
		case "/v1/ok":
			io.WriteString(w, `{"data":[]}`)
		}
	}))
	defer home.Close()
	c := newTestClient(t, home.URL, BasicKey(secret), Options{})
	for path, target := range map[string]string{
		"/port":   other.URL + "/v1/x",
		"/scheme": "https://" + strings.TrimPrefix(home.URL, "http://") + "/v1/ok",
		"/host":   "http://localhost:" + otherURL.Port() + "/v1/x",
	} {
		var out map[string]any
		err := c.Get(context.Background(), path, nil, &out)
		var re *RedirectError
		if !errors.As(err, &re) || re.Target != target {
			t.Errorf("%s: err = %v, want a redirect to %s", path, err, target)
		}
		if out != nil {
			t.Errorf("%s: decoded %v from another origin", path, out)
		}
	}
	var out map[string]any
	if err := c.Get(context.Background(), "/same", nil, &out); err != nil {
		t.Errorf("redirect within the origin: %v", err)
	}
}

type listShape struct {
	Data []json.RawMessage `json:"data"`
}

func (l *listShape) CheckShape() error {
	if l.Data == nil {
		return errors.New("no data list")
	}
	return nil
}

func TestWrongShapedSuccessIsMalformed(t *testing.T) {
	body := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	defer srv.Close()
	c := newTestClient(t, srv.URL, Bearer(secret), Options{})
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"data":[]}`, true},
		{`{"data":[{"id":"1"}]}`, true},
		{`{}`, false},
		{`{"data":null}`, false},
		{`{"items":[1]}`, false},
		{`[]`, false},
		{`"ok"`, false},
	} {
		body = tc.body
		err := c.Get(context.Background(), "/x", nil, &listShape{})
		if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, ErrMalformed)) {
			t.Errorf("%s: err = %v", tc.body, err)
		}
	}
}

// hostileKey holds every character that changes under some encoding.
const hostileKey = `k+y/Ab=c%2B"q\z~ é`

// A vendor's 500 echoing the key in each encoding: nothing of it reaches the
// error, the excerpt or the call log.
func TestEchoedKeyScrubbedFromErrorsAndCalls(t *testing.T) {
	for i, form := range scrub.Forms(hostileKey) {
		name := fmt.Sprint("form ", i)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"message":"bad key %s"}`, strings.ReplaceAll(strings.ReplaceAll(form, `\`, `\\`), `"`, `\"`))
		}))
		rec := &calls{}
		c := newTestClient(t, srv.URL, BasicKey(hostileKey), Options{OnCall: rec.add})
		err := c.Get(context.Background(), "/x", nil, nil)
		srv.Close()
		var ue *UnexpectedError
		if !errors.As(err, &ue) {
			t.Fatalf("%s: err = %v", name, err)
		}
		all := fmt.Sprintf("%v|%s|%+v", err, ue.Excerpt, rec.all())
		if strings.Contains(all, form) || !strings.Contains(ue.Excerpt, scrub.Marker) {
			t.Errorf("%s: key %q leaked or not redacted: %s", name, form, all)
		}
	}
}
