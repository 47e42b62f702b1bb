package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
)

func TestOpenMigratesAndReopensIdempotently(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	path := filepath.Join(t.TempDir(), "patchbay.db")

	for round := 1; round <= 3; round++ {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatalf("round %d: SchemaVersion: %v", round, err)
		}
		if v != len(ms) {
			t.Errorf("round %d: schema version %d, want %d", round, v, len(ms))
		}
		if n := count(t, db, "SELECT count(*) FROM schema_migrations"); n != len(ms) {
			t.Errorf("round %d: %d migration rows, want %d", round, n, len(ms))
		}
		if _, err := db.EnsureProfile(ctx, "default"); err != nil {
			t.Fatalf("round %d: EnsureProfile: %v", round, err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if _, err := db.sql.ExecContext(ctx,
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, db.Path())
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: got %v, want ErrSchemaTooNew", err)
	}
}

func TestMigrationsAreNumberedWithoutGaps(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].name != "0001_init.sql" {
		t.Fatalf("first migration %+v, want 0001_init.sql", ms)
	}
}

func TestPragmas(t *testing.T) {
	db, _ := openTest(t)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"synchronous", "1"}, // NORMAL
	}
	for _, tt := range tests {
		var got string
		if err := db.sql.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
		}
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "xdg", "patchbay")
	path := filepath.Join(dir, "patchbay.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.EnsureProfile(ctx, "default"); err != nil {
		t.Fatal(err)
	}

	wantModes := map[string]fs.FileMode{dir: 0o700, filepath.Dir(dir): 0o700, path: 0o600}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			wantModes[path+suffix] = 0o600
		}
	}
	if _, ok := wantModes[path+"-wal"]; !ok {
		t.Errorf("no -wal file beside the database: WAL mode is not on")
	}
	for p, want := range wantModes {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", p, got, want)
		}
	}
	if problems := db.CheckPermissions(); problems != nil {
		t.Errorf("CheckPermissions on private files: %q", problems)
	}
}

func TestOpenTightensCompanionFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "patchbay.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Another connection keeps -wal/-shm in place while we loosen them, as a
	// file left by an older version or copied by hand would be.
	if err := os.Chmod(path+"-wal", 0o644); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	info, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("-wal mode after reopen %04o, want 0600", got)
	}
}

func TestCheckPermissionsReportsLooseModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	tests := []struct {
		name      string
		fileMode  fs.FileMode
		dirMode   fs.FileMode
		wantParts []string
	}{
		{"private", 0o600, 0o700, nil},
		{"stricter is fine", 0o400, 0o500, nil},
		{"world-readable file", 0o644, 0o700, []string{"database file", "0644", "chmod 600"}},
		{"group-open directory", 0o600, 0o750, []string{"directory", "0750", "chmod 700"}},
		// /tmp: never advise chmod of a shared directory.
		{"sticky shared directory", 0o600, fs.ModeSticky | 0o777, []string{"shared with other users", "1777", "mkdir -m 700", "private"}},
		{"world-writable directory", 0o600, 0o777, []string{"shared with other users", "mkdir -m 700"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTest(t)
			dir := filepath.Dir(db.Path())
			t.Cleanup(func() { os.Chmod(dir, 0o700) }) // let TempDir clean up
			if err := os.Chmod(db.Path(), tt.fileMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			problems := db.CheckPermissions()
			for _, p := range problems {
				if strings.Contains(p.String(), "chmod") && strings.Contains(p.Detail, "shared") {
					t.Errorf("advises chmod of a shared directory: %q", p)
				}
			}
			if tt.wantParts == nil {
				if problems != nil {
					t.Fatalf("problems %q, want none", problems)
				}
				return
			}
			if len(problems) != 1 {
				t.Fatalf("problems %q, want exactly one", problems)
			}
			for _, part := range tt.wantParts {
				if !strings.Contains(problems[0].String(), part) {
					t.Errorf("problem %q does not mention %q", problems[0], part)
				}
			}
		})
	}
}

func TestOpenPathNeedingEscapes(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "we?ird #dir %41")
	path := filepath.Join(dir, "p&b=1.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.EnsureProfile(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) == 0 || names[0] != "p&b=1.db" {
		t.Errorf("files in %s: %q, want p&b=1.db first", dir, names)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
}

func TestOpenRelativePathBecomesAbsolute(t *testing.T) {
	t.Chdir(t.TempDir())
	db, err := Open(context.Background(), "rel.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !filepath.IsAbs(db.Path()) || filepath.Base(db.Path()) != "rel.db" {
		t.Errorf("Path() = %q, want an absolute path to rel.db", db.Path())
	}
}

