package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// The fleet in a real terminal: dashboard --all-profiles lists every
// customer, enter opens the chosen one's dashboard; on that profile's home
// screen the profiles pane switches to another customer.
func TestEndToEndFleetDashboard(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.completeCertnLever(cliLeverKey1)
	c.completeCertnLeverFor("globex", cliLeverKey2, "Phone screen")

	var env []string
	for k, v := range c.env {
		env = append(env, fmt.Sprintf("%s='%s'", k, v))
	}
	sort.Strings(env)
	command := fmt.Sprintf("env %s DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent %s --db %s dashboard --all-profiles",
		strings.Join(env, " "), patchbayBinary(t), c.db)
	term := newTerminal(t, command)
	term.waitFor("all profiles (2)")
	term.waitFor("globex")
	s := term.screen()
	for _, want := range []string{"CERTN-LEVER", "default", "complete", "LAST CHECK"} {
		if !strings.Contains(s, want) {
			t.Fatalf("the fleet page lacks %q:\n%s", want, s)
		}
	}
	term.keys("Down", "Enter")
	term.waitFor("dashboard · profile globex")
	// Its home screen is behind it, and every profile behind that.
	term.keys("Escape")
	term.waitFor("globex (open)")
	term.keys("p")
	term.waitFor("all profiles (2)")

	// Home of globex (esc is not "back" on a page opened alone: open home
	// through the profiles pane of another run instead).
	term.keys("q")
	term2 := newTerminal(t, strings.Replace(command, "dashboard --all-profiles", "--profile default", 1))
	term2.waitFor("Profiles (2)")
	term2.waitFor("default (open)")
	term2.keys("BTab", "Down", "Enter")
	term2.waitFor("profile globex")
	term2.waitFor("globex (open)")
}
