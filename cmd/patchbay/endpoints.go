package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/certn"
	"github.com/patchbay/patchbay/internal/clients/charthop"
	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/clients/vetty"
)

// EndpointOverride is one PATCHBAY_<VENDOR>_URL in effect.
type EndpointOverride = app.EndpointOverride

// overrideVariables are the endpoint overrides patchbay reads, in the order
// it reports them.
var overrideVariables = []struct{ vendor, env string }{
	{"lever", lever.EnvURL},
	{"certn", certn.EnvURL},
	{"vetty", vetty.EnvURL},
	{"charthop", charthop.EnvURL},
}

// readOverrides reads the PATCHBAY_<VENDOR>_URL variables, the only place
// patchbay does. Each must be https://, or http:// to this machine only:
// the key goes out with every call, and over plain http to another host
// anyone on the way could read it.
func readOverrides(getenv func(string) string) ([]EndpointOverride, error) {
	var out []EndpointOverride
	for _, v := range overrideVariables {
		raw := strings.TrimSpace(getenv(v.env))
		if raw == "" {
			continue
		}
		if err := checkOverride(raw); err != nil {
			return nil, usageError("%s=%q: %v", v.env, raw, err)
		}
		out = append(out, EndpointOverride{Vendor: v.vendor, Variable: v.env, URL: raw})
	}
	return out, nil
}

func checkOverride(raw string) error {
	u, err := httpx.ParseBaseURL(raw)
	if err != nil {
		return fmt.Errorf("https is required: %w", err)
	}
	if u.Scheme == "https" || loopbackHost(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("https is required (plain http only to this machine: 127.0.0.1, ::1 or localhost), or the key would cross the network readable")
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Overrides are the endpoint overrides in effect, read and checked once.
func (f *Factory) Overrides() ([]EndpointOverride, error) {
	if !f.overridesRead {
		ov, err := readOverrides(f.getenv)
		if err != nil {
			return nil, err
		}
		f.overrides, f.overridesRead = ov, true
	}
	return f.overrides, nil
}

// announceOverrides checks the overrides before any command runs (a bad one
// exits 2 before any connection) and says once which are in effect.
func (f *Factory) announceOverrides() error {
	ov, err := f.Overrides()
	if err != nil {
		return err
	}
	for _, o := range ov {
		fmt.Fprintf(f.IO.ErrOut, "patchbay: %s answers for %s (%s is set); proofs from it say so\n", o.URL, o.Vendor, o.Variable)
	}
	return nil
}

// vendorURLs hands the checked overrides to the clients as plain values.
func (f *Factory) vendorURLs() (*app.URLs, error) {
	ov, err := f.Overrides()
	if err != nil {
		return nil, err
	}
	urls := &app.URLs{}
	for _, o := range ov {
		switch o.Vendor {
		case "lever":
			urls.Lever = o.URL
		case "certn":
			urls.Certn = o.URL
		case "vetty":
			urls.Vetty = o.URL
		case "charthop":
			urls.ChartHop = o.URL
		}
	}
	return urls, nil
}
