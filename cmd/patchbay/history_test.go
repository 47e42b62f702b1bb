package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/store"
)

// addEvents creates the profile "default" and records n verification
// events for it.
func addEvents(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.EnsureProfile(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			if err := tx.AddEvent(ctx, store.Event{Profile: "default", Integration: "certn-lever", Step: "lever-key",
				Kind: store.EventVerification, Summary: fmt.Sprintf("check %d <ok> & \"quoted\"", i),
				Detail: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The streamed --json is byte for byte what encoding the whole report at
// once gives, for an empty log and a full one; --jsonl is the same events,
// one a line.
func TestHistoryJSONStreams(t *testing.T) {
	for _, n := range []int{0, 1, 250} {
		t.Run(fmt.Sprintf("%d events", n), func(t *testing.T) {
			c := newCLI(t)
			addEvents(t, c.db, n)

			db, err := store.Open(context.Background(), c.db)
			if err != nil {
				t.Fatal(err)
			}
			report, err := (&app.Service{DB: db, Profile: "default"}).History(context.Background(), "", 0)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(report); err != nil {
				t.Fatal(err)
			}

			r := c.run("", "history", "--json", "--limit", "0")
			if r.code != 0 || r.out != want.String() {
				t.Fatalf("history --json: exit %d %q\n got: %s\nwant: %s", r.code, r.err, r.out, want.String())
			}

			r = c.run("", "history", "--jsonl", "--limit", "0")
			lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
			if r.out == "" {
				lines = nil
			}
			if r.code != 0 || len(lines) != len(report.Events) {
				t.Fatalf("history --jsonl: exit %d %q, %d lines for %d events", r.code, r.err, len(lines), len(report.Events))
			}
			for i, line := range lines {
				var e app.HistoryEntry
				if err := json.Unmarshal([]byte(line), &e); err != nil || e.ID != report.Events[i].ID || e.Summary != report.Events[i].Summary {
					t.Fatalf("line %d = %q (%v), want event %d", i, line, err, report.Events[i].ID)
				}
			}

			if r := c.run("", "history", "--jsonl", "--limit", "2"); strings.Count(r.out, "\n") != min(2, len(report.Events)) {
				t.Errorf("--jsonl --limit 2 printed %q", r.out)
			}
		})
	}
}

func TestHistoryJSONAndJSONLExclusive(t *testing.T) {
	c := newCLI(t)
	if r := c.run("", "history", "--json", "--jsonl"); r.code != exitUsage || !strings.Contains(r.err, "--jsonl") {
		t.Errorf("exit %d, %q", r.code, r.err)
	}
}

// The default check leaves the event log to --full: a broken reference in
// the log is found by --full only, one in the state tables by both.
func TestDoctorFullChecksTheEventLog(t *testing.T) {
	c := newCLI(t)
	addEvents(t, c.db, 0)
	// Written on a connection without foreign keys (SQLite's default), as
	// only damage or another tool could.
	raw, err := sql.Open("sqlite", c.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("INSERT INTO events (at, profile, kind, summary) VALUES (0, 'ghost', 'reset', 'orphan')"); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	quick := c.run("", "doctor", "--offline")
	if !strings.Contains(quick.out, "ok    integrity ok (every table but the audit log") {
		t.Errorf("doctor --offline:\n%s", quick.out)
	}
	full := c.run("", "doctor", "--offline", "--full")
	if full.code != exitError || !strings.Contains(full.out, "FAIL  integrity events row") || !strings.Contains(full.out, "of the database, every page") {
		t.Errorf("doctor --offline --full: exit %d\n%s", full.code, full.out)
	}
}

// The text table is written as the log is read: its columns are laid out
// from the catalog, so every row lines up without the rows being held, and
// what a vendor named is shown, never obeyed.
func TestHistoryTextTable(t *testing.T) {
	c := newCLI(t)
	addEvents(t, c.db, 0)
	if r := c.run("", "history"); r.code != 0 || r.out != "Nothing recorded yet for profile default.\n" {
		t.Fatalf("empty log: exit %d, %q", r.code, r.out)
	}
	if r := c.run("", "history", "vetty-chattr"); r.code != 0 || r.out != "Nothing recorded yet for vetty-chattr in profile default.\n" {
		t.Fatalf("empty log of one integration: exit %d, %q", r.code, r.out)
	}

	db, err := store.Open(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	events := []store.Event{
		{Profile: "default", Integration: "certn-lever", Step: "lever-key", Kind: store.EventStepRun, Summary: "Generate the Lever key: done — verified"},
		{Profile: "default", Kind: store.EventRecovery, Summary: "finished an interrupted write"},
		{Profile: "default", Integration: "vetty-chattr", Step: "chattr-packages", Kind: store.EventVerification,
			Summary: "package \x1b]0;pwned\x07Gold\nrenamed \u202eevil"},
	}
	for _, e := range events {
		if err := db.Tx(context.Background(), func(tx *store.Tx) error { return tx.AddEvent(context.Background(), e) }); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	r := c.run("", "history")
	if r.code != 0 {
		t.Fatalf("exit %d, %q", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "TIME (UTC)") {
		t.Fatalf("want a header and 3 rows, got:\n%s", r.out)
	}
	// Every row's SUMMARY starts where the header's does.
	col := strings.Index(lines[0], "SUMMARY")
	for i, want := range []string{"package ^[]0;pwned^GGold renamed", "finished an interrupted write", "Generate the Lever key"} {
		row := lines[i+1]
		if !strings.HasPrefix(row[col:], want) {
			t.Errorf("row %d = %q: want its summary %q at column %d", i+1, row, want, col)
		}
	}
	if strings.ContainsAny(r.out, "\x1b\x07\u202e") {
		t.Errorf("a control or bidi character reached the terminal: %q", r.out)
	}
	if !strings.Contains(lines[2], " -  ") {
		t.Errorf("a profile-wide event shows no dash for its integration and step: %q", lines[2])
	}
}
