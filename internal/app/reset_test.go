package app

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

func (e *testEnv) eventKinds(t *testing.T, integration string, n int) []string {
	t.Helper()
	evs, err := e.db.Events(context.Background(), store.EventFilter{Profile: "acme", Integration: integration, Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	return kinds
}

func TestResetKeepsSecretsUnlessTheAdminAgrees(t *testing.T) {
	leverAccount := secrets.Account("acme", "certn-lever", "api_key")
	tokenAccount := secrets.Account("acme", "certn-lever", "signing_token")
	cases := []struct {
		name         string
		step         string
		remove       bool
		rotateFirst  bool
		wantSteps    []string // forgotten
		wantRemoved  []string
		wantKept     []string
		wantGone     []string // store accounts deleted
		wantStays    []string // store accounts untouched
		wantEvents   []string // newest first, of the integration
		checksForgot bool
	}{
		{name: "one step, secret kept", step: "lever-key",
			wantSteps: []string{"lever-key"}, wantKept: []string{"api_key"},
			wantStays: []string{leverAccount, tokenAccount}, wantEvents: []string{store.EventReset}},
		{name: "one step, secret removed", step: "lever-key", remove: true,
			wantSteps: []string{"lever-key"}, wantRemoved: []string{"api_key"},
			wantGone: []string{leverAccount}, wantStays: []string{tokenAccount},
			wantEvents: []string{store.EventSecretRemoved, store.EventReset}, checksForgot: true},
		{name: "one step without a secret", step: "certn-packages", remove: true,
			wantSteps: []string{"certn-packages"}, wantStays: []string{leverAccount, tokenAccount},
			wantEvents: []string{store.EventReset}},
		{name: "whole integration, secrets kept", wantSteps: []string{"lever-key", "lever-signing-token", "certn-packages", "certn-credentials", "certn-enable", "lever-trigger-stage"},
			wantKept: []string{"api_key", "signing_token"}, wantStays: []string{leverAccount, tokenAccount},
			wantEvents: []string{store.EventReset}, checksForgot: true},
		{name: "whole integration, secrets removed with the previous copy", remove: true, rotateFirst: true,
			wantSteps:   []string{"lever-key", "lever-signing-token", "certn-packages", "certn-credentials", "certn-enable", "lever-trigger-stage"},
			wantRemoved: []string{"api_key", "signing_token"},
			wantGone:    []string{leverAccount, leverAccount + ".previous", tokenAccount},
			wantEvents:  []string{store.EventSecretRemoved, store.EventSecretRemoved, store.EventReset}, checksForgot: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			e.completeCertnLever(t, leverKey1)
			e.completeVettyChattr(t, vettyKey1, "24")
			if tc.rotateFirst {
				if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2}); err != nil {
					t.Fatal(err)
				}
			}
			vettyBefore := e.status(t, "vetty-chattr")

			plan, err := e.svc.PlanReset(ctx, "certn-lever", tc.step)
			if err != nil {
				t.Fatal(err)
			}
			var planned []string
			for _, sv := range plan.Secrets {
				planned = append(planned, sv.Key)
			}
			if want := append(append([]string{}, tc.wantRemoved...), tc.wantKept...); !sameSet(planned, want) {
				t.Errorf("plan asks about %v, want %v", planned, want)
			}

			res, err := e.svc.Reset(ctx, ResetRequest{Integration: "certn-lever", Step: tc.step, RemoveSecrets: tc.remove})
			if err != nil {
				t.Fatal(err)
			}
			var removed []string
			for _, r := range res.Removed {
				removed = append(removed, r.Key)
			}
			if !slices.Equal(res.Steps, tc.wantSteps) || !sameSet(removed, tc.wantRemoved) || !sameSet(res.Kept, tc.wantKept) {
				t.Errorf("result steps %v removed %v kept %v; want %v, %v, %v", res.Steps, removed, res.Kept, tc.wantSteps, tc.wantRemoved, tc.wantKept)
			}
			for _, a := range tc.wantGone {
				if _, ok := e.stored(t, a); ok {
					t.Errorf("%s is still stored", a)
				}
			}
			for _, a := range tc.wantStays {
				if _, ok := e.stored(t, a); !ok {
					t.Errorf("%s was removed without consent", a)
				}
			}
			is := e.status(t, "certn-lever")
			for id, st := range stepStatuses(is) {
				if slices.Contains(tc.wantSteps, id) && st != steps.StatusTodo {
					t.Errorf("%s is %s after its reset", id, st)
				}
			}
			var metas []string
			for _, sv := range is.Secrets {
				metas = append(metas, sv.Key)
			}
			for _, k := range tc.wantRemoved {
				if slices.Contains(metas, k) {
					t.Errorf("status still lists the removed %s", k)
				}
			}
			for _, k := range tc.wantKept {
				if !slices.Contains(metas, k) {
					t.Errorf("status lost the kept %s", k)
				}
			}
			if tc.checksForgot != (len(is.Checks) == 0) {
				t.Errorf("checks after the reset: %+v (forgotten wanted: %v)", is.Checks, tc.checksForgot)
			}
			if got := e.eventKinds(t, "certn-lever", len(tc.wantEvents)); !slices.Equal(got, tc.wantEvents) {
				t.Errorf("newest events %v, want %v", got, tc.wantEvents)
			}
			if ops, _ := e.db.PendingOps(ctx, ""); len(ops) != 0 {
				t.Errorf("pending ops left: %+v", ops)
			}
			// Another integration is never touched.
			if after := e.status(t, "vetty-chattr"); after.State != vettyBefore.State || len(after.Secrets) != 1 {
				t.Errorf("vetty-chattr changed: %s, %d secrets", after.State, len(after.Secrets))
			}
			if _, ok := e.stored(t, secrets.Account("acme", "vetty-chattr", "api_key")); !ok {
				t.Error("the Vetty key was removed")
			}
			// A kept secret is offered as "keep current" on the next run.
			if slices.Contains(tc.wantKept, "api_key") && tc.step == "lever-key" {
				in, _ := e.svc.StepInput(ctx, "certn-lever", "lever-key")
				if !in.StoredSecrets["api_key"] {
					t.Error("the kept key is not offered as stored")
				}
				e.run(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, nil)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestDisconnectRemovesTheVettyKeyAndRecordsIt(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeVettyChattr(t, vettyKey1, "24")
	e.completeCertnLever(t, leverKey1)
	account := secrets.Account("acme", "vetty-chattr", "api_key")

	if hint, ok := DisconnectGuidance("vetty-chattr"); !ok || !strings.Contains(hint, "Vetty › Settings › API Management") {
		t.Errorf("guidance %q, %v", hint, ok)
	}
	res, err := e.svc.Disconnect(ctx, "vetty-chattr")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 1 || res.Removed[0].Key != "api_key" || res.Removed[0].Last4 != Last4(vettyKey1) || len(res.Steps) != 4 {
		t.Errorf("result %+v", res)
	}
	if _, ok := e.stored(t, account); ok {
		t.Error("the key is still stored")
	}
	is := e.status(t, "vetty-chattr")
	if is.State != steps.StateNotStarted || len(is.Secrets) != 0 || len(is.Checks) != 0 {
		t.Errorf("after disconnect: %s, secrets %+v, checks %+v", is.State, is.Secrets, is.Checks)
	}
	if got := e.eventKinds(t, "vetty-chattr", 3); !slices.Equal(got, []string{store.EventSecretRemoved, store.EventReset, store.EventDisconnect}) {
		t.Errorf("newest events %v", got)
	}
	evs, _ := e.db.Events(ctx, store.EventFilter{Profile: "acme", Integration: "vetty-chattr", Limit: 3})
	if !strings.Contains(evs[2].Summary, Last4(vettyKey1)) || !strings.Contains(evs[0].Summary, "with your consent") {
		t.Errorf("summaries %q / %q", evs[2].Summary, evs[0].Summary)
	}
	assertNoSecretIn(t, evs)
	if st := e.status(t, "certn-lever").State; st != steps.StateComplete {
		t.Errorf("certn-lever became %s", st)
	}

	if _, err := e.svc.Disconnect(ctx, "vetty-chattr"); !errors.Is(err, ErrNothingToDisconnect) {
		t.Errorf("second disconnect: %v, want ErrNothingToDisconnect", err)
	}
	if _, err := e.svc.Disconnect(ctx, "certn-lever"); !errors.Is(err, ErrCannotDisconnect) {
		t.Errorf("disconnect certn-lever: %v, want ErrCannotDisconnect", err)
	}
	if _, ok := e.stored(t, secrets.Account("acme", "certn-lever", "api_key")); !ok {
		t.Error("a refused disconnect removed a secret")
	}
}

func TestAnInterruptedRemovalIsFinishedAtTheNextStart(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeCertnLever(t, leverKey1)
	account := secrets.Account("acme", "certn-lever", "api_key")
	e.svc.Phase = func(p string) {
		if p == PointCommitted {
			panic(errCrash)
		}
	}
	func() {
		defer func() {
			if r := recover(); r != errCrash {
				t.Fatalf("recovered %v, want the simulated crash", r)
			}
		}()
		_, _ = e.svc.Reset(ctx, ResetRequest{Integration: "certn-lever", Step: "lever-key", RemoveSecrets: true})
	}()
	e.svc.Phase = nil
	if _, ok := e.stored(t, account); !ok {
		t.Fatal("the crash came before the deletion; the entry should still be there")
	}
	recovered, err := e.svc.Recover(ctx)
	if err != nil || len(recovered) != 1 || recovered[0].Action != "finished" {
		t.Fatalf("recover: %+v, %v", recovered, err)
	}
	if _, ok := e.stored(t, account); ok {
		t.Error("the removal was not finished")
	}
	if ops, _ := e.db.PendingOps(ctx, ""); len(ops) != 0 {
		t.Errorf("pending ops left: %+v", ops)
	}
	if got := e.eventKinds(t, "certn-lever", 1); got[0] != EventRecovery {
		t.Errorf("newest event %v, want recovery", got)
	}
}

func TestHistoryListsEveryKindWithoutASecret(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.completeAll(t)
	if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: "an-invalid-lever-key-9999"}); !errors.Is(err, ErrCheckFailed) {
		t.Fatal(err)
	}
	if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConfirmRevoked(ctx, "certn-lever", "api_key"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reset(ctx, ResetRequest{Integration: "charthop-lever", Step: "charthop-webhook-secret", RemoveSecrets: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Disconnect(ctx, "vetty-chattr"); err != nil {
		t.Fatal(err)
	}

	all, err := e.svc.History(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, h := range all.Events {
		kinds[h.Kind] = true
	}
	for _, k := range []string{store.EventStepRun, store.EventVerification, store.EventRotation, store.EventNeedsRerun,
		store.EventRevocation, store.EventReset, store.EventSecretRemoved, store.EventDisconnect} {
		if !kinds[k] {
			t.Errorf("history has no %s event", k)
		}
	}
	for i := 1; i < len(all.Events); i++ {
		if all.Events[i].ID >= all.Events[i-1].ID {
			t.Fatal("history is not newest first")
		}
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(allTestSecrets, "an-invalid-lever-key-9999") {
		if strings.Contains(string(b), s) {
			t.Errorf("history JSON holds a secret")
		}
	}
	if !strings.Contains(string(b), Last4(leverKey2)) {
		t.Error("history does not name the new key's ending")
	}

	one, err := e.svc.History(ctx, "certn-lever", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Events) != 3 || one.Integration != "certn-lever" {
		t.Fatalf("limited history: %d events for %q", len(one.Events), one.Integration)
	}
	for _, h := range one.Events {
		if h.Integration != "certn-lever" {
			t.Errorf("filtered history holds %s", h.Integration)
		}
	}
	if _, err := e.svc.History(ctx, "nope", 0); !errors.Is(err, steps.ErrUnknownIntegration) {
		t.Errorf("unknown integration: %v", err)
	}
}

// keyringLike hides the memory store's List, as the OS keyring cannot list.
type keyringLike struct{ secrets.Store }

func TestOrphansAreFoundWithAndWithoutListing(t *testing.T) {
	for _, listing := range []bool{true, false} {
		name := map[bool]string{true: "listing store", false: "keyring (no listing)"}[listing]
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			e.completeCertnLever(t, leverKey1)
			if _, err := e.svc.Rotate(ctx, RotateRequest{Integration: "certn-lever", Key: "api_key", NewValue: leverKey2}); err != nil {
				t.Fatal(err)
			}
			if !listing {
				e.svc.Secrets = keyringLike{e.mem}
			}
			// Legitimate entries: both keys, and the previous copy a rotation keeps.
			if orphans, err := e.svc.Orphans(ctx); err != nil || len(orphans) != 0 {
				t.Fatalf("orphans of a clean store: %+v, %v", orphans, err)
			}
			strays := map[string]string{
				"acme/certn-lever/signing_token.staging":  OrphanStaging,
				"acme/vetty-chattr/api_key":               OrphanSecret,
				"acme/charthop-lever/api_key.previous":    OrphanPrevious,
				"acme/charthop-lever/webhook_secret":      OrphanSecret,
				"other/vetty-chattr/api_key":              "", // another profile's: never reported
				"acme/vetty-chattr/api_key.previous.copy": "", // not patchbay's naming (listing only)
			}
			for a := range strays {
				if err := e.mem.Set(ctx, a, "stray-secret-value-0000-zz99"); err != nil {
					t.Fatal(err)
				}
			}
			orphans, err := e.svc.Orphans(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, o := range orphans {
				got[o.Account] = o.Kind
				if o.Reason == "" {
					t.Errorf("%s has no reason", o.Account)
				}
			}
			want := map[string]string{}
			for a, kind := range strays {
				if kind != "" {
					want[a] = kind
				}
			}
			if listing {
				want["acme/vetty-chattr/api_key.previous.copy"] = OrphanSecret
			}
			if len(got) != len(want) {
				t.Errorf("orphans %v, want %v", got, want)
			}
			for a, kind := range want {
				if got[a] != kind {
					t.Errorf("%s: kind %q, want %q", a, got[a], kind)
				}
			}

			// Removal: only of an orphan, and recorded.
			if err := e.svc.RemoveOrphan(ctx, "acme/certn-lever/api_key.previous"); !errors.Is(err, ErrNotOrphan) {
				t.Errorf("removing a kept previous copy: %v, want ErrNotOrphan", err)
			}
			if err := e.svc.RemoveOrphan(ctx, "other/vetty-chattr/api_key"); !errors.Is(err, ErrNotOrphan) {
				t.Errorf("removing another profile's entry: %v, want ErrNotOrphan", err)
			}
			if err := e.svc.RemoveOrphan(ctx, "acme/certn-lever/signing_token.staging"); err != nil {
				t.Fatal(err)
			}
			if _, ok := e.stored(t, "acme/certn-lever/signing_token.staging"); ok {
				t.Error("the orphan is still stored")
			}
			if _, ok := e.stored(t, "acme/certn-lever/signing_token"); !ok {
				t.Error("removing the staging leftover removed the real token")
			}
			evs, _ := e.db.Events(ctx, store.EventFilter{Profile: "acme", Limit: 1})
			if evs[0].Kind != store.EventSecretRemoved || !strings.Contains(evs[0].Summary, "zz99") {
				t.Errorf("newest event %+v, want the removal with the ending", evs[0])
			}
			if strings.Contains(evs[0].Summary, "stray-secret-value") {
				t.Error("the removal event holds the secret")
			}
		})
	}
}
