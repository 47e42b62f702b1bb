package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// holdWriteEnv names the database TestHelperHoldWriteTx holds a write
// transaction on; unset, that test is skipped.
const holdWriteEnv = "PATCHBAY_TEST_HOLD_WRITE_TX"

// TestHelperHoldWriteTx is another process for TestReadsDoNotWaitForAWriter:
// it begins a write transaction, writes, says "held" and keeps the
// transaction open until its stdin closes.
func TestHelperHoldWriteTx(t *testing.T) {
	path := os.Getenv(holdWriteEnv)
	if path == "" {
		t.Skip("run by TestReadsDoNotWaitForAWriter")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.AddEvent(ctx, store.Event{Profile: "default", Kind: store.EventReset, Summary: "held open"}); err != nil {
			return err
		}
		os.Stdout.WriteString("held\n")
		_, _ = io.Copy(io.Discard, os.Stdin)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// While another process holds SQLite's write lock, the read-only commands
// still answer at once: they read a snapshot and take no write lock.
func TestReadsDoNotWaitForAWriter(t *testing.T) {
	c := newCLI(t)
	addEvents(t, c.db, 1)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldWriteTx$", "-test.v")
	cmd.Env = append(os.Environ(), holdWriteEnv+"="+c.db)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	held := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "held" {
				held <- true
				io.Copy(io.Discard, stdout)
				return
			}
		}
		held <- false
	}()
	select {
	case ok := <-held:
		if !ok {
			t.Fatal("the writer process ended without holding its transaction")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the writer process did not begin its transaction")
	}

	for _, args := range [][]string{{"status", "--json"}, {"history", "--json"}, {"history", "--jsonl", "--limit", "0"}} {
		start := time.Now()
		r := c.run("", args...)
		took := time.Since(start)
		if r.code != 0 && r.code != exitError { // status exits 1 while setup is unfinished
			t.Errorf("%v: exit %d, %q", args, r.code, r.err)
		}
		if took > 100*time.Millisecond {
			t.Errorf("%v took %s with a writer active in another process; want under 100ms", args, took)
		}
		if strings.Contains(r.out, "held open") {
			t.Errorf("%v shows the writer's uncommitted event: %q", args, r.out)
		}
	}
}
