//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// --output puts a report where a report belongs and nowhere else: never
// over the database, its vault or any SQLite or age file, never over a
// directory, and into a device or FIFO by writing to it, not by replacing
// it. Before, `status -o` renamed a temporary file over whatever it was
// given: the database itself, or a device node.
func TestOutputGoesOnlyWhereAReportBelongs(t *testing.T) {
	c := newCLI(t)
	c.withVault()
	c.makeProfile("default")
	dir := t.TempDir()
	// contents reads a regular file only: reading a FIFO would wait for a
	// writer.
	contents := func(path string) []byte {
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		b, _ := os.ReadFile(path)
		return b
	}
	refused := func(path, why string) {
		t.Helper()
		before := contents(path)
		r := c.run("", "status", "-o", path)
		if r.code != exitUsage || !strings.Contains(r.err, why) || !strings.Contains(r.err, "give") {
			t.Errorf("status -o %s: exit %d, %q; want 2 saying %q", path, r.code, r.err, why)
		}
		if after := contents(path); !bytes.Equal(before, after) {
			t.Errorf("status -o %s changed the file", path)
		}
	}

	refused(c.db, "this patchbay's database")
	// Not made yet, and still theirs: the vault before its first secret,
	// the journal SQLite makes during a write.
	for path, what := range map[string]string{vaultPath(c.db): "this patchbay's vault", c.db + "-journal": "database journal"} {
		refused(path, what)
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("status -o %s made the file", path)
		}
	}
	lock := vaultPath(c.db) + ".lock"
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(lock, "vault lock")
	link := filepath.Join(dir, "report.txt")
	if err := os.Symlink(c.db, link); err != nil {
		t.Fatal(err)
	}
	refused(link, "this patchbay's database")
	copyDB := filepath.Join(dir, "other.db")
	db, _ := os.ReadFile(c.db)
	if err := os.WriteFile(copyDB, db, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(copyDB, "an SQLite database")
	vault := filepath.Join(dir, "customer.secrets.age")
	if err := os.WriteFile(vault, []byte("age-encryption.org/v1\n-> scrypt x 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused(vault, "an encrypted vault")
	refused(dir, "is a directory")
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	refused(fifo, "nothing is reading")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a FIFO without a reader held status for %s", took)
	}
	if r := c.run("", "export", "-o", c.db); r.code != exitUsage {
		t.Errorf("export -o over the database: exit %d, %q", r.code, r.err)
	}

	// A FIFO with a reader, and the null device, are written to. The
	// reader opens first without waiting; the report fits the pipe.
	reader, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.run("", "status", "-o", fifo); r.code != exitOK {
		t.Errorf("status -o FIFO: exit %d, %q", r.code, r.err)
	}
	got, _ := io.ReadAll(reader)
	reader.Close()
	if !strings.Contains(string(got), "profile default") {
		t.Errorf("the FIFO's reader got %q: the FIFO was replaced, not written to", got)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a FIFO", fifo)
	}
	// As root, a private null device: a regression could replace it, and
	// must not replace the machine's. Others cannot write /dev anyway.
	null := os.DevNull
	if os.Geteuid() == 0 {
		null = filepath.Join(dir, "null")
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
			t.Fatal(err)
		}
	}
	if r := c.run("", "status", "-o", null); r.code != exitOK {
		t.Errorf("status -o %s: exit %d, %q", null, r.code, r.err)
	}
	if fi, err := os.Stat(null); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v", null, fi.Mode())
	}
	if r := c.run("", "status", "-o", "-"); r.code != exitOK || !strings.Contains(r.out, "profile default") {
		t.Errorf("status -o -: exit %d, stdout %q", r.code, r.out)
	}

	// A report replaces an earlier one and keeps its mode; a new one is
	// made readable by others (node_exporter reads it), an export is not.
	report := filepath.Join(dir, "status.txt")
	if err := os.WriteFile(report, []byte("last week's report"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(report, 0o640)
	c.must("", "status", "-o", report)
	if b, _ := os.ReadFile(report); !strings.Contains(string(b), "profile default") {
		t.Errorf("the earlier report was not replaced: %q", b)
	}
	for path, want := range map[string]os.FileMode{report: 0o640} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	fresh, export := filepath.Join(dir, "fresh.prom"), filepath.Join(dir, "setup.yaml")
	c.must("", "status", "--format", "prometheus", "-o", fresh)
	c.must("", "export", "-o", export)
	for path, want := range map[string]os.FileMode{fresh: 0o644, export: 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link %s was replaced", link)
	}

	// A file of its own under /dev (tmpfs) is replaced like any other,
	// not added to as a descriptor's file is.
	if _, err := os.Stat("/dev/shm"); err == nil {
		shm := filepath.Join("/dev/shm", "patchbay-output-test-"+strconv.Itoa(os.Getpid())+".prom")
		t.Cleanup(func() { os.Remove(shm) })
		for range 2 {
			c.must("", "status", "--format", "prometheus", "-o", shm)
		}
		if b, _ := os.ReadFile(shm); strings.Count(string(b), "# HELP patchbay_attention_items") != 1 {
			t.Errorf("%s holds the report %d times", shm, strings.Count(string(b), "# HELP patchbay_attention_items"))
		}
	}
}

// -o /dev/stdout reaches whatever standard output is: a pipe is written,
// and a file the shell opened is added to (>>), never replaced. Before,
// a pipe behind /dev/stdout was refused as "a link to nothing".
func TestOutputToDevStdout(t *testing.T) {
	c := newCLI(t)
	c.makeProfile("default")
	bin := patchbayBinary(t)
	run := func(stdout *os.File) (string, error) {
		cmd := exec.Command(bin, "--db", c.db, "status", "-o", "/dev/stdout")
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if stdout != nil {
			cmd.Stdout = stdout
			return errOut.String(), cmd.Run()
		}
		out, err := cmd.Output()
		return string(out) + errOut.String(), err
	}
	if out, err := run(nil); err != nil || !strings.Contains(out, "profile default") {
		t.Errorf("status -o /dev/stdout into a pipe: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "appended.txt")
	if err := os.WriteFile(file, []byte("earlier line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if msg, err := run(f); err != nil {
		t.Fatalf("status -o /dev/stdout >> file: %v\n%s", err, msg)
	}
	b, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(b), "earlier line\nprofile default") {
		t.Errorf("the file the shell opened was not added to:\n%s", b)
	}
}
