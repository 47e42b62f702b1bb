package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// rotatingBackend is the fake backend with rotation.
type rotatingBackend struct {
	*fakeBackend
	rmu      sync.Mutex
	planErr  error
	rotate   func(req app.RotateRequest) (app.RotateResult, error)
	requests []app.RotateRequest
	revoked  []string
}

func (r *rotatingBackend) PlanRotation(ctx context.Context, integration, key string) (app.RotationPlan, error) {
	r.enter("PlanRotation " + integration + "/" + key)
	if r.planErr != nil {
		return app.RotationPlan{}, r.planErr
	}
	in, _ := steps.Lookup(integration)
	st, _ := in.StepCreating(key)
	f, _ := st.Field(key)
	return app.RotationPlan{
		Integration: in, Key: key, Step: st, Field: f,
		Current: app.SecretView{Key: key, Backend: "keyring", Last4: "9f3c", CreatedAt: testNow.AddDate(-2, 0, 0), ExpiresAt: testNow.AddDate(0, 0, 20)},
		Values:  map[string]string{"user": "ops@acme.test", "ip_allowlist": "0.0.0.0/0", "expiry_months": "24"},
		HandsOn: steps.RerunAfterRotate(in, key),
		Revoke:  app.RevokeGuidance(in, key),
	}, nil
}

func (r *rotatingBackend) Rotate(ctx context.Context, req app.RotateRequest) (app.RotateResult, error) {
	r.enter("Rotate " + req.Integration + "/" + req.Key)
	r.rmu.Lock()
	r.requests = append(r.requests, req)
	r.rmu.Unlock()
	return r.rotate(req)
}

func (r *rotatingBackend) ConfirmRevoked(ctx context.Context, integration, key string) (string, error) {
	r.enter("ConfirmRevoked " + integration + "/" + key)
	r.rmu.Lock()
	r.revoked = append(r.revoked, integration+"/"+key)
	r.rmu.Unlock()
	return "9f3c", nil
}

func newRotatingHarness(t *testing.T) (*harness, *rotatingBackend) {
	t.Helper()
	fb := newFakeBackend(fixture(3))
	rb := &rotatingBackend{fakeBackend: fb}
	rb.rotate = func(req app.RotateRequest) (app.RotateResult, error) {
		return app.RotateResult{
			Integration: req.Integration, Key: req.Key, Step: "vetty-key", Rotated: true,
			Outcome:  app.Outcome{OK: true, Proof: steps.ProofVerified, Detail: "the key lists 3 Vetty package(s)"},
			OldLast4: "9f3c", NewLast4: app.Last4(req.NewValue), PreviousKept: true,
			ExpiresAt: testNow.AddDate(0, 12, 0), NeedsRerun: []string{"chattr-connect"},
			Revoke: "Vetty › Settings › API Management: delete the old key",
		}, nil
	}
	h := newHarness(t, fb, 100, 40, func(o *Options) { o.Backend = rb })
	return h, rb
}

const newVettyKey = "vetty-new-key-from-tui-zz99"

