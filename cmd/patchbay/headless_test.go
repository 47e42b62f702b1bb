package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// On a server without a desktop session (no D-Bus), the first run offers
// the vault and, once chosen, asks its passphrase twice before the home
// screen starts; the first save in the home screen then works.
func TestHeadlessFirstRunAsksThePassphraseBeforeHome(t *testing.T) {
	bin := patchbayBinary(t)
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	db := filepath.Join(dir, "state", "patchbay.db")
	command := "env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY -u WAYLAND_DISPLAY -u " + secrets.VaultPassphraseEnv +
		" XDG_STATE_HOME=" + filepath.Join(dir, "state") + " " + vaultWorkFactorEnv + "=10 " +
		strings.Join(srv.Env(), " ") + " " + bin + " --db " + db
	term := newTerminal(t, command)

	term.waitFor("Use the encrypted vault for profile default? [y/N]")
	if s := term.screen(); !strings.Contains(s, "There is no OS keyring on this machine") {
		t.Fatalf("the vault is offered without saying why:\n%s", s)
	}
	term.typeText("y")
	term.keys("Enter")
	term.waitFor("New vault passphrase:")
	if s := term.screen(); !strings.Contains(s, "several unrelated words") || strings.Contains(s, "certn-lever") {
		t.Fatalf("no strength hint, or the home screen came first:\n%s", s)
	}
	const pass = "headless server passphrase words"
	term.typeText(pass)
	term.keys("Enter")
	term.waitFor("Repeat it:")
	term.typeText(pass)
	term.keys("Enter")

	// The home screen, and a first save that works.
	term.waitFor("certn-lever")
	term.keys("j")
	term.waitFor("Steps · certn-lever")
	term.keys("s")
	term.waitFor("step 1 of 6")
	term.keys("Enter")
	term.waitFor("┃ Lever region")
	term.keys("Enter") // US
	term.waitFor("┃ Lever API key")
	const leverKey = "headless-lever-key-0000-7c3d"
	term.typeText(leverKey)
	term.keys("Enter")
	term.waitFor("done ✓ proof: verified")
	if s := term.screen(); strings.Contains(s, pass) || strings.Contains(s, leverKey) {
		t.Fatal("the passphrase or the key is on screen")
	}
	term.close()

	v := secrets.NewVault(vaultPath(db), func() (string, error) { return pass, nil })
	if got, err := v.Get(context.Background(), secrets.Account("default", "certn-lever", "api_key")); err != nil || got != leverKey {
		t.Fatalf("the vault holds %v, %v; want the key saved from the home screen", got == leverKey, err)
	}
}
