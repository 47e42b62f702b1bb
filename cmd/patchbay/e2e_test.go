package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// requireTmuxEnv, set to "1" (CI sets it), turns a missing tmux from a skip
// into a failure.
const requireTmuxEnv = "PATCHBAY_REQUIRE_TMUX"

var (
	terminalSeq atomic.Int64
	buildOnce   sync.Once
	binPath     string
	buildErr    error
)

// patchbayBinary builds the real binary once per test run.
func patchbayBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "patchbay-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "patchbay")
		out, err := exec.Command("go", "build", "-tags", testBuildTag, "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("go build: %s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building patchbay: %v", buildErr)
	}
	return binPath
}

// terminal is a tmux session on a private server running one command.
type terminal struct {
	t      testing.TB
	socket string
}

func newTerminal(t testing.TB, command string) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv(requireTmuxEnv) == "1" {
			t.Fatalf("tmux is not installed and %s=1", requireTmuxEnv)
		}
		t.Skip("tmux is not installed (apt-get install tmux); skipping the end-to-end terminal test")
	}
	// The socket name must be unique across test processes running at once.
	socket := fmt.Sprintf("patchbay-e2e-%d-%d", os.Getpid(), terminalSeq.Add(1))
	term := &terminal{t: t, socket: socket}
	term.tmux("new-session", "-d", "-x", "120", "-y", "36", command)
	t.Cleanup(func() { exec.Command("tmux", "-L", term.socket, "kill-server").Run() })
	return term
}

func (term *terminal) tmux(args ...string) string {
	term.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", term.socket}, args...)...).CombinedOutput()
	if err != nil {
		term.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// close ends the terminal's tmux server now (cleanup does it otherwise).
func (term *terminal) close() { exec.Command("tmux", "-L", term.socket, "kill-server").Run() }

func (term *terminal) screen() string { return term.tmux("capture-pane", "-p") }

// waitFor polls the screen until it shows text: the TUI redraws, and Huh
// moves focus, asynchronously.
func (term *terminal) waitFor(text string) {
	term.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := term.screen()
		if strings.Contains(s, text) {
			return
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the screen never showed %q; it shows:\n%s", text, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (term *terminal) keys(keys ...string) { term.tmux(append([]string{"send-keys"}, keys...)...) }
func (term *terminal) typeText(s string)   { term.tmux("send-keys", "-l", s) }

func TestEndToEndCertnLeverInDemo(t *testing.T) {
	bin := patchbayBinary(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	term := newTerminal(t, bin+" demo --db "+db)

	term.waitFor("certn-lever")
	term.keys("j")
	term.waitFor("Steps · certn-lever")
	term.keys("s")
	term.waitFor("step 1 of 6")
	term.keys("Enter")
	term.waitFor("┃ Lever region")
	term.keys("Enter") // US
	term.waitFor("┃ Lever API key")
	const leverKey = "e2e-lever-key-0000-4f2a"
	term.typeText(leverKey)
	term.keys("Enter")
	term.waitFor("done ✓ proof: verified")
	if strings.Contains(term.screen(), leverKey) {
		t.Fatal("the key is on screen after entry")
	}

	term.keys("Enter")
	term.waitFor("step 2 of 6")
	term.keys("Enter")
	term.waitFor("┃ Webhook signing token")
	term.typeText("e2e-signing-token-77aa")
	term.keys("Enter")
	term.waitFor("done ✓ proof: checked")

	term.keys("Enter")
	term.waitFor("step 3 of 6")
	term.keys("Enter")
	term.waitFor("┃ Packages")
	term.typeText("Basic:criminal+identity;Plus:criminal+credit")
	term.keys("Enter")
	term.waitFor("┃ Default package")
	term.typeText("Basic")
	term.keys("Enter")
	term.waitFor("done ✓ proof: checked")

	term.keys("Enter")
	term.waitFor("step 4 of 6")
	term.keys("Enter")
	term.waitFor("Yes, done")
	term.keys("y")
	term.waitFor("done ✓ proof: attested")

	term.keys("Enter")
	term.waitFor("step 5 of 6")
	term.keys("Enter")
	term.waitFor("┃ Integration webhook URL")
	term.typeText("https://api.certn.co/integrations/lever/e2e")
	term.keys("Enter")
	term.waitFor("done ✓ proof: checked")

	term.keys("Enter")
	term.waitFor("step 6 of 6")
	term.keys("Enter")
	term.waitFor("┃ Trigger stage")
	term.waitFor("Background Check")
	for range 6 { // New applicant, New lead, Reached out, Recruiter screen, Phone screen, On-site interview
		term.keys("Down")
	}
	term.keys("Enter")
	term.waitFor(`the trigger stage "Background Check" exists in Lever`)
	term.waitFor("every step is done")
	term.keys("Enter")
	term.waitFor("6/6")
	term.keys("q")

	out, err := exec.Command(bin, "--db", db, "--profile", "demo", "status", "--json").Output()
	if err != nil {
		t.Fatalf("status --json: %v", err)
	}
	var report struct {
		Integrations []struct {
			ID, State string
			StepsDone int `json:"steps_done"`
			Steps     []struct{ ID, Status, Proof string }
		}
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	for _, in := range report.Integrations {
		if in.ID != "certn-lever" {
			continue
		}
		if in.State != "complete" || in.StepsDone != 6 {
			t.Errorf("certn-lever is %s with %d steps done; want complete, 6", in.State, in.StepsDone)
		}
		if in.Steps[5].ID != "lever-trigger-stage" || in.Steps[5].Proof != "verified" {
			t.Errorf("last step: %+v", in.Steps[5])
		}
	}
	if b, err := os.ReadFile(db); err != nil || strings.Contains(string(b), leverKey) {
		t.Errorf("the database holds the key (or could not be read: %v)", err)
	}
}
