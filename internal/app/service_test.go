package app

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

func TestCertnLeverFromFirstStepToLast(t *testing.T) {
	e := newTestEnv(t)
	const key = "lever-key-AAAA-BBBB-CCCC-9z8y"
	e.completeCertnLever(t, key)

	iv := e.integration(t, "certn-lever")
	if iv.State != steps.StateComplete || iv.Done != iv.Total || iv.NextStep != "" {
		t.Fatalf("state %s, %d/%d, next %q; want complete", iv.State, iv.Done, iv.Total, iv.NextStep)
	}
	proofs := map[string]steps.Proof{}
	for _, sv := range iv.Steps {
		proofs[sv.Step.ID] = sv.Proof
	}
	want := map[string]steps.Proof{
		"lever-key": steps.ProofVerified, "lever-signing-token": steps.ProofChecked,
		"certn-packages": steps.ProofChecked, "certn-credentials": steps.ProofAttested,
		"certn-enable": steps.ProofChecked, "lever-trigger-stage": steps.ProofVerified,
	}
	for id, p := range want {
		if proofs[id] != p {
			t.Errorf("%s proof %q, want %q", id, proofs[id], p)
		}
	}
	got, err := e.mem.Get(context.Background(), secrets.Account("acme", "certn-lever", "api_key"))
	if err != nil || got != key {
		t.Fatalf("stored key %q, %v; want the key", got, err)
	}
	var last4 string
	for _, s := range iv.Secrets {
		if s.Key == "api_key" {
			last4 = s.Last4
		}
	}
	if last4 != "9z8y" {
		t.Errorf("last4 %q, want 9z8y", last4)
	}
	// Nothing of the secret is left in staging, and no operation is pending.
	if ops, _ := e.db.PendingOps(context.Background(), ""); len(ops) != 0 {
		t.Errorf("pending ops left: %+v", ops)
	}
	if accounts, _ := e.mem.List(context.Background(), "acme/"); len(accounts) != 2 {
		t.Errorf("secrets store holds %v, want the key and the signing token only", accounts)
	}
	assertNotInFiles(t, filepath.Dir(e.db.Path()), key, "sig-token-0123456789abcdef")
}

// assertNotInFiles fails when any file under dir holds one of the secrets.
func assertNotInFiles(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains a secret", ent.Name())
			}
		}
	}
}

func TestWrongKeyChangesNothingAndSaysWhatToDo(t *testing.T) {
	cases := []struct {
		name, integration, step string
		values                  map[string]string
		key                     string
		wantFix                 string
	}{
		// Lever shows Certn's key only once: copying it again is impossible.
		{"lever invalid", "certn-lever", "lever-key", map[string]string{"region": "us"}, "an-invalid-key-000000", "generate a new one"},
		{"charthop lever invalid", "charthop-lever", "lever-key", map[string]string{"region": "us", "write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"}, "an-invalid-key-000000", "named ChartHop"},
		{"lever forbidden", "certn-lever", "lever-key", map[string]string{"region": "us"}, "a-forbidden-key-00000", "permissions"},
		{"vetty invalid", "vetty-chattr", "vetty-key", map[string]string{"user": "ops@acme.test", "ip_allowlist": "203.0.113.0/24", "expiry_months": "24"}, "vetty-invalid-key-0000", "IP range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			sub := Submission{Integration: tc.integration, Step: tc.step, Values: tc.values, Secrets: map[string]string{"api_key": tc.key}}
			out, err := e.svc.Check(ctx, sub)
			if err != nil {
				t.Fatal(err)
			}
			if out.OK || out.Unreachable {
				t.Fatalf("outcome %+v, want a failed check", out)
			}
			if !strings.Contains(out.Fix, tc.wantFix) {
				t.Errorf("fix %q does not mention %q", out.Fix, tc.wantFix)
			}
			if tc.step == "lever-key" && tc.integration == "certn-lever" && strings.Contains(out.Fix, "copy it again") {
				t.Errorf("fix %q asks to copy again a key Lever shows once", out.Fix)
			}
			if strings.Contains(out.Detail+out.Fix, tc.key) {
				t.Error("the outcome repeats the key")
			}
			if err := e.svc.Complete(ctx, sub, out); !errors.Is(err, ErrCheckFailed) {
				t.Fatalf("complete after a failed check: %v, want ErrCheckFailed", err)
			}
			if iv := e.integration(t, tc.integration); iv.Done != 0 || len(iv.Secrets) != 0 {
				t.Errorf("something was recorded: %d done, secrets %+v", iv.Done, iv.Secrets)
			}
			if accounts, _ := e.mem.List(ctx, ""); len(accounts) != 0 {
				t.Errorf("secrets store holds %v", accounts)
			}
		})
	}
}