func TestRotateFromTheHomeScreen(t *testing.T) {
	h, rb := newRotatingHarness(t)
	// vetty-chattr (selected) keeps one secret: R rotates it from any pane.
	h.mustSee("R rotate secret")
	h.press("R")
	h.mustSee("Rotate vetty-chattr/api_key", "Current Vetty API key: …9f3c", "Vetty › Settings › API Management › Add New User Key",
		"Click Add.", "Expiration (months) of the new one", "re-run chattr-connect")

	// Keys are typed, not obeyed: q is part of the key, not quit.
	h.press("tab") // to the expiry months
	h.press("backspace", "backspace")
	h.typeText("12")
	h.press("enter") // to the secret
	h.typeText(newVettyKey)
	h.mustNotSee(newVettyKey)
	if h.quit {
		t.Fatal("typing quit the program")
	}
	h.press("enter")

	if len(rb.requests) != 1 {
		t.Fatalf("rotate calls %d, want 1", len(rb.requests))
	}
	req := rb.requests[0]
	if req.NewValue != newVettyKey || req.Values["expiry_months"] != "12" || req.Integration != "vetty-chattr" || req.Key != "api_key" {
		t.Errorf("request %+v", req)
	}
	h.mustSee("✓ Rotated: …9f3c → …zz99 · verified", "expires on 2027-03-10", "Connect Vetty in Chattr (chattr-connect)",
		"Revoke the previous value", "Vetty › Settings › API Management: delete the old key", "press v")
	if n := rb.callCount("Overview"); n < 2 {
		t.Errorf("the overview was not reloaded after the rotation (%d loads)", n)
	}

	h.press("v")
	h.mustSee("recorded as revoked")
	if len(rb.revoked) != 1 || rb.revoked[0] != "vetty-chattr/api_key" {
		t.Errorf("revocations %v", rb.revoked)
	}
	h.mustNotSee("press v")

	// Enter re-runs the selected step that hands the key on; the re-run
	// comes back to the rotation screen, which marks it re-run.
	h.press("enter")
	h.mustSee("Connect Vetty in Chattr")
	if h.m.screen != screenStep {
		t.Errorf("screen %v: want the step screen", h.m.screen)
	}
	h.press("enter") // answer
	h.mustSee("Token status")
	h.press("enter") // Valid
	h.mustSee("Yes, done")
	h.press("y")
	h.mustSee("done ✓", "enter: back to the rotation")
	h.press("enter")
	if h.m.screen != screenRotate {
		t.Fatalf("after the re-run the screen is %v, want the rotation screen:\n%s", h.m.screen, h.view())
	}
	h.mustSee("Rotate vetty-chattr/api_key", "✓ Connect Vetty in Chattr (chattr-connect) · re-run")
	h.mustSee("1. Handed on ✓")
	h.press("esc")
	if h.m.screen != screenHome || h.m.rotate != nil {
		t.Errorf("esc from the rotation did not return home")
	}
	for i, v := range h.views {
		if strings.Contains(v, newVettyKey) {
			t.Fatalf("view %d shows the new key", i)
		}
	}
}

func TestRotateRefusedKeyChangesNothingOnScreen(t *testing.T) {
	h, rb := newRotatingHarness(t)
	rb.rotate = func(req app.RotateRequest) (app.RotateResult, error) {
		out := app.Outcome{Proof: steps.ProofVerified, Detail: "Vetty: the key was refused (401)", Fix: "copy it again; the IP range may be the cause"}
		return app.RotateResult{Outcome: out, OldLast4: "9f3c"}, fmt.Errorf("%w: %s; nothing was changed", app.ErrCheckFailed, out.Detail)
	}
	h.press("R")
	h.typeText("vetty-invalid-key-0000")
	h.press("enter")
	h.mustSee("did not pass: Vetty: the key was refused (401)", "What to do: copy it again", "Nothing was changed", "…9f3c")
	h.mustNotSee("vetty-invalid-key-0000")
	// e goes back to an empty input; esc leaves.
	h.press("e")
	h.mustSee("New Vetty API key")
	if got := h.m.rotate.secret.Value(); got != "" {
		t.Errorf("the refused key is still in the input")
	}
	h.press("esc")
	if h.m.screen != screenHome || h.m.rotate != nil {
		t.Errorf("esc did not return home")
	}
}

