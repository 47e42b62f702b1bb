package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/scrub"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// assertTerminalSafe fails when a text output holds anything a terminal
// would act on: ESC and the other C0 controls but newline and tab, DEL, C1,
// bidi overrides and isolates, invalid UTF-8.
func assertTerminalSafe(t *testing.T, what string, r result) {
	t.Helper()
	for name, text := range map[string]string{"stdout": r.out, "stderr": r.err} {
		if !utf8.ValidString(text) {
			t.Errorf("%s: %s is not valid UTF-8: %q", what, name, text)
		}
		for _, ru := range text {
			if termsafe.Forbidden(ru) {
				t.Errorf("%s: %s passes %U to the terminal:\n%q", what, name, ru, text)
				break
			}
		}
	}
}

// Names that try to drive the terminal (OSC 52, screen clear, C1, bidi, CR)
// come back from Lever and Vetty: every text output shows them visibly.
func TestHostileNamesNeverReachTheTerminal(t *testing.T) {
	c := newCLI(t)
	c.withVault()
	srv := c.withStandins()
	srv.SetHostileNames()
	var outputs []result
	do := func(stdin string, args ...string) result {
		t.Helper()
		r := c.run(stdin, args...)
		assertTerminalSafe(t, strings.Join(args, " "), r)
		outputs = append(outputs, r)
		return r
	}
	c.completeVettyChattr(cliVettyKey1)
	c.completeCertnLever(cliLeverKey1)
	do(cliVettyKey1, "run", "vetty-chattr/vetty-key", "--set", "user=ops@acme.test", "--set", "expiry_months=24", "--set", "api_key=@-")
	if r := do("", "run", "certn-lever/lever-trigger-stage", "--set", "stage=Nope"); r.code != exitError {
		t.Errorf("a missing stage: exit %d", r.code)
	}
	do(cliVettyKey2, "rotate", "vetty-chattr/api_key", "--set", "api_key=@-")
	do("", "status", "--live")
	do("", "status")
	do("", "history")
	do("", "history", "certn-lever")
	do("", "doctor", "--offline")
	do("", "reset", "certn-lever/lever-trigger-stage", "--yes")

	all := ""
	for _, r := range outputs {
		all += r.out + r.err
	}
	// Not vacuous: the hostile names were shown, escaped.
	for _, line := range strings.Split(all, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), standin.HostileFakeLine) {
			t.Errorf("a vendor's name began a line of its own: %q", line)
		}
	}
	for _, want := range []string{`^[]52;c;`, `\u009b31m`, `\u202e`, "Assessment^J" + standin.HostileFakeLine} {
		if !strings.Contains(all, want) {
			t.Errorf("no output shows %q; the hostile names never arrived:\n%s", want, all)
		}
	}
}

// A Lever or Vetty that redirects to another origin, or answers 200 in the
// wrong shape, proves nothing: no step is recorded verified, no rotation
// replaces a key, no live check reads valid.
func TestHostileVendorProvesNothing(t *testing.T) {
	for _, kind := range []standin.FaultKind{standin.FaultRedirect, standin.FaultWrongShape} {
		t.Run(kind.String(), func(t *testing.T) {
			c := newCLI(t)
			c.withVault()
			srv := c.withStandins()
			c.completeCertnLever(cliLeverKey1)
			h0, _ := c.history()
			srv.Lever.SetFault(standin.Fault{Kind: kind})
			srv.Vetty.SetFault(standin.Fault{Kind: kind})

			r := c.run(cliVettyKey1, "run", "vetty-chattr/vetty-key", "--set", "user=ops@acme.test", "--set", "expiry_months=24", "--set", "api_key=@-")
			// Refused, or at most done unverified (Vetty's shapes are
			// inferred): never verified.
			if strings.Contains(r.out, "done — verified") {
				t.Errorf("vetty-key verified through a hostile Vetty: exit %d\n%s%s", r.code, r.out, r.err)
			}
			if kind == standin.FaultRedirect && !strings.Contains(r.out+r.err, "redirected to another origin (http://127.0.0.1:") {
				t.Errorf("the redirect's target is not named:\n%s%s", r.out, r.err)
			}
			r = c.run("", "run", "certn-lever/lever-trigger-stage", "--set", "stage=Background Check")
			if r.code == 0 || !strings.Contains(r.out, "check failed") {
				t.Errorf("trigger stage through a hostile Lever: exit %d\n%s%s", r.code, r.out, r.err)
			}
			r = c.run(cliLeverKey2, "rotate", "certn-lever/api_key", "--set", "api_key=@-")
			if r.code == 0 || !strings.Contains(r.out, "Nothing was changed") {
				t.Errorf("rotate through a hostile Lever: exit %d\n%s%s", r.code, r.out, r.err)
			}
			if v, _ := c.vault().Get(context.Background(), "default/certn-lever/api_key"); v != cliLeverKey1 {
				t.Error("a rotation through a hostile Lever replaced the key")
			}
			live := parseLiveStatus(t, c.run("", "status", "--live", "--json"))
			if res, detail := live.check("certn-lever", "secret.api_key"); res == "valid" {
				t.Errorf("live check of the Lever key reads valid through a hostile Lever: %s", detail)
			}
			h1, _ := c.history()
			for _, e := range h1.Events[:len(h1.Events)-len(h0.Events)] {
				if e.Detail["proof"] == "verified" {
					t.Errorf("a hostile vendor produced a verified event: %+v", e)
				}
			}
		})
	}
}

