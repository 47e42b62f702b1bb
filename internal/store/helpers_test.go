package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testClock is a settable clock, safe for concurrent use.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// openTest opens a fresh database in a temporary directory with a clock that
// starts at t0 and only moves when the test says so.
func openTest(t testing.TB) (*DB, *testClock) {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "state", "patchbay.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	clock := &testClock{t: t0}
	db.now = clock.Now
	return db, clock
}

// count runs a count(*) query for assertions that no API exposes directly.
func count(t testing.TB, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
