package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCommitStepRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, clock := openTest(t)
	started := t0.Add(-3 * time.Second)
	expires := t0.AddDate(2, 0, 0)

	err := db.CommitStep(ctx, StepCommit{
		Profile: "acme", Integration: "vetty-chattr", StepID: "vetty-key",
		Status: StatusDone, Proof: "verified",
		Values:     map[string]string{"user": "ops@acme.test", "ip_allowlist": "10.0.0.0/8", "expiry_months": "24"},
		SecretKeys: []string{"api_key"},
		StartedAt:  started,
		Detail:     "key lists 3 packages",
		Secrets:    []SecretMeta{{Key: "api_key", Backend: "keyring", Last4: "9f2c", ExpiresAt: expires}},
	})
	if err != nil {
		t.Fatalf("CommitStep: %v", err)
	}

	states, err := db.StepStates(ctx, "acme", "vetty-chattr")
	if err != nil {
		t.Fatal(err)
	}
	want := StepState{
		Integration: "vetty-chattr", StepID: "vetty-key", Status: StatusDone, Proof: "verified",
		Values:      map[string]string{"user": "ops@acme.test", "ip_allowlist": "10.0.0.0/8", "expiry_months": "24"},
		CompletedAt: t0, UpdatedAt: t0,
	}
	if got := states["vetty-key"]; !reflect.DeepEqual(got, want) {
		t.Errorf("step state\n got %+v\nwant %+v", got, want)
	}
	if len(states) != 1 {
		t.Errorf("%d step states, want 1", len(states))
	}

	runs, err := db.StepRuns(ctx, "acme", "vetty-chattr", "vetty-key", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
	wantRun := StepRun{ID: runs[0].ID, Profile: "acme", Integration: "vetty-chattr", StepID: "vetty-key",
		StartedAt: started, FinishedAt: t0, Outcome: StatusDone, Proof: "verified", Detail: "key lists 3 packages"}
	if !reflect.DeepEqual(runs[0], wantRun) {
		t.Errorf("run\n got %+v\nwant %+v", runs[0], wantRun)
	}

	sec, err := db.Secret(ctx, "acme", "vetty-chattr", "api_key")
	if err != nil {
		t.Fatal(err)
	}
	wantSec := SecretMeta{Profile: "acme", Integration: "vetty-chattr", Key: "api_key", Backend: "keyring",
		Last4: "9f2c", CreatedAt: t0, ExpiresAt: expires, Status: SecretCurrent}
	if !reflect.DeepEqual(sec, wantSec) {
		t.Errorf("secret\n got %+v\nwant %+v", sec, wantSec)
	}

	events, err := db.Events(ctx, EventFilter{Profile: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Kind != EventStepRun || events[0].Step != "vetty-key" ||
		events[0].Integration != "vetty-chattr" || !events[0].At.Equal(t0) {
		t.Errorf("events %+v, want one step_run event for vetty-key at t0", events)
	}

	// A later re-run with new answers replaces the state and adds history.
	clock.Advance(time.Hour)
	err = db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: "vetty-chattr", StepID: "vetty-key",
		Proof: "unverified", Values: map[string]string{"user": "it@acme.test"}})
	if err != nil {
		t.Fatal(err)
	}
	states, _ = db.StepStates(ctx, "acme", "vetty-chattr")
	got := states["vetty-key"]
	if got.Proof != "unverified" || got.Values["user"] != "it@acme.test" || len(got.Values) != 1 ||
		!got.CompletedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after re-run: %+v", got)
	}
	if runs, _ := db.StepRuns(ctx, "acme", "vetty-chattr", "", 0); len(runs) != 2 || runs[0].Proof != "unverified" {
		t.Errorf("runs after re-run, newest first: %+v", runs)
	}
}

func TestCommitStepTodoKeepsStepIncomplete(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	err := db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: "certn-lever", StepID: "certn-packages",
		Status: StatusTodo, Values: map[string]string{"packages": "Basic:sin"}})
	if err != nil {
		t.Fatal(err)
	}
	states, _ := db.StepStates(ctx, "acme", "certn-lever")
	s := states["certn-packages"]
	if s.Status != StatusTodo || !s.CompletedAt.IsZero() || s.Values["packages"] != "Basic:sin" {
		t.Errorf("saved todo step: %+v", s)
	}
}

