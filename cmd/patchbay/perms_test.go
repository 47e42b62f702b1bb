//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A database whose folder other users may write to (and which has no
// sticky bit) can be replaced by any of them: every command says so on
// stderr, once; doctor says it among its findings instead.
func TestDatabaseReplaceableByOthersIsSaid(t *testing.T) {
	c := newCLI(t)
	c.makeProfile("default")
	dir := filepath.Dir(c.db)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "status")
	if want := "patchbay: warning: directory " + dir + " is writable by other users (mode 0777): any of them can replace the database; run: chmod go-w " + dir; strings.Count(r.err, want) != 1 {
		t.Errorf("status stderr does not say %q once:\n%s", want, r.err)
	}
	r = c.run("", "doctor", "--offline")
	if strings.Contains(r.err, "warning:") || !strings.Contains(r.out, "perms") {
		t.Errorf("doctor: stderr %q\n%s", r.err, r.out)
	}
	// Sticky, as /tmp is: only the owner may replace what is in it.
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if r := c.run("", "status"); strings.Contains(r.err, "warning:") {
		t.Errorf("a sticky folder: %s", r.err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if r := c.run("", "status"); strings.Contains(r.err, "warning:") {
		t.Errorf("a private folder: %s", r.err)
	}
}
