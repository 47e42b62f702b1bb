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

// A step completed unverified (its vendor unreachable) is verified from the
// accessible home once the vendor answers: "Verify now" runs the live
// checks, as r does in the full-screen view, and the proof turns verified.
func TestAccessibleVerifyNowVerifiesAnUnverifiedStep(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	c.env["PATCHBAY_LEVER_URL"] = "http://127.0.0.1:1/v1" // nothing listens there
	const key = "lever-key-offline-0123456"
	r := c.run(key, "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	if r.code != 0 || !strings.Contains(r.out, "done, unverified") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.err)
	}
	c.withStandins() // Lever answers now

	r = c.runTTY(strings.Join([]string{
		"2", // certn-lever
		"1", // verify now
		"4", // back at home: quit
	}, "\n")+"\n", "--accessible")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{
		"Generate the Lever API key for Certn is unverified. Choose \"Verify now\" in its menu",
		"1. Verify now: run the live checks to verify Generate the Lever API key for Certn",
		"checking with the vendors…",
		"Check api_key: valid.",
		"Generate the Lever API key for Certn is now verified.",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, key) {
		t.Error("the key was shown")
	}
	st := c.run("", "status", "--json")
	if strings.Contains(st.out, `"proof": "unverified"`) || !strings.Contains(st.out, `"proof": "verified"`) {
		t.Errorf("status after verify now:\n%s", st.out)
	}
}

// Switching profile from the accessible home starts it again on the chosen
// profile through the factory, as the full-screen profiles pane does.
func TestAccessibleHomeSwitchesProfileThroughTheFactory(t *testing.T) {
	secretstest.PrivateKeyring(t)
	c := newCLI(t)
	c.makeProfile("default")
	c.makeProfile("globex")
	r := c.runTTY(strings.Join([]string{
		"4", // switch to another profile
		"1", // globex
		"5", // on globex's home: quit
	}, "\n")+"\n", "--accessible")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.out, r.err)
	}
	first, second, ok := strings.Cut(r.out, "Opening profile globex…")
	if !ok {
		t.Fatalf("no switch:\n%s", r.out)
	}
	if !strings.Contains(first, "Profile default.") || !strings.Contains(first, "default (open)") {
		t.Errorf("first run:\n%s", first)
	}
	if !strings.Contains(second, "Profile globex.") || !strings.Contains(second, "globex (open)") {
		t.Errorf("after the switch:\n%s", second)
	}
}
