package steps

import (
	"slices"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	in := mustLookup(t, "certn-lever") // 6 steps
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	done := func(p Proof) StepRecord { return StepRecord{Status: StatusDone, Proof: p, CompletedAt: at} }
	all := map[string]StepRecord{}
	for _, id := range in.StepIDs() {
		all[id] = done(ProofChecked)
	}
	with := func(base map[string]StepRecord, id string, r StepRecord) map[string]StepRecord {
		m := map[string]StepRecord{}
		for k, v := range base {
			m[k] = v
		}
		m[id] = r
		return m
	}
	tests := []struct {
		name       string
		records    map[string]StepRecord
		attention  []string
		state      State
		done       int
		next       string
		statuses   map[string]Status
		proofs     map[string]Proof
		unverified []string
		attn       []string
	}{
		{name: "nothing recorded", state: StateNotStarted, next: "lever-key",
			statuses: map[string]Status{"lever-key": StatusTodo, "lever-trigger-stage": StatusTodo}},
		{name: "todo records only", records: map[string]StepRecord{"lever-key": {Status: StatusTodo}},
			state: StateNotStarted, next: "lever-key"},
		{name: "first done", records: map[string]StepRecord{"lever-key": done(ProofVerified)},
			state: StateInProgress, done: 1, next: "lever-signing-token",
			proofs: map[string]Proof{"lever-key": ProofVerified, "lever-signing-token": ""}},
		{name: "later done, first not", records: map[string]StepRecord{"certn-packages": done(ProofChecked)},
			state: StateInProgress, done: 1, next: "lever-key"},
		{name: "all done", records: all, state: StateComplete, done: 6, next: ""},
		{name: "all done with unverified", records: with(all, "lever-trigger-stage", done(ProofUnverified)),
			state: StateComplete, done: 6, unverified: []string{"lever-trigger-stage"}},
		{name: "all done, caller flags expiry", records: all, attention: []string{"api_key expires in 12 days"},
			state: StateNeedsAttention, done: 6, attn: []string{"api_key expires in 12 days"}},
		{name: "rerun after rotation", records: with(all, "certn-credentials", StepRecord{Status: StatusNeedsRerun, Proof: ProofAttested, CompletedAt: at}),
			state: StateNeedsAttention, done: 5, next: "certn-credentials",
			statuses: map[string]Status{"certn-credentials": StatusNeedsRerun},
			proofs:   map[string]Proof{"certn-credentials": ProofAttested},
			attn:     []string{"certn-credentials needs a re-run"}},
		{name: "rerun and flag", records: with(all, "certn-credentials", StepRecord{Status: StatusNeedsRerun}), attention: []string{"live check failed"},
			state: StateNeedsAttention, done: 5, next: "certn-credentials",
			attn: []string{"certn-credentials needs a re-run", "live check failed"}},
		{name: "flag before any step", attention: []string{"orphaned secret"}, state: StateNeedsAttention, next: "lever-key",
			attn: []string{"orphaned secret"}},
		{name: "unknown status is todo", records: map[string]StepRecord{"lever-key": {Status: "paused", Proof: ProofVerified}},
			state: StateNotStarted, next: "lever-key",
			statuses: map[string]Status{"lever-key": StatusTodo}, proofs: map[string]Proof{"lever-key": ""}},
		{name: "records of removed steps ignored", records: with(all, "old-step", done(ProofChecked)),
			state: StateComplete, done: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Evaluate(in, tt.records, tt.attention)
			if p.Integration != "certn-lever" || p.Total != 6 || len(p.Steps) != 6 {
				t.Fatalf("integration %q total %d steps %d", p.Integration, p.Total, len(p.Steps))
			}
			if p.State != tt.state || p.Done != tt.done || p.Next != tt.next {
				t.Errorf("state %s done %d next %q; want %s %d %q", p.State, p.Done, p.Next, tt.state, tt.done, tt.next)
			}
			for i, sp := range p.Steps {
				if sp.StepID != in.Steps[i].ID {
					t.Errorf("step %d is %s, want %s", i, sp.StepID, in.Steps[i].ID)
				}
				if want, ok := tt.statuses[sp.StepID]; ok && sp.Status != want {
					t.Errorf("%s status %s, want %s", sp.StepID, sp.Status, want)
				}
				if want, ok := tt.proofs[sp.StepID]; ok && sp.Proof != want {
					t.Errorf("%s proof %q, want %q", sp.StepID, sp.Proof, want)
				}
				if sp.Status == StatusDone && !sp.CompletedAt.Equal(at) {
					t.Errorf("%s completed at %v", sp.StepID, sp.CompletedAt)
				}
			}
			if !slices.Equal(p.Unverified, tt.unverified) {
				t.Errorf("unverified %v, want %v", p.Unverified, tt.unverified)
			}
			if !slices.Equal(p.Attention, tt.attn) {
				t.Errorf("attention %v, want %v", p.Attention, tt.attn)
			}
		})
	}
}

