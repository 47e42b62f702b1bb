//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Interrupted at a hidden prompt (Ctrl+C, or SIGTERM from another
// terminal), patchbay stops at once, gives the terminal its echo back and
// discards what was typed: the shell that runs next neither hides the
// admin's typing nor finds half a passphrase on its command line. Before,
// Ctrl+C at the vault's passphrase prompt was ignored until Enter.
func TestInterruptedHiddenPromptLeavesTheTerminalAsItWas(t *testing.T) {
	bin := patchbayBinary(t)
	for _, how := range []string{"ctrl-c", "sigterm"} {
		t.Run(how, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), how+".db")
			term := newTerminal(t, "env -u "+secrets.VaultPassphraseEnv+" PS1='pb$ ' bash --norc --noprofile")
			term.waitFor("pb$")
			term.typeText(bin + " --db " + db + " --secrets vault run certn-lever/lever-key; echo exit=$?")
			term.keys("Enter")
			term.waitFor("New vault passphrase:")
			// Echo goes off just after the prompt is printed: typing at
			// once could be shown by the terminal before it is.
			time.Sleep(300 * time.Millisecond)
			term.typeText("half-typed-passphrase")
			time.Sleep(200 * time.Millisecond) // the terminal driver has it
			if how == "ctrl-c" {
				term.keys("C-c")
			} else {
				pid := processWith(t, db)
				if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			}
			term.waitFor("exit=130")
			term.typeText("echo typed-after")
			term.waitFor("pb$ echo typed-after")
			screen := term.screen()
			if strings.Contains(screen, "half-typed") {
				t.Errorf("what was typed at the hidden prompt is on screen:\n%s", screen)
			}
			if !strings.Contains(screen, "interrupted; nothing was half-written") {
				t.Errorf("no word of the interruption:\n%s", screen)
			}
			term.keys("Enter")
			term.waitFor("\ntyped-after")
			if strings.Contains(term.screen(), "half-typed") {
				t.Errorf("the shell ran what was typed at the hidden prompt:\n%s", term.screen())
			}
		})
	}
}

// processWith is the process whose command line holds s.
func processWith(t *testing.T, s string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		dirs, _ := os.ReadDir("/proc")
		for _, d := range dirs {
			pid, err := strconv.Atoi(d.Name())
			if err != nil {
				continue
			}
			cmdline, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
			args := strings.Split(string(cmdline), "\x00")
			if len(args) > 0 && strings.HasSuffix(args[0], "patchbay") && strings.Contains(string(cmdline), s) {
				return pid
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no process runs with %s", s)
	return 0
}
