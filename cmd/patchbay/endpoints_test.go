package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// PATCHBAY_<VENDOR>_URL must be https, or http to this machine only; any
// other value stops every command before it connects anywhere.
func TestEndpointOverrideRule(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://api.lever.example/v1", true},
		{"http://127.0.0.1:9/lever/v1", true},
		{"http://127.200.3.4:9/v1", true},
		{"http://[::1]:9/v1", true},
		{"http://localhost:9/v1", true},
		{"http://LOCALHOST/v1", true},
		{"http://any-host/v1", false},
		{"http://10.0.0.1/v1", false},
		{"http://localhost.evil.example/v1", false},
		{"http://127.0.0.1.nip.io/v1", false},
		{"http://[::ffff:8.8.8.8]/v1", false},
		{"ftp://127.0.0.1/v1", false},
		{"127.0.0.1:9", false},
		{"https://user:pw@api.lever.example/v1", false},
	} {
		c := newCLI(t)
		c.withVault()
		c.env["PATCHBAY_LEVER_URL"] = tc.url
		r := c.run("lever-key-0123456789\n", "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
		if tc.ok {
			if r.code == exitUsage {
				t.Errorf("%s refused: %s", tc.url, r.err)
			}
			continue
		}
		if r.code != exitUsage || !strings.Contains(r.err, "https is required") || !strings.Contains(r.err, "PATCHBAY_LEVER_URL") {
			t.Errorf("%s: exit %d, stderr %q; want 2 saying https is required", tc.url, r.code, r.err)
		}
		if strings.Contains(r.out, "done") {
			t.Errorf("%s: the step ran:\n%s", tc.url, r.out)
		}
	}
}

// While an override is in effect every command says so once on stderr,
// status --json lists it, and a proof obtained through it names it.
func TestEndpointOverrideIsDisclosed(t *testing.T) {
	c := newCLI(t)
	c.withVault()
	srv := c.withStandins()
	r := c.must("lever-key-0123456789\n", "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	if !strings.Contains(r.out, "answered by "+srv.LeverURL+", an endpoint override") {
		t.Errorf("the proof does not name the override:\n%s", r.out)
	}
	for _, args := range [][]string{{"status"}, {"history"}, {"run", "certn-lever/certn-credentials", "--set", "confirmed=true"}} {
		r := c.run("", args...)
		if n := strings.Count(r.err, srv.LeverURL+" answers for lever (PATCHBAY_LEVER_URL is set)"); n != 1 {
			t.Errorf("%v: the Lever override is said %d times on stderr:\n%s", args, n, r.err)
		}
	}
	h, _ := c.history()
	found := false
	for _, e := range h.Events {
		if e.Detail["endpoint"] == srv.LeverURL {
			found = true
		}
	}
	if !found {
		t.Errorf("no event records the endpoint the proof came from: %+v", h.Events)
	}
	var st struct {
		Overrides []struct{ Vendor, Variable, URL string } `json:"endpoint_overrides"`
	}
	if err := json.Unmarshal([]byte(c.run("", "status", "--json").out), &st); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"lever": srv.LeverURL, "certn": srv.CertnURL, "vetty": srv.VettyURL, "charthop": srv.ChartHopURL}
	if len(st.Overrides) != len(want) {
		t.Fatalf("status --json lists %+v", st.Overrides)
	}
	for _, o := range st.Overrides {
		if want[o.Vendor] != o.URL || !strings.HasPrefix(o.Variable, "PATCHBAY_") {
			t.Errorf("override listed as %+v", o)
		}
	}
}

// A refused override is refused before any connection: 0.0.0.0 reaches this
// machine's listeners on Linux but is not loopback by the rule, and the
// stand-in behind it hears nothing.
func TestRefusedOverrideConnectsNowhere(t *testing.T) {
	c := newCLI(t)
	c.withVault()
	srv := c.withStandins()
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.LeverURL, "http://"), ":")
	c.env["PATCHBAY_LEVER_URL"] = "http://0.0.0.0:" + port
	r := c.run("lever-key-0123456789\n", "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	if r.code != exitUsage || !strings.Contains(r.err, "https is required") {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	if n := srv.Requests()["lever"]; n != 0 {
		t.Errorf("the stand-in behind the refused override got %d request(s)", n)
	}
}