func TestCommitStepMarksDependentsForRerun(t *testing.T) {
	ctx := context.Background()
	db, clock := openTest(t)
	for _, step := range []string{"lever-key", "certn-credentials"} {
		if err := db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: "certn-lever", StepID: step,
			Proof: "attested"}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)
	err := db.CommitStep(ctx, StepCommit{
		Profile: "acme", Integration: "certn-lever", StepID: "lever-key", Proof: "verified",
		Secrets:     []SecretMeta{{Key: "api_key", Backend: "keyring", Last4: "abcd"}},
		MarkRerun:   []string{"certn-credentials", "lever-trigger-stage"}, // the second was never done
		RerunReason: "api_key rotated",
		Events:      []Event{{Kind: EventRotation, Summary: "Rotated api_key", Detail: map[string]string{"key": "api_key"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	states, _ := db.StepStates(ctx, "acme", "certn-lever")
	if got := states["certn-credentials"]; got.Status != StatusNeedsRerun || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("certn-credentials: %+v, want needs_rerun updated now", got)
	}
	if got := states["certn-credentials"]; got.Proof != "attested" || !got.CompletedAt.Equal(t0) {
		t.Errorf("certn-credentials kept proof and completion: %+v", got)
	}
	if _, ok := states["lever-trigger-stage"]; ok {
		t.Errorf("a step never done must stay to do, got %+v", states["lever-trigger-stage"])
	}

	events, _ := db.Events(ctx, EventFilter{Profile: "acme", Limit: 2})
	if len(events) != 2 || events[0].Kind != EventNeedsRerun || events[1].Kind != EventRotation {
		t.Fatalf("latest events %+v, want needs_rerun then rotation", events)
	}
	if events[0].Detail["steps"] != "certn-credentials" || events[0].Detail["reason"] != "api_key rotated" {
		t.Errorf("needs_rerun detail %v", events[0].Detail)
	}
	if events[1].Step != "lever-key" || events[1].Detail["key"] != "api_key" {
		t.Errorf("rotation event %+v, want step lever-key and its detail", events[1])
	}
}

// A failure in the last write of a commit (the audit event) must leave no
// trace of the earlier ones.
func TestCommitStepIsAtomic(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if err := db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: "charthop-lever", StepID: "charthop-connect",
		Proof: "attested"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, `CREATE TRIGGER refuse_boom BEFORE INSERT ON events
		WHEN NEW.summary = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)
	err := db.CommitStep(ctx, StepCommit{
		Profile: "acme", Integration: "charthop-lever", StepID: "lever-key", Proof: "verified",
		Values:    map[string]string{"region": "us"},
		Secrets:   []SecretMeta{{Key: "api_key", Backend: "keyring", Last4: "wxyz"}},
		MarkRerun: []string{"charthop-connect"},
		Events:    []Event{{Kind: EventRotation, Summary: "fine"}, {Kind: EventRotation, Summary: "boom"}},
	})
	if err == nil {
		t.Fatal("CommitStep succeeded despite the failing event insert")
	}
	if after := snapshot(t, db); after != before {
		t.Errorf("a failed commit changed the database:\nbefore %+v\nafter  %+v", before, after)
	}
	states, _ := db.StepStates(ctx, "acme", "charthop-lever")
	if states["charthop-connect"].Status != StatusDone {
		t.Errorf("re-run mark survived the rollback: %+v", states["charthop-connect"])
	}
}

type tableCounts struct{ states, runs, secrets, events, profiles int }

func snapshot(t *testing.T, db *DB) tableCounts {
	return tableCounts{
		states:   count(t, db, "SELECT count(*) FROM step_state"),
		runs:     count(t, db, "SELECT count(*) FROM step_runs"),
		secrets:  count(t, db, "SELECT count(*) FROM secrets"),
		events:   count(t, db, "SELECT count(*) FROM events"),
		profiles: count(t, db, "SELECT count(*) FROM profiles"),
	}
}

func TestCommitStepRefusals(t *testing.T) {
	base := func() StepCommit {
		return StepCommit{Profile: "acme", Integration: "certn-lever", StepID: "lever-signing-token", Proof: "checked"}
	}
	tests := []struct {
		name    string
		edit    func(*StepCommit)
		wantErr error
	}{
		{"secret among the answers", func(c *StepCommit) {
			c.Values = map[string]string{"signing_token": "s3cr3t-q7"}
			c.SecretKeys = []string{"signing_token"}
		}, ErrSecretInValues},
		{"secret in an event detail", func(c *StepCommit) {
			c.SecretKeys = []string{"signing_token"}
			c.Events = []Event{{Kind: EventStepRun, Summary: "x", Detail: map[string]string{"signing_token": "s3cr3t-q7"}}}
		}, ErrSecretInValues},
		{"empty profile", func(c *StepCommit) { c.Profile = "" }, ErrInvalid},
		{"profile with a slash", func(c *StepCommit) { c.Profile = "a/b" }, ErrInvalid},
		{"empty step", func(c *StepCommit) { c.StepID = "" }, ErrInvalid},
		{"unknown status", func(c *StepCommit) { c.Status = "finished" }, ErrInvalid},
		{"secret of another integration", func(c *StepCommit) {
			c.Secrets = []SecretMeta{{Integration: "vetty-chattr", Key: "api_key", Backend: "keyring"}}
		}, ErrInvalid},
		{"whole secret as last4", func(c *StepCommit) {
			c.Secrets = []SecretMeta{{Key: "signing_token", Backend: "keyring", Last4: "sk_q7zzzz"}}
		}, ErrInvalid},
		{"secret without backend", func(c *StepCommit) {
			c.Secrets = []SecretMeta{{Key: "signing_token"}}
		}, ErrInvalid},
		{"marks itself", func(c *StepCommit) { c.MarkRerun = []string{"lever-signing-token"} }, ErrInvalid},
		{"event without kind", func(c *StepCommit) { c.Events = []Event{{Summary: "x"}} }, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTest(t)
			c := base()
			tt.edit(&c)
			err := db.CommitStep(context.Background(), c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CommitStep: %v, want %v", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "sk_q7")) {
				t.Errorf("error %q repeats a secret value", err)
			}
			if got := snapshot(t, db); got != (tableCounts{}) {
				t.Errorf("a refused commit wrote %+v", got)
			}
		})
	}
}

func TestCommitStepLeavesCallerSlicesAlone(t *testing.T) {
	db, _ := openTest(t)
	secrets := []SecretMeta{{Key: "api_key", Backend: "keyring"}}
	events := []Event{{Kind: EventRotation, Summary: "Rotated"}}
	err := db.CommitStep(context.Background(), StepCommit{Profile: "acme", Integration: "vetty-chattr",
		StepID: "vetty-key", Secrets: secrets, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if secrets[0].Profile != "" || !secrets[0].CreatedAt.IsZero() || events[0].Profile != "" || !events[0].At.IsZero() {
		t.Errorf("CommitStep filled defaults into the caller's slices: %+v %+v", secrets, events)
	}
}

func TestMarkNeedsRerun(t *testing.T) {
	ctx := context.Background()
	db, clock := openTest(t)
	for _, step := range []string{"chattr-connect", "chattr-packages"} {
		if err := db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: "vetty-chattr", StepID: step}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Second)
	if err := db.MarkNeedsRerun(ctx, "acme", "vetty-chattr", []string{"chattr-connect", "vetty-webhook"}, "key rotated"); err != nil {
		t.Fatal(err)
	}
	states, _ := db.StepStates(ctx, "acme", "vetty-chattr")
	if states["chattr-connect"].Status != StatusNeedsRerun || states["chattr-packages"].Status != StatusDone {
		t.Errorf("states after MarkNeedsRerun: %+v", states)
	}
	if n, _ := db.CountEvents(ctx, EventFilter{Profile: "acme"}); n != 3 {
		t.Errorf("%d events, want 2 step runs + 1 needs_rerun", n)
	}
	// Nothing to change: no event.
	if err := db.MarkNeedsRerun(ctx, "acme", "vetty-chattr", []string{"chattr-connect"}, "again"); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountEvents(ctx, EventFilter{Profile: "acme"}); n != 3 {
		t.Errorf("%d events after a no-op mark, want 3", n)
	}
}

func TestResetSteps(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	for _, step := range []string{"lever-key", "certn-packages", "certn-enable"} {
		if err := db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: "certn-lever", StepID: step,
			Secrets: secretsFor(step)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: "vetty-chattr", StepID: "vetty-key"}); err != nil {
		t.Fatal(err)
	}

	if err := db.ResetSteps(ctx, "acme", "certn-lever", []string{"certn-enable", "lever-trigger-stage"}); err != nil {
		t.Fatal(err)
	}
	states, _ := db.StepStates(ctx, "acme", "certn-lever")
	if _, ok := states["certn-enable"]; ok || len(states) != 2 {
		t.Errorf("after resetting certn-enable: %+v", states)
	}
	events, _ := db.Events(ctx, EventFilter{Profile: "acme", Integration: "certn-lever", Limit: 1})
	if len(events) != 1 || events[0].Kind != EventReset || events[0].Detail["steps"] != "certn-enable" {
		t.Errorf("reset event %+v", events)
	}

	if err := db.ResetSteps(ctx, "acme", "certn-lever", nil); err != nil {
		t.Fatal(err)
	}
	all, _ := db.AllStepStates(ctx, "acme")
	if len(all["certn-lever"]) != 0 || len(all["vetty-chattr"]) != 1 {
		t.Errorf("after resetting all of certn-lever: %+v", all)
	}
	if secs, _ := db.Secrets(ctx, "acme", "certn-lever"); len(secs) != 1 {
		t.Errorf("reset must keep secret metadata, got %+v", secs)
	}
	if err := db.ResetSteps(ctx, "acme", "", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("ResetSteps without integration: %v, want ErrInvalid", err)
	}
}

func secretsFor(step string) []SecretMeta {
	if step == "lever-key" {
		return []SecretMeta{{Key: "api_key", Backend: "keyring", Last4: "1234"}}
	}
	return nil
}

func TestAllStepStates(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	commits := []StepCommit{
		{Profile: "acme", Integration: "vetty-chattr", StepID: "vetty-key"},
		{Profile: "acme", Integration: "vetty-chattr", StepID: "vetty-webhook"},
		{Profile: "acme", Integration: "charthop-lever", StepID: "charthop-install"},
		{Profile: "globex", Integration: "vetty-chattr", StepID: "vetty-key"},
	}
	for _, c := range commits {
		if err := db.CommitStep(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.AllStepStates(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || len(all["vetty-chattr"]) != 2 || len(all["charthop-lever"]) != 1 {
		t.Errorf("AllStepStates(acme) = %+v", all)
	}
	if all["vetty-chattr"]["vetty-key"].Values == nil {
		t.Error("Values must never be nil")
	}
	none, err := db.AllStepStates(ctx, "nobody")
	if err != nil || len(none) != 0 {
		t.Errorf("AllStepStates(nobody) = %v, %v", none, err)
	}
}

func TestAddStepRunRecordsFailures(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	err := db.AddStepRun(ctx, StepRun{Profile: "acme", Integration: "vetty-chattr", StepID: "vetty-key",
		Outcome: "failed", Detail: "Vetty answered 401: check the IP range"})
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := db.StepRuns(ctx, "acme", "vetty-chattr", "vetty-key", 5)
	if len(runs) != 1 || runs[0].Outcome != "failed" || !runs[0].StartedAt.Equal(t0) {
		t.Errorf("runs %+v", runs)
	}
	if states, _ := db.StepStates(ctx, "acme", "vetty-chattr"); len(states) != 0 {
		t.Errorf("a failed run changed step state: %+v", states)
	}
	if err := db.AddStepRun(ctx, StepRun{Profile: "acme", Integration: "vetty-chattr", StepID: "vetty-key"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("run without outcome: %v, want ErrInvalid", err)
	}
}
