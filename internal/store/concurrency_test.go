package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Environment of the writer child processes of TestConcurrentWriters.
const (
	helperDBEnv = "PATCHBAY_STORE_HELPER_DB"
	helperIDEnv = "PATCHBAY_STORE_HELPER_ID"
)

const writesPerWriter = 200

// writeBatch does the writes one writer contributes: a step commit and a
// separate event per iteration, each its own transaction.
func writeBatch(ctx context.Context, db *DB, writer string) error {
	for i := range writesPerWriter {
		err := db.CommitStep(ctx, StepCommit{
			Profile: "shared", Integration: writer, StepID: fmt.Sprintf("step-%03d", i), Proof: "checked",
			Values:  map[string]string{"i": strconv.Itoa(i)},
			Secrets: []SecretMeta{{Key: fmt.Sprintf("key-%d", i%5), Backend: "keyring", Last4: strconv.Itoa(i % 10000)}},
		})
		if err != nil {
			return fmt.Errorf("writer %s commit %d: %w", writer, i, err)
		}
		if err := db.AddEvent(ctx, Event{Profile: "shared", Integration: writer, Kind: EventVerification,
			Summary: fmt.Sprintf("write %d", i)}); err != nil {
			return fmt.Errorf("writer %s event %d: %w", writer, i, err)
		}
	}
	return nil
}

// TestHelperWriter is not a test: TestConcurrentWriters runs the test binary
// again with this test selected, to get writers in separate processes.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(helperDBEnv)
	if path == "" {
		t.Skip("runs only as a child of TestConcurrentWriters")
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("child Open: %v", err)
	}
	defer db.Close()
	if err := writeBatch(ctx, db, "proc-"+os.Getenv(helperIDEnv)); err != nil {
		t.Fatal(err)
	}
}

// Two processes and two goroutines write to one fresh database at once: the
// migrations must apply exactly once and no SQLITE_BUSY may reach a caller.
func TestConcurrentWriters(t *testing.T) {
	if os.Getenv(helperDBEnv) != "" {
		t.Skip("already a child")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared", "patchbay.db")

	procs := []string{"1", "2"}
	var cmds []*exec.Cmd
	outputs := make([]*lockedBuffer, len(procs))
	for i, id := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), helperDBEnv+"="+path, helperIDEnv+"="+id)
		outputs[i] = &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = outputs[i], outputs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}

	// Open races the children's migrations on the fresh file.
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("parent Open: %v", err)
	}
	defer db.Close()
	goroutines := []string{"go-1", "go-2"}
	errs := make(chan error, len(goroutines))
	var wg sync.WaitGroup
	for _, writer := range goroutines {
		wg.Go(func() { errs <- writeBatch(ctx, db, writer) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer process %s: %v\n%s", procs[i], err, outputs[i].String())
		}
	}
	if t.Failed() {
		return
	}

	ms, _ := loadMigrations()
	if n := count(t, db, "SELECT count(*) FROM schema_migrations"); n != len(ms) {
		t.Errorf("%d migration rows, want %d (applied exactly once each)", n, len(ms))
	}
	for _, writer := range append([]string{"proc-1", "proc-2"}, goroutines...) {
		states, err := db.StepStates(ctx, "shared", writer)
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != writesPerWriter {
			t.Errorf("%s: %d step states, want %d", writer, len(states), writesPerWriter)
		}
		n, err := db.CountEvents(ctx, EventFilter{Profile: "shared", Integration: writer})
		if err != nil {
			t.Fatal(err)
		}
		if n != 2*writesPerWriter {
			t.Errorf("%s: %d events, want %d", writer, n, 2*writesPerWriter)
		}
		if runs, _ := db.StepRuns(ctx, "shared", writer, "", 0); len(runs) != writesPerWriter {
			t.Errorf("%s: %d step runs, want %d", writer, len(runs), writesPerWriter)
		}
		if secs, _ := db.Secrets(ctx, "shared", writer); len(secs) != 5 {
			t.Errorf("%s: %d secrets, want 5", writer, len(secs))
		}
	}
	if got, err := db.IntegrityCheck(ctx); err != nil || got != "ok" {
		t.Errorf("IntegrityCheck after concurrent writes = %q, %v", got, err)
	}
}

// lockedBuffer collects a child's output; exec copies stdout and stderr
// from separate goroutines when they are not *os.File.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// A process holding the fresh database's lock (here: mid-transaction in
// rollback-journal mode) makes Open wait, not fail.
func TestOpenWaitsForAnotherWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "patchbay.db")
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("CREATE TABLE elsewhere (x)"); err != nil {
		t.Fatal(err)
	}

	opened := make(chan error, 1)
	go func() {
		db, err := Open(ctx, path)
		if err == nil {
			_, err = db.EnsureProfile(ctx, "default")
			db.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("Open finished while another connection held the write lock: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-opened; err != nil {
		t.Fatalf("Open after the lock was released: %v", err)
	}
}