func TestUnreachableVendorCompletesUnverified(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	sub := Submission{Integration: "certn-lever", Step: "lever-key", Values: map[string]string{"region": "us"}, Secrets: map[string]string{"api_key": "lever-key-unreachable-01"}}
	e.srv.Close() // nothing listens any more
	out, err := e.svc.Check(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if out.OK || !out.Unreachable {
		t.Fatalf("outcome %+v, want unreachable", out)
	}
	if err := e.svc.Complete(ctx, sub, out); err != nil {
		t.Fatal(err)
	}
	iv := e.integration(t, "certn-lever")
	if iv.Steps[0].Status != steps.StatusDone || iv.Steps[0].Proof != steps.ProofUnverified {
		t.Fatalf("lever-key %s/%s, want done/unverified", iv.Steps[0].Status, iv.Steps[0].Proof)
	}
}

func TestNewKeyMarksTheStepsThatHandedItOn(t *testing.T) {
	e := newTestEnv(t)
	e.completeCertnLever(t, "lever-key-first-0000-1111")
	e.run(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": "lever-key-second-2222-3333"})
	iv := e.integration(t, "certn-lever")
	if iv.State != steps.StateNeedsAttention {
		t.Errorf("state %s, want needs_attention", iv.State)
	}
	for _, sv := range iv.Steps {
		want := steps.StatusDone
		if sv.Step.ID == "certn-credentials" {
			want = steps.StatusNeedsRerun
		}
		if sv.Status != want {
			t.Errorf("%s is %s, want %s", sv.Step.ID, sv.Status, want)
		}
	}
	// Pasting the same key again, or keeping it, marks nothing.
	e.run(t, "certn-lever", "certn-credentials", map[string]string{"confirmed": "true"}, nil)
	e.run(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": "lever-key-second-2222-3333"})
	if iv := e.integration(t, "certn-lever"); iv.State != steps.StateComplete {
		t.Errorf("after pasting the same key again: %s, want complete", iv.State)
	}
	e.run(t, "certn-lever", "certn-credentials", map[string]string{"confirmed": "true"}, nil)
	e.run(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, nil)
	if iv := e.integration(t, "certn-lever"); iv.State != steps.StateComplete {
		t.Errorf("after re-running with the kept key: %s, want complete", iv.State)
	}
}

func TestRecoverFinishesOrRollsBackAnInterruptedWrite(t *testing.T) {
	for _, stopAt := range []string{PointRecorded, PointStaged, PointCommitted, PointPromoted} {
		t.Run(stopAt, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			const key = "lever-key-crashing-0000-abcd"
			e.svc.Phase = func(p string) {
				if p == stopAt {
					panic(errCrash)
				}
			}
			func() {
				defer func() {
					if r := recover(); r != errCrash {
						t.Fatalf("recovered %v, want the simulated crash", r)
					}
				}()
				e.run(t, "certn-lever", "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": key})
			}()
			e.svc.Phase = nil
			if _, err := e.svc.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			iv := e.integration(t, "certn-lever")
			done := iv.Steps[0].Status == steps.StatusDone
			stored, err := e.mem.Get(ctx, secrets.Account("acme", "certn-lever", "api_key"))
			committed := stopAt == PointCommitted || stopAt == PointPromoted
			if done != committed {
				t.Fatalf("step done=%v after a crash at %s", done, stopAt)
			}
			if committed && stored != key {
				t.Fatalf("the database says done but the key is %q, %v", stored, err)
			}
			if !committed && !errors.Is(err, secrets.ErrNotFound) {
				t.Fatalf("rolled back but the key is stored: %v", err)
			}
			if accounts, _ := e.mem.List(ctx, "acme/"); len(accounts) > 1 {
				t.Errorf("leftover entries: %v", accounts)
			}
			if ops, _ := e.db.PendingOps(ctx, ""); len(ops) != 0 {
				t.Errorf("pending ops left: %+v", ops)
			}
			evs, _ := e.db.Events(ctx, store.EventFilter{Profile: "acme"})
			if len(evs) == 0 || evs[0].Kind != "recovery" {
				t.Errorf("no recovery event recorded: %+v", evs)
			}
		})
	}
}

var errCrash = errors.New("simulated crash")

func TestRecoverLeavesAnotherLiveProcesssWriteAlone(t *testing.T) {
	e := newTestEnv(t)
	e.now = time.Now().UTC() // the store stamps the op with the real clock
	ctx := context.Background()
	// The parent process (go test) stands for a second patchbay mid-write.
	id, err := e.db.AddPendingOp(ctx, store.PendingOp{
		Profile: "acme", Integration: "certn-lever", Key: "api_key", Op: store.OpSet,
		StagingAccount: "acme/certn-lever/api_key.staging", Phase: PhaseStaging,
		Meta: map[string]string{"pid": strconv.Itoa(os.Getppid())},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Recover(ctx); err != nil || len(got) != 0 {
		t.Fatalf("recovered %+v, %v; want the live owner's write left alone", got, err)
	}
	if _, err := e.db.GetPendingOp(ctx, id); err != nil {
		t.Fatalf("the pending op is gone: %v", err)
	}
	// Once it is old enough, a reused process ID no longer protects it.
	e.now = e.now.Add(ownerTTL + time.Hour)
	if got, err := e.svc.Recover(ctx); err != nil || len(got) != 1 || got[0].Action != "rolled back" {
		t.Fatalf("recovered %+v, %v; want one rollback", got, err)
	}
}

// The links to Lever's site follow the region the admin chose: an EU
// account signs in at hire.eu.lever.co, not hire.lever.co.
func TestLeverLinksFollowTheRegion(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.run(t, "certn-lever", "lever-key", map[string]string{"region": "eu"}, map[string]string{"api_key": "lever-key-eu-0000-1111"})
	iv := e.integration(t, "certn-lever")
	for _, sv := range iv.Steps {
		if strings.Contains(sv.Step.Link, "lever.co") && !strings.HasPrefix(sv.Step.Link, "https://hire.eu.lever.co/") {
			t.Errorf("%s links to %s; want Lever's EU site", sv.Step.ID, sv.Step.Link)
		}
	}
	if st, _ := iv.Integration.Step("lever-signing-token"); st.Link != "https://hire.eu.lever.co/settings/integrations" {
		t.Errorf("the step screen's lever-signing-token link is %q", st.Link)
	}
	plan, err := e.svc.PlanRotation(ctx, "certn-lever", "api_key")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Step.Link != "https://hire.eu.lever.co/settings/integrations" {
		t.Errorf("the rotation guide links to %q", plan.Step.Link)
	}
	// The catalog itself is not changed for other profiles.
	us, _ := steps.Lookup("certn-lever")
	if st, _ := us.Step("lever-key"); st.Link != steps.LinkLever {
		t.Errorf("the catalog's link became %q", st.Link)
	}
}

// A step completed unverified (the vendor unreachable) becomes verified
// when a later live check of the same thing passes, with an event saying
// so; a failing or unreachable check leaves it unverified.
func TestLiveCheckUpgradesAnUnverifiedStep(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	urls := e.svc.Vendors.(*Vendors).URLs
	leverURL := urls.Lever
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	urls.Lever = dead.URL // unreachable while the step runs
	sub := Submission{Integration: "certn-lever", Step: "lever-key", Values: map[string]string{"region": "us"}, Secrets: map[string]string{"api_key": "lever-key-later-verified-01"}}
	out, err := e.svc.Check(ctx, sub)
	if err != nil || !out.Unreachable {
		t.Fatalf("outcome %+v, %v; want unreachable", out, err)
	}
	if err := e.svc.Complete(ctx, sub, out); err != nil {
		t.Fatal(err)
	}
	proof := func() steps.Proof {
		t.Helper()
		return e.integration(t, "certn-lever").Steps[0].Proof
	}
	if _, err := NewRefresher(e.svc, RefreshOptions{}).RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	if p := proof(); p != steps.ProofUnverified {
		t.Fatalf("after an unreachable live check: %s, want still unverified", p)
	}

	urls.Lever = leverURL // Lever answers again
	if _, err := NewRefresher(e.svc, RefreshOptions{}).RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	if p := proof(); p != steps.ProofVerified {
		t.Fatalf("after Lever accepted the key: %s, want verified", p)
	}
	evs, err := e.db.Events(ctx, store.EventFilter{Profile: "acme", Integration: "certn-lever"})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, ev := range evs {
		if ev.Kind == store.EventVerification && ev.Step == "lever-key" && strings.Contains(ev.Summary, "unverified → verified") {
			found++
		}
	}
	if found != 1 {
		t.Errorf("%d upgrade events, want 1: %+v", found, evs)
	}
	// A later pass records nothing more.
	if _, err := NewRefresher(e.svc, RefreshOptions{}).RefreshAll(ctx); err != nil {
		t.Fatal(err)
	}
	evs, _ = e.db.Events(ctx, store.EventFilter{Profile: "acme", Integration: "certn-lever"})
	again := 0
	for _, ev := range evs {
		if strings.Contains(ev.Summary, "unverified → verified") {
			again++
		}
	}
	if again != 1 {
		t.Errorf("%d upgrade events after a second pass, want 1", again)
	}
}

// A changed answer marks the steps built on it, and the history says why
// in the catalog's words.
func TestChangedAnswerSaysWhyStepsNeedARerun(t *testing.T) {
	e := newTestEnv(t)
	e.completeCertnLever(t, "lever-key-first-0000-1111")
	e.run(t, "certn-lever", "certn-enable", map[string]string{"webhook_url": "https://api.certn.co/lever/webhook/other"}, nil)
	evs, err := e.svc.DB.Events(context.Background(), store.EventFilter{Profile: e.svc.Profile, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Summary, "lever-trigger-stage") && strings.Contains(ev.Summary, "Lever was given the previous Certn webhook URL") {
			return
		}
	}
	t.Errorf("no event says why lever-trigger-stage needs a re-run: %+v", evs)
}