// A previous value awaiting revocation blocks a new rotation; the rotation
// screen then confirms the revocation itself (the command line may be out of
// reach: the demo's secrets live in its process), and the rotation goes on.
func TestRotateConfirmsAPendingRevocation(t *testing.T) {
	h, rb := newRotatingHarness(t)
	rb.mu.Lock()
	rb.ov.Integrations[0].Secrets[0].HasPrevious = true
	rb.mu.Unlock()
	h.press("r") // reload the overview with the pending revocation
	h.mustSee("(v confirms)", "v old one revoked", "? help • q quit")
	rb.planErr = fmt.Errorf("%w: confirm the revocation of the previous key first: patchbay rotate --revoked vetty-chattr/api_key", app.ErrPreviousKept)
	h.press("v")
	h.mustSee("Rotate vetty-chattr/api_key", "kept until you confirm it was revoked", "Vetty › Settings › API Management", "then press v")
	h.mustNotSee("New Vetty API key", "patchbay rotate --revoked")
	rb.planErr = nil
	h.press("v")
	if len(rb.revoked) != 1 || rb.revoked[0] != "vetty-chattr/api_key" {
		t.Fatalf("revocations %v", rb.revoked)
	}
	h.mustSee("recorded as revoked", "New Vetty API key")
	if len(rb.requests) != 0 {
		t.Error("rotate was called")
	}
}

func TestRotateRefusedPlanAndNoRotator(t *testing.T) {
	h, rb := newRotatingHarness(t)
	rb.planErr = fmt.Errorf("%w: no api_key is stored", app.ErrNothingToRotate)
	h.press("R")
	h.mustSee("no api_key is stored")
	h.mustNotSee("New Vetty API key", "v old one revoked")
	h.press("v")
	if len(rb.revoked) != 0 {
		t.Error("v confirmed a revocation nobody awaits")
	}
	h.press("esc")
	if h.m.screen != screenHome {
		t.Errorf("esc did not return home")
	}
	if len(rb.requests) != 0 {
		t.Error("rotate was called")
	}

	// In the steps pane, R follows the selected step: only a step that
	// creates a stored secret offers it.
	h.press("tab")
	h.mustSee("R rotate secret") // vetty-key
	h.press("down")
	h.mustNotSee("R rotate secret") // vetty-webhook
	h.press("R")
	if h.m.screen != screenHome {
		t.Error("R opened a rotation for a step without a secret")
	}

	// A backend without rotation never offers it.
	plain := newHarness(t, newFakeBackend(fixture(0)), 100, 40)
	plain.mustNotSee("R rotate secret")
	plain.press("R")
	if plain.m.screen != screenHome {
		t.Error("R opened a rotation without a Rotator")
	}
}

// At 60×20 the help bar still ends in "? help • q quit" on every screen
// that does not take typed text: the screen's own keys give way first.
func TestHelpAndQuitVisibleAt60x20(t *testing.T) {
	fb := newFakeBackend(fixture(3))
	rb := &rotatingBackend{fakeBackend: fb}
	h := newHarness(t, fb, 60, 20, func(o *Options) { o.Backend = rb })
	rb.mu.Lock()
	rb.ov.Integrations[0].Secrets[0].HasPrevious = true
	rb.mu.Unlock()
	h.press("r")
	last := func() string {
		v := h.view()
		checkSize(t, v, 60, 20)
		lines := strings.Split(v, "\n")
		return lines[len(lines)-1]
	}
	for _, step := range []struct {
		name string
		keys []string
	}{
		{"home, integrations pane", nil},
		{"home, steps pane", []string{"tab"}},
		{"home, dashboard pane", []string{"tab"}},
		{"step screen", []string{"tab", "enter", "enter"}},
	} {
		h.press(step.keys...)
		if l := last(); !strings.HasSuffix(strings.TrimRight(l, " "), "? help • q quit") {
			t.Errorf("%s: the help bar is %q", step.name, l)
		}
	}
	h.press("esc")
	rb.planErr = fmt.Errorf("%w: confirm first", app.ErrPreviousKept)
	h.press("v")
	if l := last(); !strings.Contains(l, "v old one revoked") || !strings.HasSuffix(strings.TrimRight(l, " "), "? help • q quit") {
		t.Errorf("rotation screen: the help bar is %q", l)
	}
}
