//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store/secrets"
)

// The browser patchbay opens for a step's article is started without the
// vault passphrase and the PATCHBAY_SECRET_… values patchbay was handed:
// a program of the desktop's never sees them.
func TestBrowserInheritsNoSecretFromPatchbay(t *testing.T) {
	bin := patchbayBinary(t)
	dir := t.TempDir()
	fake := filepath.Join(dir, "bin")
	seen := filepath.Join(dir, "browser-env")
	if err := os.Mkdir(fake, 0o755); err != nil {
		t.Fatal(err)
	}
	// The first opener patchbay looks for on Linux: it writes what it was
	// given and exits.
	opener := "#!/bin/sh\n{ echo \"url=$1\"; env; } > " + seen + ".tmp && mv " + seen + ".tmp " + seen + "\n"
	if err := os.WriteFile(filepath.Join(fake, "xdg-open"), []byte(opener), 0o755); err != nil {
		t.Fatal(err)
	}
	const pass, apiKey = "vault passphrase nobody else sees", "lever-key-for-apply-4242"
	command := "env PATH=" + fake + ":" + os.Getenv("PATH") +
		" " + secrets.VaultPassphraseEnv + "='" + pass + "'" +
		" PATCHBAY_SECRET_CERTN_LEVER_API_KEY=" + apiKey +
		" " + bin + " demo --db " + filepath.Join(dir, "demo.db")
	term := newTerminal(t, command)
	term.waitFor("Start here")
	term.keys("s")
	term.waitFor("step 1 of 4")
	term.keys("o")

	deadline := time.Now().Add(20 * time.Second)
	var got []byte
	for {
		b, err := os.ReadFile(seen)
		if err == nil {
			got = b
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser was never started; the screen shows:\n%s", term.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	env := string(got)
	if !strings.Contains(env, "url=https://") {
		t.Fatalf("the browser was not given the step's article:\n%s", env)
	}
	for _, secret := range []string{secrets.VaultPassphraseEnv, "PATCHBAY_SECRET_", pass, apiKey} {
		if strings.Contains(env, secret) {
			t.Errorf("the browser inherited %q", secret)
		}
	}
	if !strings.Contains(env, "PATH="+fake) {
		t.Errorf("the browser lost the rest of the environment:\n%s", env)
	}
}
