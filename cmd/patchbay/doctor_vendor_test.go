package main

import (
	"context"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/clients/inferred"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store/secrets/secretstest"
)

// Lever's US and EU are separate deployments: doctor dials the host of
// each region a recorded key belongs to.
func TestDoctorDialsEachLeverRegionInUse(t *testing.T) {
	var none []EndpointOverride
	names := func(eps []vendorEndpoint) string {
		var out []string
		for _, e := range eps {
			out = append(out, e.Name+"="+e.URL)
		}
		return strings.Join(out, " ")
	}
	got := vendorEndpoints(none, []string{"eu", "us"})
	if !strings.Contains(names(got), "LEVER-EU=https://api.eu.lever.co/v1") || !strings.Contains(names(got), "LEVER=https://api.lever.co/v1") {
		t.Fatalf("endpoints %s", names(got))
	}
	if got[0].Guess == nil || got[0].Guess.ID != "lever.eu_host" || got[1].Guess != nil {
		t.Fatalf("the EU address must carry its guess, the US one none: %+v", got[:2])
	}
	if got := vendorEndpoints(none, nil); !strings.HasPrefix(names(got), "LEVER=https://api.lever.co/v1 CERTN=") {
		t.Fatalf("no region recorded: %s", names(got))
	}
	override := []EndpointOverride{{Vendor: "lever", Variable: "PATCHBAY_LEVER_URL", URL: "https://lever.example.test/v1"}}
	if got := vendorEndpoints(override, []string{"eu", "us"}); !strings.HasPrefix(names(got), "LEVER=https://lever.example.test/v1 CERTN=") || got[0].Guess != nil {
		t.Fatalf("one override serves every region: %s", names(got))
	}
}

// A guessed host that does not resolve is named, with its override.
func TestDoctorNamesAnInferredHostThatDoesNotResolve(t *testing.T) {
	fd := dialVendor(context.Background(), vendorEndpoint{"LEVER-EU", standin.UnresolvableLeverEU, &inferred.LeverEUHost})
	if fd.level != levelWarn || !strings.Contains(fd.detail, "is inferred, not documented by Lever") || !strings.Contains(fd.fix, "PATCHBAY_LEVER_URL") {
		t.Fatalf("finding %+v", fd)
	}
	fd = dialVendor(context.Background(), vendorEndpoint{"LEVER", standin.UnresolvableLeverEU, nil})
	if strings.Contains(fd.detail, "inferred") {
		t.Fatalf("an address that is no guess was called one: %+v", fd)
	}
}

func TestDoctorReadsTheRegionsOfTheRecordedKeys(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	c.withStandins()
	if r := c.run("lever-key-eu-0123456789", "run", "certn-lever/lever-key", "--set", "region=eu", "--set", "api_key=@-"); r.code != 0 {
		t.Fatalf("lever-key: exit %d\n%s%s", r.code, r.out, r.err)
	}
	delete(c.env, "PATCHBAY_LEVER_URL")
	r := c.run("", "doctor")
	if !strings.Contains(r.out, "LEVER-EU") || !strings.Contains(r.out, "api.eu.lever.co") {
		t.Fatalf("doctor did not dial the EU host:\n%s", r.out)
	}
}