// A vendor that always has another page cannot keep a command past its
// bound: run stops at the listing's page bound, status --live at its
// --timeout.
func TestEndlessPagesKeepNoCommandPastItsBound(t *testing.T) {
	c := newCLI(t)
	c.withVault()
	srv := c.withStandins()
	c.completeCertnLever(cliLeverKey1)
	c.completeVettyChattr(cliVettyKey1)
	srv.Lever.SetFault(standin.Fault{Kind: standin.FaultEndlessPages})
	srv.Vetty.SetFault(standin.Fault{Kind: standin.FaultEndlessPages})

	start := time.Now()
	r := c.run("", "run", "certn-lever/lever-trigger-stage", "--set", "stage=Background Check")
	if took := time.Since(start); took > 32*time.Second {
		t.Errorf("run took %s against endless pages; its bound is 30 s for a listing", took)
	}
	if r.code == 0 || !strings.Contains(r.out, "pagination did not end") {
		t.Errorf("run against endless pages: exit %d\n%s%s", r.code, r.out, r.err)
	}
	start = time.Now()
	r = c.run("", "status", "--live", "--timeout", "2s")
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("status --live --timeout 2s took %s against endless pages", took)
	}
	if r.code == 0 {
		t.Errorf("status --live against endless pages exits 0:\n%s%s", r.out, r.err)
	}
}

// A 500 that echoes the key raw, URL-escaped, base64 (key and "key:") and
// JSON-escaped: no form of it is shown, stored in the database, or listed
// by status and history.
func TestEchoedKeyIsNeverShownOrKept(t *testing.T) {
	const key = `lever+key/with=odd%2F"chars\0123`
	c := newCLI(t)
	c.withVault()
	srv := c.withStandins()
	c.must(key, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	srv.Lever.SetFault(standin.Fault{Kind: standin.FaultEchoKey})
	var texts []string
	for _, args := range [][]string{
		{"run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-"},
		{"status", "--live"}, {"status", "--live", "--json"}, {"status"}, {"status", "--json"},
		{"history"}, {"history", "--json"},
	} {
		r := c.run(key, args...)
		assertTerminalSafe(t, strings.Join(args, " "), r)
		texts = append(texts, strings.Join(args, " ")+": "+r.out+r.err)
	}
	if !strings.Contains(strings.Join(texts, "\n"), "[redacted]") {
		t.Errorf("the echo never showed up redacted; did the fault apply?\n%s", strings.Join(texts, "\n"))
	}
	files, _ := filepath.Glob(c.db + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, f+": "+string(b))
	}
	for _, text := range texts {
		for _, form := range scrub.Forms(key) {
			if strings.Contains(text, form) {
				t.Errorf("the key's form %q is in %s", form, text[:min(len(text), 200)])
			}
		}
	}
}
