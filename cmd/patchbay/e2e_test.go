package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	return newTerminalSized(t, 120, 36, command)
}

// newTerminalSized is newTerminal in a terminal of w×h cells.
func newTerminalSized(t testing.TB, w, h int, command string) *terminal {
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
	term.tmux("new-session", "-d", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), command)
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

// TestEndToEndAllIntegrationsInDemo walks the real binary in a terminal as a
// new admin would: all three integrations in the demo, a key rotated and its
// revocation confirmed from the TUI (the re-run chosen on the rotation
// screen comes back to it), and vetty-key re-run with a new expiry.
func TestEndToEndAllIntegrationsInDemo(t *testing.T) {
	bin := patchbayBinary(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	term := newTerminal(t, bin+" demo --db "+db)

	// vetty-chattr, selected first: a fresh home says how to start.
	term.waitFor("Start here")
	term.keys("s")
	term.waitFor("step 1 of 4")
	term.waitFor("Before you start")
	term.keys("Enter")
	term.waitFor("┃ Managing user")
	term.typeText("admin@acme.test")
	term.keys("Enter")
	term.waitFor("┃ IP range")
	term.keys("Enter") // 0.0.0.0/0
	term.waitFor("┃ Expiration (months)")
	term.keys("Enter") // 24
	term.waitFor("┃ Vetty API key")
	const vettyKey = "e2e-vetty-key-first-0001"
	term.typeText(vettyKey)
	term.keys("Enter")
	term.waitFor("done ✓ proof: verified")
	if n := strings.Count(term.screen(), "0.0.0.0/0 lets any"); n != 1 {
		t.Errorf("the 0.0.0.0/0 warning shows %d times", n)
	}
	term.keys("Enter")
	term.waitFor("step 2 of 4")
	term.keys("Enter")
	term.waitFor("Yes, done")
	term.keys("y")
	term.waitFor("done ✓ proof: attested")
	term.keys("Enter")
	term.waitFor("step 3 of 4")
	term.keys("Enter")
	term.waitFor("┃ Token status")
	term.keys("Enter") // Valid
	term.waitFor("┃ Done in the vendor's UI")
	term.keys("y")
	term.waitFor("done ✓ proof: attested")
	term.keys("Enter")
	term.waitFor("step 4 of 4")
	term.keys("Enter")
	term.waitFor("┃ Package per position")
	term.typeText("Driver=Basic;Nurse=Healthcare")
	term.keys("Enter")
	term.waitFor("every step is done")
	term.keys("Enter")
	term.waitFor("✓ Vetty background checks in Chattr is set up")

	// certn-lever: the steps pane has the focus after a step; shift+tab
	// goes back to the integrations.
	term.keys("BTab", "j")
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
	term.typeText("e2e-signing-token-77aa-0123")
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
	term.waitFor(`trigger stage "Background Check" exists in Lever`)
	term.waitFor("every step is done")
	term.keys("Enter")
	term.waitFor("✓ Certn checks from a Lever stage is set up")

	// charthop-lever.
	term.keys("BTab", "j")
	term.waitFor("Steps · charthop-lever")
	term.keys("s")
	term.waitFor("step 1 of 7")
	term.keys("Enter")
	term.waitFor("┃ Lever region")
	term.keys("Enter") // US
	term.waitFor("┃ Write permissions enabled")
	for range 4 {
		term.keys("Space", "Down")
	}
	term.keys("Enter")
	term.waitFor("┃ Lever API key")
	term.typeText("e2e-charthop-lever-key-0003")
	term.keys("Enter")
	term.waitFor("done ✓ proof: verified")
	for _, n := range []string{"2", "3"} { // install, connect: attested
		term.keys("Enter")
		term.waitFor("step " + n + " of 7")
		term.keys("Enter")
		term.waitFor("Yes, done")
		term.keys("y")
		term.waitFor("done ✓ proof: attested")
	}
	term.keys("Enter")
	term.waitFor("step 4 of 7")
	term.keys("Enter")
	term.waitFor("┃ Source of truth")
	term.keys("Enter") // ChartHop: outbound
	term.waitFor("done ✓ proof: checked")
	term.keys("Enter")
	term.waitFor("step 5 of 7")
	term.keys("Enter")
	term.waitFor("┃ Run Daily")
	term.keys("y") // Run Daily on
	term.waitFor("┃ Sync On Change")
	term.keys("y") // required for outbound
	term.waitFor("┃ Reverse Sync")
	term.keys("Enter") // unavailable: stays off
	term.waitFor("┃ Reconciliation")
	term.keys("y")
	term.waitFor("┃ Remote Location As Default")
	term.keys("n")
	term.waitFor("done ✓ proof: checked")
	term.keys("Enter")
	term.waitFor("step 6 of 7")
	term.keys("Enter")
	term.waitFor("┃ ChartHop webhook secret key")
	term.typeText("e2e-charthop-webhook-secret-04")
	term.keys("Enter")
	term.waitFor("done ✓ proof: checked")
	term.keys("Enter")
	term.waitFor("step 7 of 7")
	term.keys("Enter")
	term.waitFor("Yes, done")
	term.keys("y")
	term.waitFor("every step is done")
	term.keys("Enter")
	term.waitFor("✓ ChartHop ↔ Lever Requisitions is set up")

	// Rotate the Vetty key from the TUI, hand it on from the rotation
	// screen, come back to it and confirm the revocation there.
	term.keys("BTab", "k", "k")
	term.waitFor("Steps · vetty-chattr")
	term.keys("R")
	term.waitFor("Rotate vetty-chattr/api_key")
	term.waitFor("New Vetty API key")
	term.typeText("e2e-vetty-key-rotated-0002")
	term.keys("Enter")
	term.waitFor("Rotated: …0001 → …0002")
	term.waitFor("↻ Connect Vetty in Chattr (chattr-connect)")
	term.keys("Enter")
	term.waitFor("step 3 of 4")
	term.keys("Enter")
	term.waitFor("┃ Token status")
	term.keys("Enter")
	term.waitFor("┃ Done in the vendor's UI")
	term.keys("y")
	term.waitFor("enter: back to the rotation")
	term.keys("Enter")
	term.waitFor("✓ Connect Vetty in Chattr (chattr-connect) · re-run")
	term.keys("v")
	term.waitFor("recorded as revoked")
	term.keys("Escape")
	term.waitFor("Steps · vetty-chattr")

	// Re-run vetty-key keeping the key, with a 1-month expiry: the
	// countdown follows.
	term.keys("k", "k", "k", "Enter")
	term.waitFor("step 1 of 4")
	term.keys("Enter")
	term.waitFor("┃ Managing user")
	term.keys("Enter")
	term.waitFor("┃ IP range")
	term.keys("Enter")
	term.waitFor("┃ Expiration (months)")
	term.keys("BSpace", "BSpace")
	term.typeText("1")
	term.keys("Enter")
	term.waitFor("keep current")
	term.keys("Enter")
	term.waitFor("done ✓ proof: verified")
	term.keys("Enter")
	term.waitFor("expires in 30d")
	term.keys("q")

	out, err := exec.Command(bin, "--db", db, "--profile", "demo", "status", "--json").Output()
	if err != nil {
		t.Fatalf("status --json: %v", err)
	}
	var report struct {
		Integrations []struct {
			ID, State  string
			StepsDone  int `json:"steps_done"`
			StepsTotal int `json:"steps_total"`
			Steps      []struct{ ID, Status, Proof string }
			Secrets    []struct {
				Key, Last4 string
				ExpiresAt  string `json:"expires_at"`
			}
		}
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if len(report.Integrations) != 3 {
		t.Fatalf("%d integrations in status", len(report.Integrations))
	}
	for _, in := range report.Integrations {
		if in.State != "complete" || in.StepsDone != in.StepsTotal {
			t.Errorf("%s is %s with %d/%d steps done; want complete", in.ID, in.State, in.StepsDone, in.StepsTotal)
		}
		if in.ID == "certn-lever" && (in.Steps[5].ID != "lever-trigger-stage" || in.Steps[5].Proof != "verified") {
			t.Errorf("last step: %+v", in.Steps[5])
		}
		if in.ID == "vetty-chattr" {
			if len(in.Secrets) != 1 || in.Secrets[0].Last4 != "0002" {
				t.Errorf("vetty-chattr secrets after the rotation: %+v", in.Secrets)
			}
		}
	}
	if b, err := os.ReadFile(db); err != nil || strings.Contains(string(b), leverKey) || strings.Contains(string(b), vettyKey) {
		t.Errorf("the database holds a key (or could not be read: %v)", err)
	}
}

// TestEndToEndHelpAndQuitAt60x20 drives the demo at 60×20: on every screen
// that takes no typed text the help bar still ends in "? help • q quit";
// while text is typed, ctrl+c quits and says so.
func TestEndToEndHelpAndQuitAt60x20(t *testing.T) {
	bin := patchbayBinary(t)
	term := newTerminalSized(t, 60, 20, bin+" demo")
	last := func(what string) string {
		t.Helper()
		lines := strings.Split(strings.TrimRight(term.screen(), "\n"), "\n")
		if len(lines) != 20 {
			t.Fatalf("%s: the screen has %d lines", what, len(lines))
		}
		return strings.TrimRight(lines[len(lines)-1], " ")
	}
	check := func(what string) {
		t.Helper()
		if l := last(what); !strings.HasSuffix(l, "? help • q quit") {
			t.Errorf("%s: the help bar is %q", what, l)
		}
	}
	term.waitFor("Integrations")
	term.waitFor("updated")
	check("home")
	term.keys("Tab")
	check("home, steps pane")
	term.keys("Tab")
	check("home, dashboard pane")
	term.keys("Enter")
	term.waitFor("esc back")
	check("dashboard details")
	term.keys("Escape")
	term.waitFor("Integrations")
	term.keys("BTab", "BTab", "s")
	term.waitFor("step 1 of 4")
	check("step screen")
	term.keys("Enter")
	term.waitFor("┃ Managing user")
	if l := last("form"); !strings.Contains(l, "ctrl+c quit") {
		t.Errorf("form: the help bar is %q", l)
	}
	term.keys("Escape")
	term.waitFor("enter answer")
	check("step screen again")

	// In this demo the secrets live in memory, out of the command line's
	// reach: rotation and its revocation are finished in the TUI.
	term.keys("Enter")
	term.waitFor("┃ Managing user")
	term.typeText("admin@acme.test")
	term.keys("Enter")
	term.waitFor("┃ IP range")
	term.keys("Enter")
	term.waitFor("┃ Expiration (months)")
	term.keys("Enter")
	term.waitFor("┃ Vetty API key")
	term.typeText("e2e-small-vetty-key-0001")
	term.keys("Enter")
	term.waitFor("done ✓ proof: verified")
	check("step done")
	term.keys("Escape")
	term.waitFor("Integrations")
	term.keys("R")
	term.waitFor("Rotate vetty-chattr/api_key")
	term.typeText("e2e-small-vetty-key-0002")
	term.keys("Enter")
	term.waitFor("Rotated: …0001 → …0002")
	check("rotation done")
	term.keys("v")
	term.waitFor("recorded as revoked")
	check("revocation recorded")
	term.keys("q")
}
