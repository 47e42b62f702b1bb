package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestProfiles(t *testing.T) {
	ctx := context.Background()
	db, clock := openTest(t)

	if _, err := db.GetProfile(ctx, "acme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetProfile before creation: %v, want ErrNotFound", err)
	}
	p, err := db.EnsureProfile(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Profile{Name: "acme", CreatedAt: t0}); p != want {
		t.Errorf("EnsureProfile = %+v, want %+v", p, want)
	}
	clock.Advance(time.Hour)
	if again, err := db.EnsureProfile(ctx, "acme"); err != nil || again != p {
		t.Errorf("EnsureProfile again = %+v, %v; want the original %+v", again, err, p)
	}
	if err := db.SetSecretsBackend(ctx, "acme", "vault"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSecretsBackend(ctx, "globex", "keyring"); err != nil { // creates globex
		t.Fatal(err)
	}
	list, err := db.ListProfiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Profile{
		{Name: "acme", SecretsBackend: "vault", CreatedAt: t0},
		{Name: "globex", SecretsBackend: "keyring", CreatedAt: t0.Add(time.Hour)},
	}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("ListProfiles =\n%+v\nwant\n%+v", list, want)
	}
	for _, bad := range []string{"", "a/b", `a\b`, "a\nb"} {
		if _, err := db.EnsureProfile(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("EnsureProfile(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestSecretsMetadata(t *testing.T) {
	ctx := context.Background()
	db, clock := openTest(t)
	created := t0.Add(-24 * time.Hour)
	expires := created.AddDate(1, 0, 0)
	first := SecretMeta{Profile: "acme", Integration: "certn-lever", Key: "api_key", Backend: "keyring",
		Last4: "a1b2", CreatedAt: created, ExpiresAt: expires}
	if err := db.UpsertSecret(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertSecret(ctx, SecretMeta{Profile: "acme", Integration: "certn-lever", Key: "signing_token",
		Backend: "keyring", Last4: "zz99"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertSecret(ctx, SecretMeta{Profile: "acme", Integration: "vetty-chattr", Key: "api_key",
		Backend: "vault", Last4: "ñßé€"}); err != nil { // 4 characters, more than 4 bytes
		t.Fatal(err)
	}

	got, err := db.Secret(ctx, "acme", "certn-lever", "api_key")
	if err != nil {
		t.Fatal(err)
	}
	first.Status = SecretCurrent
	if !reflect.DeepEqual(got, first) {
		t.Errorf("Secret =\n%+v\nwant\n%+v", got, first)
	}
	all, _ := db.Secrets(ctx, "acme", "")
	if len(all) != 3 || all[0].Key != "api_key" || all[1].Key != "signing_token" || all[2].Integration != "vetty-chattr" {
		t.Errorf("Secrets(acme, all) order: %+v", all)
	}
	if some, _ := db.Secrets(ctx, "acme", "certn-lever"); len(some) != 2 {
		t.Errorf("Secrets(acme, certn-lever) = %d rows, want 2", len(some))
	}

	// Rotation keeps the previous version until revocation is confirmed.
	clock.Advance(time.Hour)
	rotated := SecretMeta{Profile: "acme", Integration: "certn-lever", Key: "api_key", Backend: "keyring",
		Last4: "c3d4", CreatedAt: clock.Now(), ExpiresAt: clock.Now().AddDate(1, 0, 0),
		Previous: &PreviousSecret{Backend: "keyring", Last4: "a1b2", CreatedAt: created}}
	if err := db.UpsertSecret(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Secret(ctx, "acme", "certn-lever", "api_key")
	if got.Previous == nil || *got.Previous != *rotated.Previous || got.Last4 != "c3d4" {
		t.Errorf("after rotation: %+v (previous %+v)", got, got.Previous)
	}

	verifiedAt := clock.Now().Add(time.Minute)
	if err := db.SetSecretVerified(ctx, "acme", "certn-lever", "api_key", verifiedAt, "unauthorized"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetSecretVerified(ctx, "acme", "certn-lever", "api_key", verifiedAt.Add(time.Minute), ""); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Secret(ctx, "acme", "certn-lever", "api_key")
	if got.Status != "unauthorized" || !got.LastVerifiedAt.Equal(verifiedAt.Add(time.Minute)) {
		t.Errorf("after verification: status %q verified %v", got.Status, got.LastVerifiedAt)
	}

	if err := db.ClearPreviousSecret(ctx, "acme", "certn-lever", "api_key"); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Secret(ctx, "acme", "certn-lever", "api_key")
	if got.Previous != nil {
		t.Errorf("previous survived ClearPreviousSecret: %+v", got.Previous)
	}

	if err := db.DeleteSecretMeta(ctx, "acme", "certn-lever", "signing_token"); err != nil {
		t.Fatal(err)
	}
	missing := []struct {
		name string
		call func() error
	}{
		{"Secret", func() error { _, err := db.Secret(ctx, "acme", "certn-lever", "signing_token"); return err }},
		{"DeleteSecretMeta", func() error { return db.DeleteSecretMeta(ctx, "acme", "certn-lever", "signing_token") }},
		{"SetSecretVerified", func() error {
			return db.SetSecretVerified(ctx, "acme", "certn-lever", "signing_token", time.Time{}, "valid")
		}},
		{"ClearPreviousSecret", func() error { return db.ClearPreviousSecret(ctx, "acme", "nope", "api_key") }},
	}
	for _, m := range missing {
		if err := m.call(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s on a missing secret: %v, want ErrNotFound", m.name, err)
		}
	}
}

func TestUpsertSecretRefusals(t *testing.T) {
	ok := SecretMeta{Profile: "acme", Integration: "vetty-chattr", Key: "api_key", Backend: "keyring", Last4: "1234"}
	tests := []struct {
		name string
		edit func(*SecretMeta)
	}{
		{"last4 too long", func(s *SecretMeta) { s.Last4 = "12345" }},
		{"no backend", func(s *SecretMeta) { s.Backend = "" }},
		{"no key", func(s *SecretMeta) { s.Key = "" }},
		{"no integration", func(s *SecretMeta) { s.Integration = "" }},
		{"bad profile", func(s *SecretMeta) { s.Profile = "x/y" }},
		{"previous without backend", func(s *SecretMeta) {
			s.Previous = &PreviousSecret{Last4: "0000", CreatedAt: t0}
		}},
		{"previous last4 too long", func(s *SecretMeta) {
			s.Previous = &PreviousSecret{Backend: "keyring", Last4: "00000", CreatedAt: t0}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTest(t)
			s := ok
			tt.edit(&s)
			if err := db.UpsertSecret(context.Background(), s); !errors.Is(err, ErrInvalid) {
				t.Fatalf("UpsertSecret: %v, want ErrInvalid", err)
			}
			if n := count(t, db, "SELECT count(*) FROM secrets"); n != 0 {
				t.Errorf("%d secret rows written", n)
			}
		})
	}
}

func TestChecks(t *testing.T) {
	ctx := context.Background()
	db, clock := openTest(t)
	err := db.SaveChecks(ctx, "acme", []CheckResult{
		{Integration: "certn-lever", Name: "lever.key", Result: "valid"},
		{Integration: "certn-lever", Name: "lever.stage", Result: "drift", Detail: "stage Background Check is gone"},
		{Integration: "vetty-chattr", Name: "vetty.key", Result: "unreachable"},
	})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if err := db.SaveChecks(ctx, "acme", []CheckResult{
		{Integration: "certn-lever", Name: "lever.key", Result: "forbidden", Detail: "403 on /stages"},
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Checks(ctx, "acme", "certn-lever")
	if err != nil {
		t.Fatal(err)
	}
	want := []CheckResult{
		{Integration: "certn-lever", Name: "lever.key", Result: "forbidden", Detail: "403 on /stages", CheckedAt: t0.Add(time.Minute)},
		{Integration: "certn-lever", Name: "lever.stage", Result: "drift", Detail: "stage Background Check is gone", CheckedAt: t0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Checks =\n%+v\nwant\n%+v", got, want)
	}
	if all, _ := db.Checks(ctx, "acme", ""); len(all) != 3 {
		t.Errorf("Checks(acme, all) = %d, want 3", len(all))
	}
	if err := db.DeleteChecks(ctx, "acme", "certn-lever"); err != nil {
		t.Fatal(err)
	}
	if all, _ := db.Checks(ctx, "acme", ""); len(all) != 1 || all[0].Integration != "vetty-chattr" {
		t.Errorf("after DeleteChecks: %+v", all)
	}
	if err := db.SaveChecks(ctx, "acme", []CheckResult{{Integration: "x", Name: "y"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("check without result: %v, want ErrInvalid", err)
	}
}

func TestEventsOrderFilterLimit(t *testing.T) {
	ctx := context.Background()
	db, clock := openTest(t)
	add := func(profile, integration, step, summary string) {
		t.Helper()
		clock.Advance(time.Second)
		if err := db.AddEvent(ctx, Event{Profile: profile, Integration: integration, Step: step,
			Kind: EventVerification, Summary: summary, Detail: map[string]string{"n": summary}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		add("acme", "certn-lever", "lever-key", fmt.Sprintf("certn %d", i))
		add("acme", "vetty-chattr", "", fmt.Sprintf("vetty %d", i))
		add("globex", "certn-lever", "", fmt.Sprintf("globex %d", i))
	}

	summaries := func(es []Event) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Summary)
		}
		return out
	}
	all, _ := db.Events(ctx, EventFilter{})
	tests := []struct {
		name   string
		filter EventFilter
		want   []string
		count  int
	}{
		{"profile and integration", EventFilter{Profile: "acme", Integration: "certn-lever", Limit: 3},
			[]string{"certn 4", "certn 3", "certn 2"}, 5},
		{"profile only", EventFilter{Profile: "acme", Limit: 4},
			[]string{"vetty 4", "certn 4", "vetty 3", "certn 3"}, 10},
		{"integration across profiles", EventFilter{Integration: "certn-lever", Limit: 2},
			[]string{"globex 4", "certn 4"}, 10},
		{"paging before an id", EventFilter{Profile: "acme", Integration: "vetty-chattr", BeforeID: all[3].ID},
			[]string{"vetty 3", "vetty 2", "vetty 1", "vetty 0"}, 4},
		{"unknown profile", EventFilter{Profile: "initech"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Events(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(summaries(got), tt.want) {
				t.Errorf("Events = %q, want %q", summaries(got), tt.want)
			}
			n, err := db.CountEvents(ctx, tt.filter)
			if err != nil || n != tt.count {
				t.Errorf("CountEvents = %d, %v; want %d", n, err, tt.count)
			}
		})
	}

	if len(all) != 15 {
		t.Fatalf("%d events, want 15", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID || all[i].At.After(all[i-1].At) {
			t.Fatalf("events not newest first at %d: %+v then %+v", i, all[i-1], all[i])
		}
	}
	newest := all[0]
	want := Event{ID: newest.ID, At: t0.Add(15 * time.Second), Profile: "globex", Integration: "certn-lever",
		Kind: EventVerification, Summary: "globex 4", Detail: map[string]string{"n": "globex 4"}}
	if !reflect.DeepEqual(newest, want) {
		t.Errorf("newest event\n got %+v\nwant %+v", newest, want)
	}
	if all[2].Step != "lever-key" {
		t.Errorf("event step %q, want lever-key", all[2].Step)
	}
	if n := count(t, db, "SELECT count(*) FROM events WHERE step IS NULL"); n != 10 {
		t.Errorf("%d events with a NULL step, want 10 (empty step is stored as NULL)", n)
	}
	if err := db.AddEvent(ctx, Event{Profile: "acme", Kind: EventReset}); !errors.Is(err, ErrInvalid) {
		t.Errorf("event without summary: %v, want ErrInvalid", err)
	}
}

func TestPendingOps(t *testing.T) {
	ctx := context.Background()
	db, clock := openTest(t)
	id, err := db.AddPendingOp(ctx, PendingOp{Profile: "acme", Integration: "certn-lever", Key: "api_key",
		Op: OpRotate, StagingAccount: "acme/certn-lever/api_key.staging", Phase: "staged",
		Meta: map[string]string{"last4": "c3d4", "backend": "keyring"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPendingOp(ctx, PendingOp{Profile: "acme", Integration: "certn-lever", Key: "api_key",
		Op: OpDelete, Phase: "start"}); !errors.Is(err, ErrPendingOpExists) {
		t.Errorf("second op on the same secret: %v, want ErrPendingOpExists", err)
	}
	if _, err := db.AddPendingOp(ctx, PendingOp{Profile: "globex", Integration: "vetty-chattr", Key: "api_key",
		Op: OpSet, Phase: "start"}); err != nil {
		t.Fatal(err)
	}

	clock.Advance(time.Second)
	if err := db.UpdatePendingOpPhase(ctx, id, "committed"); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetPendingOp(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := PendingOp{ID: id, Profile: "acme", Integration: "certn-lever", Key: "api_key", Op: OpRotate,
		StagingAccount: "acme/certn-lever/api_key.staging", Phase: "committed",
		Meta: map[string]string{"last4": "c3d4", "backend": "keyring"}, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetPendingOp =\n%+v\nwant\n%+v", got, want)
	}
	if ops, _ := db.PendingOps(ctx, ""); len(ops) != 2 || ops[0].ID != id {
		t.Errorf("PendingOps(all) = %+v, want 2, oldest first", ops)
	}
	if ops, _ := db.PendingOps(ctx, "globex"); len(ops) != 1 || ops[0].Op != OpSet {
		t.Errorf("PendingOps(globex) = %+v", ops)
	}
	if err := db.DeletePendingOp(ctx, id); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"DeletePendingOp":      db.DeletePendingOp(ctx, id),
		"UpdatePendingOpPhase": db.UpdatePendingOpPhase(ctx, id, "x"),
		"GetPendingOp":         func() error { _, err := db.GetPendingOp(ctx, id); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after delete: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := db.AddPendingOp(ctx, PendingOp{Profile: "acme", Integration: "certn-lever", Key: "api_key",
		Op: "move", Phase: "start"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown op: %v, want ErrInvalid", err)
	}
}

// The two-phase protocol finishes a rotation with one transaction: drop the
// pending op, store the new metadata, log the rotation.
func TestTxCommitsTogetherOrNotAtAll(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	id, err := db.AddPendingOp(ctx, PendingOp{Profile: "acme", Integration: "vetty-chattr", Key: "api_key",
		Op: OpSet, Phase: "written"})
	if err != nil {
		t.Fatal(err)
	}
	finish := func(tx *Tx) error {
		if err := tx.DeletePendingOp(ctx, id); err != nil {
			return err
		}
		if err := tx.UpsertSecret(ctx, SecretMeta{Profile: "acme", Integration: "vetty-chattr", Key: "api_key",
			Backend: "keyring", Last4: "7777"}); err != nil {
			return err
		}
		return tx.AddEvent(ctx, Event{Profile: "acme", Integration: "vetty-chattr", Kind: EventRotation,
			Summary: "Stored api_key"})
	}

	boom := errors.New("keyring went away")
	err = db.Tx(ctx, func(tx *Tx) error {
		if err := finish(tx); err != nil {
			return err
		}
		// A Tx sees its own writes.
		if _, err := tx.GetPendingOp(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("inside the Tx the op should be gone: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want the callback's error", err)
	}
	if ops, _ := db.PendingOps(ctx, "acme"); len(ops) != 1 {
		t.Errorf("rolled-back Tx deleted the pending op")
	}
	if secs, _ := db.Secrets(ctx, "acme", ""); len(secs) != 0 {
		t.Errorf("rolled-back Tx kept secret metadata: %+v", secs)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic inside Tx was swallowed")
			}
		}()
		_ = db.Tx(ctx, func(tx *Tx) error {
			_ = finish(tx)
			panic("bug")
		})
	}()
	if ops, _ := db.PendingOps(ctx, "acme"); len(ops) != 1 {
		t.Errorf("panicking Tx deleted the pending op")
	}

	if err := db.Tx(ctx, finish); err != nil {
		t.Fatal(err)
	}
	if ops, _ := db.PendingOps(ctx, "acme"); len(ops) != 0 {
		t.Errorf("committed Tx left the pending op: %+v", ops)
	}
	if _, err := db.Secret(ctx, "acme", "vetty-chattr", "api_key"); err != nil {
		t.Errorf("committed Tx lost the secret metadata: %v", err)
	}
	if n, _ := db.CountEvents(ctx, EventFilter{Profile: "acme", Integration: "vetty-chattr"}); n != 1 {
		t.Errorf("%d events after the committed Tx, want 1", n)
	}
	// The database is usable after the rollbacks and the panic.
	if _, err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestContextCancelled(t *testing.T) {
	db, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.AddEvent(ctx, Event{Profile: "acme", Kind: EventReset, Summary: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("AddEvent with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := db.Events(ctx, EventFilter{}); err == nil {
		t.Error("Events with a cancelled context succeeded")
	}
}
