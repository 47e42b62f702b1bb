package main

import (
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/store/secrets/secretstest"
)

// A failed check the admin stops at fails the command in accessible mode as
// it does scripted (exit 1), and nothing is recorded either way.
func TestAccessibleStopAfterFailedCheckExitsLikeScripted(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	c.withStandins()
	const refused = "lever-invalid-0123456789" // the stand-in refuses it (401)

	scripted := c.run(refused, "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	if scripted.code != exitError {
		t.Fatalf("scripted: exit %d, want %d\n%s%s", scripted.code, exitError, scripted.out, scripted.err)
	}
	r := c.runTTY(strings.Join([]string{
		"1",     // region: US
		refused, // the key
		"3",     // stop here (retry, edit, stop)
	}, "\n")+"\n", "--accessible", "run", "certn-lever/lever-key")
	if r.code != scripted.code {
		t.Fatalf("accessible: exit %d, want %d as scripted\n%s%s", r.code, scripted.code, r.out, r.err)
	}
	for _, want := range []string{"The check failed. Nothing was saved.", "Stop here (nothing is saved)"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	if !strings.Contains(r.err, "certn-lever/lever-key was not recorded: the live check failed") {
		t.Errorf("stderr = %q\n%s", r.err, r.out)
	}
	if strings.Contains(r.out+r.err, refused) {
		t.Error("the refused key was echoed")
	}
	st := c.run("", "status", "--json")
	if !strings.Contains(st.out, `"id": "lever-key"`) || strings.Contains(st.out, `"proof": "verified"`) {
		t.Errorf("status after the stop:\n%s", st.out)
	}
}
