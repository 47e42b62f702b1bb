package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

const benchEvents = 100_000

// fillLargeLog writes a profile with three integrations' step states and a
// log of the given size spread over three profiles and three integrations. The
// bulk insert is plain SQL so that building the fixture takes well under a
// second; the rows are what the API would write.
func fillLargeLog(tb testing.TB, db *DB, events int) {
	tb.Helper()
	ctx := context.Background()
	for _, p := range []string{"acme", "globex", "initech"} {
		if _, err := db.EnsureProfile(ctx, p); err != nil {
			tb.Fatal(err)
		}
	}
	for _, integ := range []string{"vetty-chattr", "certn-lever", "charthop-lever"} {
		for i := range 6 {
			if err := db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: integ,
				StepID: fmt.Sprintf("step-%d", i), Proof: "checked",
				Values: map[string]string{"region": "us", "stage": "Background Check"}}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	_, err := db.sql.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO events (at, profile, integration, step, kind, summary, detail_json)
		SELECT 1741944413589 + i * 1000,
			CASE i % 3 WHEN 0 THEN 'acme' WHEN 1 THEN 'globex' ELSE 'initech' END,
			CASE (i / 3) % 3 WHEN 0 THEN 'vetty-chattr' WHEN 1 THEN 'certn-lever' ELSE 'charthop-lever' END,
			'lever-key', 'verification', 'Verified key ' || i, '{"result":"valid"}'
		FROM n`, events)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
}

// The dashboard's queries must be index searches without a sort, whatever
// the size of the log: checked on the query plans, not on timings.
func TestEventQueriesUseIndexes(t *testing.T) {
	db, _ := openTest(t)
	const events = 5000 // with ANALYZE, plans are those of the full-size log
	fillLargeLog(t, db, events)
	tests := []struct {
		name  string
		query func() (string, []any)
	}{
		{"events by profile", EventFilter{Profile: "acme", Limit: 50}.query},
		{"events by profile and integration", EventFilter{Profile: "acme", Integration: "certn-lever", Limit: 50}.query},
		{"events page", EventFilter{Profile: "acme", Integration: "certn-lever", Limit: 50, BeforeID: 5000}.query},
		{"count by profile", EventFilter{Profile: "acme"}.countQuery},
		{"count by profile and integration", EventFilter{Profile: "acme", Integration: "certn-lever"}.countQuery},
		{"all step states", func() (string, []any) {
			return "SELECT " + stepStateColumns + " FROM step_state WHERE profile = ?", []any{"acme"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query, args := tt.query()
			rows, err := db.sql.Query("EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := closeRows(rows); err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(plan, "; ")
			if !strings.Contains(joined, "SEARCH") || strings.Contains(joined, "TEMP B-TREE") {
				t.Errorf("plan %q: want an index search and no sort", joined)
			}
		})
	}
	n, err := db.CountEvents(context.Background(), EventFilter{})
	if want := events + 18; err != nil || n != want { // + one event per fixture step commit
		t.Errorf("CountEvents = %d, %v; want %d", n, err, want)
	}
}

func BenchmarkEventsLatest50(b *testing.B) {
	db, _ := openTest(b)
	fillLargeLog(b, db, benchEvents)
	ctx := context.Background()
	for b.Loop() {
		es, err := db.Events(ctx, EventFilter{Profile: "acme", Integration: "certn-lever", Limit: 50})
		if err != nil || len(es) != 50 {
			b.Fatalf("%d events, %v", len(es), err)
		}
	}
}

func BenchmarkEventsPageDeep(b *testing.B) {
	db, _ := openTest(b)
	fillLargeLog(b, db, benchEvents)
	ctx := context.Background()
	for b.Loop() {
		es, err := db.Events(ctx, EventFilter{Profile: "acme", Limit: 50, BeforeID: 1000})
		if err != nil || len(es) != 50 {
			b.Fatalf("%d events, %v", len(es), err)
		}
	}
}

// BenchmarkQuickCheck is doctor's default database check on a log of 1
// event and of 100,000: the two should be about the same.
func BenchmarkQuickCheck(b *testing.B) {
	for _, events := range []int{1, benchEvents} {
		b.Run(fmt.Sprintf("events=%d", events), func(b *testing.B) {
			db, _ := openTest(b)
			fillLargeLog(b, db, events)
			ctx := context.Background()
			for b.Loop() {
				if got, err := db.QuickCheck(ctx); err != nil || got != "ok" {
					b.Fatalf("QuickCheck = %q, %v", got, err)
				}
			}
		})
	}
}

// BenchmarkIntegrityCheckFull is `doctor --full`'s check, which reads every
// page: its cost grows with the log.
func BenchmarkIntegrityCheckFull(b *testing.B) {
	for _, events := range []int{1, benchEvents} {
		b.Run(fmt.Sprintf("events=%d", events), func(b *testing.B) {
			db, _ := openTest(b)
			fillLargeLog(b, db, events)
			ctx := context.Background()
			for b.Loop() {
				if got, err := db.IntegrityCheck(ctx); err != nil || got != "ok" {
					b.Fatalf("IntegrityCheck = %q, %v", got, err)
				}
			}
		})
	}
}

func BenchmarkAllStepStates(b *testing.B) {
	db, _ := openTest(b)
	fillLargeLog(b, db, benchEvents)
	ctx := context.Background()
	for b.Loop() {
		all, err := db.AllStepStates(ctx, "acme")
		if err != nil || len(all) != 3 {
			b.Fatalf("%d integrations, %v", len(all), err)
		}
	}
}

func BenchmarkCommitStep(b *testing.B) {
	db, _ := openTest(b)
	fillLargeLog(b, db, benchEvents)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		err := db.CommitStep(ctx, StepCommit{Profile: "acme", Integration: "certn-lever", StepID: "lever-key",
			Proof: "verified", Values: map[string]string{"region": "us"},
			Secrets:   []SecretMeta{{Key: "api_key", Backend: "keyring", Last4: fmt.Sprintf("%04d", i%10000)}},
			MarkRerun: []string{"step-1"}})
		if err != nil {
			b.Fatal(err)
		}
	}
}
