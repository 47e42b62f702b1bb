package app

import (
	"context"
	"testing"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
)

// Only the secrets recorded as held in memory are forgotten: one kept in
// another store stays, with its step; a second call, or a profile that does
// not exist, changes nothing and creates nothing.
func TestForgetMemoryHeldTouchesOnlyMemorySecrets(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t) // its store is the memory one: what the old demo recorded
	env.run(t, "vetty-chattr", "vetty-key", map[string]string{"user": "admin", "ip_allowlist": "0.0.0.0/0", "expiry_months": "24"},
		map[string]string{"api_key": "vetty-key-memory-0000-1234"})
	env.run(t, "vetty-chattr", "vetty-webhook", map[string]string{"confirmed": "true"}, nil)
	if err := env.db.UpsertSecret(ctx, store.SecretMeta{Profile: "acme", Integration: "certn-lever", Key: "api_key",
		Backend: "vault", Last4: "aa11", CreatedAt: env.now}); err != nil {
		t.Fatal(err)
	}

	held, err := env.svc.ForgetMemoryHeld(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(held.Secrets) != 1 || held.Secrets[0] != (ForgottenSecret{Integration: "vetty-chattr", Key: "api_key", Last4: "1234"}) {
		t.Errorf("forgot %+v", held.Secrets)
	}
	if len(held.Rerun) != 1 || held.Rerun[0].Step != "vetty-key" || held.Rerun[0].Reason != ReasonMemoryHeldStored {
		t.Errorf("marked %+v", held.Rerun)
	}
	if iv := env.integration(t, "vetty-chattr"); iv.Steps[0].Status != steps.StatusNeedsRerun || iv.Steps[1].Status != steps.StatusDone || len(iv.Secrets) != 0 {
		t.Errorf("vetty-chattr after: %+v, secrets %+v", iv.Steps, iv.Secrets)
	}
	if iv := env.integration(t, "certn-lever"); len(iv.Secrets) != 1 || iv.Secrets[0].Backend != "vault" {
		t.Errorf("the vault's secret was touched: %+v", iv.Secrets)
	}

	n, err := env.db.CountEvents(ctx, store.EventFilter{Profile: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := env.svc.ForgetMemoryHeld(ctx); err != nil || len(again.Secrets)+len(again.Rerun) != 0 {
		t.Errorf("a second call: %+v, %v", again, err)
	}
	if m, _ := env.db.CountEvents(ctx, store.EventFilter{Profile: "acme"}); m != n {
		t.Errorf("a second call recorded %d event(s)", m-n)
	}

	env.svc.Profile = "nobody"
	if none, err := env.svc.ForgetMemoryHeld(ctx); err != nil || len(none.Secrets) != 0 {
		t.Errorf("a missing profile: %+v, %v", none, err)
	}
	if _, err := env.db.GetProfile(ctx, "nobody"); err == nil {
		t.Error("ForgetMemoryHeld created a profile")
	}
}