func TestDefaultPath(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name string
		xdg  string
		want string
	}{
		{"xdg set", "/srv/state", "/srv/state/patchbay/patchbay.db"},
		{"xdg unset", "", filepath.Join(home, ".local", "state", "patchbay", "patchbay.db")},
		{"xdg relative is ignored", "rel/state", filepath.Join(home, ".local", "state", "patchbay", "patchbay.db")},
	}
	if _, err := DefaultPath("", ""); err == nil {
		t.Error("DefaultPath with neither a state nor a home directory gave a path")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultPath(tt.xdg, home)
			if err != nil {
				t.Fatal(err)
			}
			if got != filepath.FromSlash(tt.want) {
				t.Errorf("DefaultPath() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIntegrityCheck(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if err := db.CommitStep(ctx, StepCommit{Profile: "default", Integration: "vetty-chattr", StepID: "vetty-key",
		Proof: "verified", Values: map[string]string{"user": "ops"}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.IntegrityCheck(ctx)
	if err != nil || got != "ok" {
		t.Fatalf("IntegrityCheck = %q, %v; want ok", got, err)
	}

	// A row written with foreign keys off is reported, not ignored.
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"PRAGMA foreign_keys = OFF",
		"INSERT INTO check_results (profile, integration, name, result, checked_at) VALUES ('ghost', 'x', 'y', 'valid', 0)",
		"PRAGMA foreign_keys = ON",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	got, err = db.IntegrityCheck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "check_results") {
		t.Errorf("IntegrityCheck = %q, want the orphaned check_results row reported", got)
	}
}

func TestStatusValuesMatchDomain(t *testing.T) {
	pairs := map[string]steps.Status{
		StatusTodo:       steps.StatusTodo,
		StatusDone:       steps.StatusDone,
		StatusNeedsRerun: steps.StatusNeedsRerun,
	}
	for ours, theirs := range pairs {
		if ours != string(theirs) {
			t.Errorf("store status %q differs from steps status %q", ours, theirs)
		}
	}
}

func TestOpenRefusesEmptyPath(t *testing.T) {
	if _, err := Open(context.Background(), ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Open(\"\") = %v, want ErrInvalid", err)
	}
}

// QuickCheck covers the state tables and leaves the event log to the full
// check: an orphaned check result is reported by both, an orphaned event by
// IntegrityCheck only.
func TestQuickCheckScope(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if err := db.CommitStep(ctx, StepCommit{Profile: "default", Integration: "vetty-chattr", StepID: "vetty-key",
		Proof: "verified", Values: map[string]string{"user": "ops"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.QuickCheck(ctx); err != nil || got != "ok" {
		t.Fatalf("QuickCheck = %q, %v; want ok", got, err)
	}
	withoutForeignKeys := func(q string) {
		t.Helper()
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, q := range []string{"PRAGMA foreign_keys = OFF", q, "PRAGMA foreign_keys = ON"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}

	withoutForeignKeys("INSERT INTO events (at, profile, kind, summary) VALUES (0, 'ghost', 'reset', 'orphan')")
	if got, err := db.QuickCheck(ctx); err != nil || got != "ok" {
		t.Errorf("QuickCheck = %q, %v; the event log is the full check's", got, err)
	}
	if got, _ := db.IntegrityCheck(ctx); !strings.Contains(got, "events row") {
		t.Errorf("IntegrityCheck = %q, want the orphaned event reported", got)
	}

	withoutForeignKeys("INSERT INTO check_results (profile, integration, name, result, checked_at) VALUES ('ghost', 'x', 'y', 'valid', 0)")
	if got, _ := db.QuickCheck(ctx); !strings.Contains(got, "check_results row") {
		t.Errorf("QuickCheck = %q, want the orphaned check_results row reported", got)
	}
}

// Read sees one snapshot, never waits for another connection's write
// transaction, and refuses writes.
func TestReadTakesNoWriteLock(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if _, err := db.EnsureProfile(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	inWrite, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- other.Tx(ctx, func(tx *Tx) error {
			if err := tx.AddEvent(ctx, Event{Profile: "acme", Kind: EventReset, Summary: "uncommitted"}); err != nil {
				return err
			}
			close(inWrite)
			<-release
			return nil
		})
	}()
	<-inWrite

	// A bound far below the 10 s busy timeout: a Read that queued behind
	// the writer would run into it.
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err = db.Read(rctx, func(tx *Tx) error {
		if _, err := tx.GetProfile(rctx, "acme"); err != nil {
			return err
		}
		evs, err := tx.Events(rctx, EventFilter{Profile: "acme"})
		if len(evs) != 0 {
			t.Errorf("Read saw %d uncommitted events", len(evs))
		}
		return err
	})
	if err != nil {
		t.Errorf("Read during another connection's write: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	err = db.Read(ctx, func(tx *Tx) error {
		return tx.AddEvent(ctx, Event{Profile: "acme", Kind: EventReset, Summary: "through a read"})
	})
	if err == nil {
		t.Error("a write through Read succeeded")
	}
}
