package app

import (
	"context"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Entering yet another key with `run` after a rotation keeps the record of
// the value that still awaits revocation.
func TestRerunAfterRotationKeepsThePreviousAwaitingRevocation(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeCertnLever(t, leverKey1)
	if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2}); err != nil {
		t.Fatal(err)
	}
	e.run(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": "lever-key-third-5555-6666"})
	if sec := secretStatus(t, e.status(t, "certn-lever"), "api_key"); !sec.PreviousKept {
		t.Fatal("the previous value awaiting revocation was forgotten")
	}
	if _, err := e.svc.ConfirmRevoked(ctx, "certn-lever", "api_key"); err != nil {
		t.Fatalf("confirming the revocation: %v", err)
	}
}

// A rotation whose database commit fails leaves neither its staging entry
// nor a copy of the current value behind.
func TestFailedRotationLeavesNoCopies(t *testing.T) {
	e := newTestEnv(t)
	e.completeCertnLever(t, leverKey1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.svc.Phase = func(p string) {
		if p == PointStaged {
			cancel() // the commit that follows fails
		}
	}
	if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2}); err == nil {
		t.Fatal("the rotation succeeded on a cancelled commit")
	}
	e.svc.Phase = nil
	account := secrets.Account("acme", "certn-lever", "api_key")
	for _, a := range []string{stagingAccount(account), previousAccount(account)} {
		if _, ok := e.stored(t, a); ok {
			t.Errorf("%s was left behind", a)
		}
	}
	if v, _ := e.stored(t, account); v != leverKey1 {
		t.Error("the current key changed")
	}
}

func TestHandoffNamesTheWebhookURLAndStage(t *testing.T) {
	e := newTestEnv(t)
	e.completeCertnLever(t, leverKey1)
	msg, err := e.svc.Handoff(context.Background(), "certn-lever", "lever-trigger-stage", map[string]string{"stage": "Background Check"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"https://api.certn.co/lever/webhook/abc123", "Background Check"} {
		if !strings.Contains(msg, want) {
			t.Errorf("hand-off lacks %q:\n%s", want, msg)
		}
	}
	if msg, err := e.svc.Handoff(context.Background(), "certn-lever", "lever-key", nil); err != nil || msg != "" {
		t.Errorf("a step without a hand-off gave %q, %v", msg, err)
	}
}

// A secret the store could not read at the last live check is a check that
// could not run: status is unknown (exit 3), never "nothing needs
// attention", and says the store was unreadable.
func TestUnreadableStoreIsUnknown(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeCertnLever(t, leverKey1)
	err := e.db.SaveChecks(ctx, "acme", []store.CheckResult{{
		Integration: "certn-lever", Name: SecretCheckName("api_key"), Result: ResultUnknown,
		Detail: StoreUnreadablePrefix + "could not read api_key from the keyring: it is locked", CheckedAt: e.now,
	}})
	if err != nil {
		t.Fatal(err)
	}
	report, err := e.svc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if report.Unchecked() != 1 || !strings.Contains(report.UncheckedWhy(), "secrets store unreadable") {
		t.Fatalf("an unreadable secrets store: %d unchecked (%s)", report.Unchecked(), report.UncheckedWhy())
	}
	if !report.Healthy() || e.integration(t, "certn-lever").State == steps.StateNeedsAttention {
		t.Fatal("an unreadable secrets store was reported as a problem of the setup")
	}
}

// A vendor's name stored with a newline (as an earlier version kept it)
// reaches no front end as a line of its own: the overview's check details,
// attention and events hold it on one line, the newline shown as "^J".
func TestOverviewKeepsStoredTextOnOneLine(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeCertnLever(t, leverKey1)
	fake := "Assessment\n✓ Lever: every check verified"
	if err := e.db.SaveChecks(ctx, "acme", []store.CheckResult{{
		Integration: "certn-lever", Name: CheckTriggerStage, Result: ResultDrift,
		Detail: "Lever no longer lists " + fake, CheckedAt: e.now,
	}}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddEvent(ctx, store.Event{At: e.now, Profile: "acme", Integration: "certn-lever", Kind: store.EventVerification, Summary: "stage " + fake}); err != nil {
		t.Fatal(err)
	}
	ov, err := e.svc.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, iv := range ov.Integrations {
		for _, c := range iv.Checks {
			texts = append(texts, c.Detail)
		}
		texts = append(texts, iv.Attention...)
	}
	for _, ev := range ov.Events {
		texts = append(texts, ev.Summary)
	}
	shown := 0
	for _, s := range texts {
		if strings.ContainsAny(s, "\n\r") {
			t.Errorf("the overview passes a line break on: %q", s)
		}
		if strings.Contains(s, `Assessment^J✓ Lever`) {
			shown++
		}
	}
	if shown < 3 {
		t.Errorf("the name was shown escaped in %d of detail, attention and event (want all 3): %q", shown, texts)
	}
}