func TestRerunAfterRotate(t *testing.T) {
	tests := []struct {
		integ, secret string
		want          []string
	}{
		{"vetty-chattr", "api_key", []string{"chattr-connect"}},
		{"certn-lever", "api_key", []string{"certn-credentials"}},
		{"certn-lever", "signing_token", []string{"certn-credentials"}},
		{"charthop-lever", "api_key", []string{"charthop-connect"}},
		{"charthop-lever", "webhook_secret", []string{"charthop-hire-webhook"}},
		{"charthop-lever", "nope", nil},
	}
	for _, tt := range tests {
		got := RerunAfterRotate(mustLookup(t, tt.integ), tt.secret)
		if !slices.Equal(got, tt.want) {
			t.Errorf("RerunAfterRotate(%s, %s) = %v, want %v", tt.integ, tt.secret, got, tt.want)
		}
	}
}

func TestRerunAfterChange(t *testing.T) {
	chop := mustLookup(t, "charthop-lever")
	certn := mustLookup(t, "certn-lever")
	optsDone := map[string]StepRecord{"charthop-options": {Status: StatusDone}, "charthop-source": {Status: StatusDone}}
	stageDone := map[string]StepRecord{"lever-trigger-stage": {Status: StatusDone}}
	tests := []struct {
		name     string
		in       Integration
		step     string
		old, new map[string]string
		records  map[string]StepRecord
		want     []string
	}{
		{"source flipped after options", chop, "charthop-source",
			map[string]string{"source": "charthop"}, map[string]string{"source": "lever"}, optsDone, []string{"charthop-options"}},
		{"source first set", chop, "charthop-source",
			nil, map[string]string{"source": "lever"}, optsDone, []string{"charthop-options"}},
		{"source unchanged", chop, "charthop-source",
			map[string]string{"source": "lever"}, map[string]string{"source": "lever"}, optsDone, nil},
		{"options not done yet", chop, "charthop-source",
			map[string]string{"source": "charthop"}, map[string]string{"source": "lever"}, map[string]StepRecord{"charthop-options": {Status: StatusTodo}}, nil},
		{"options already marked", chop, "charthop-source",
			map[string]string{"source": "charthop"}, map[string]string{"source": "lever"}, map[string]StepRecord{"charthop-options": {Status: StatusNeedsRerun}}, nil},
		{"unrelated step", chop, "lever-key",
			map[string]string{"region": "us"}, map[string]string{"region": "eu"}, optsDone, nil},
		{"certn webhook URL changed", certn, "certn-enable",
			map[string]string{"webhook_url": "https://a.example/x"}, map[string]string{"webhook_url": "https://a.example/y"}, stageDone, []string{"lever-trigger-stage"}},
		{"lever region changed", certn, "lever-key",
			map[string]string{"region": "us"}, map[string]string{"region": "eu"}, stageDone, []string{"lever-trigger-stage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RerunAfterChange(tt.in, tt.step, tt.old, tt.new, tt.records)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, id := range got {
				if RerunReason(tt.in, id, tt.step) == "" {
					t.Errorf("no reason for re-running %s after %s", id, tt.step)
				}
			}
		})
	}
	if RerunReason(chop, "charthop-install", "charthop-source") != "" || RerunReason(chop, "nope", "x") != "" {
		t.Error("RerunReason invents a dependency")
	}
}
