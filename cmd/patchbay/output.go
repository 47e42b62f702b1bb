package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// headers begin the files patchbay keeps state in, or SQLite and age files
// of any kind: a report is never written over one of them.
var headers = []struct {
	magic []byte
	what  string
}{
	{[]byte("SQLite format 3\x00"), "an SQLite database"},
	{[]byte("age-encryption.org/"), "an encrypted vault (age)"},
	{[]byte("\x37\x7f\x06\x82"), "an SQLite write-ahead log"},
	{[]byte("\x37\x7f\x06\x83"), "an SQLite write-ahead log"},
	{[]byte("\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"), "an SQLite rollback journal"},
}

// writeOutput puts a report or an export where --output names: "-" is
// standard output; a device, FIFO or socket is written in place (a FIFO
// nobody reads is an error, not a wait), and so is an open descriptor
// (/dev/stdout), whose file is added to; a regular file is replaced
// atomically, keeping its mode, and a new one is made with perm. It never
// writes over a directory, this database or its vault (and their -wal,
// -shm, -journal and lock files, made yet or not), or any SQLite or age
// file.
func (f *Factory) writeOutput(path string, data []byte, perm os.FileMode) error {
	err := f.putOutput(path, data, perm)
	if err != nil && !errors.Is(err, errUsage) {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return err
}

func (f *Factory) putOutput(path string, data []byte, perm os.FileMode) error {
	if path == "-" {
		_, err := f.IO.Out.Write(data)
		return err
	}
	// Stat follows links, the kernel's own (/dev/stdout → /proc/self/fd/1
	// → a pipe) included.
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if l, err := os.Lstat(path); err == nil && l.Mode()&fs.ModeSymlink != 0 {
			return usageError("%s is a link to nothing: give another file name", path)
		}
		// Not there yet, but maybe one this database or its vault makes
		// later (a -journal, the vault before its first secret).
		if what := f.ownStatePath(path); what != "" {
			return usageError("%s is where %s goes: give another file name for the output", path, what)
		}
		return writeFileAtomic(path, data, perm)
	case err != nil:
		return err
	case fi.IsDir():
		return usageError("%s is a directory: give a file name for the output", path)
	case !fi.Mode().IsRegular():
		return writeInPlace(path, data, false)
	}
	if what := f.ownState(fi); what != "" {
		return usageError("%s is %s: give another file name for the output", path, what)
	}
	if what, err := stateHeader(path); err != nil {
		return err
	} else if what != "" {
		return usageError("%s is %s: give another file name for the output", path, what)
	}
	if descriptor(path) {
		// /dev/stdout redirected to a file: the shell opened it (> or >>),
		// so patchbay adds to it rather than replacing it.
		return writeInPlace(path, data, true)
	}
	target := path
	if l, err := os.Lstat(path); err == nil && l.Mode()&fs.ModeSymlink != 0 {
		// The link stays; what it points at is replaced.
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return err
		}
	}
	return writeFileAtomic(target, data, fi.Mode().Perm())
}

// descriptor reports whether path names a descriptor already open rather
// than a file of its own: /dev/stdout, /dev/stderr, /dev/fd/N,
// /proc/self/fd/N, /proc/PID/fd/N.
func descriptor(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	switch abs {
	case "/dev/stdout", "/dev/stderr":
		return true
	}
	for _, pattern := range []string{"/dev/fd/*", "/proc/*/fd/*"} {
		if ok, _ := filepath.Match(pattern, abs); ok {
			return true
		}
	}
	return false
}

// stateFiles are the files of this database's state: the database and
// its companions, its vault, and their locks.
func (f *Factory) stateFiles() []struct{ path, what string } {
	db, err := f.DBPath()
	if err != nil {
		return nil
	}
	vault := vaultPath(db)
	legacy := legacyVaultPath(db)
	return []struct{ path, what string }{
		{db, "this patchbay's database"},
		{db + "-wal", "this patchbay's database log"},
		{db + "-shm", "this patchbay's database index"},
		{db + "-journal", "this patchbay's database journal"},
		{vault, "this patchbay's vault"},
		{vault + ".lock", "this patchbay's vault lock"},
		{legacy, "this patchbay's earlier vault"},
		{legacy + ".lock", "this patchbay's earlier vault lock"},
	}
}

// ownState names the file of this database's state that fi is, or "".
func (f *Factory) ownState(fi os.FileInfo) string {
	for _, p := range f.stateFiles() {
		if other, err := os.Stat(p.path); err == nil && os.SameFile(fi, other) {
			return p.what
		}
	}
	return ""
}

// ownStatePath names the file of this database's state that path would
// be, had it been made: the same folder and name. Or "".
func (f *Factory) ownStatePath(path string) string {
	where := func(p string) (string, bool) {
		dir, err := filepath.EvalSymlinks(filepath.Dir(p))
		if err != nil {
			return "", false
		}
		dir, err = filepath.Abs(dir)
		return filepath.Join(dir, filepath.Base(p)), err == nil
	}
	target, ok := where(path)
	if !ok {
		return ""
	}
	for _, p := range f.stateFiles() {
		if state, ok := where(p.path); ok && state == target {
			return p.what
		}
	}
	return ""
}

// stateHeader names what the file at path is when it begins like a
// database, a vault or a database log, or "".
func stateHeader(path string) (string, error) {
	file, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer file.Close()
	head := make([]byte, 32)
	n, err := io.ReadFull(file, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	for _, h := range headers {
		if bytes.HasPrefix(head[:n], h.magic) {
			return h.what, nil
		}
	}
	return "", nil
}

// writeInPlace writes to what path opens, never replacing it: a device,
// FIFO or socket (regular false), or the file behind a descriptor such as
// /dev/stdout (regular true), added to. A FIFO is opened without waiting:
// with no reader it fails at once instead of hanging; once open it is
// written as any pipe. What was opened must still be what was asked for.
func writeInPlace(path string, data []byte, regular bool) error {
	flags := os.O_WRONLY | openInPlace
	if regular {
		flags |= os.O_APPEND
	}
	file, err := os.OpenFile(path, flags, 0)
	if err != nil {
		if noReader(err) {
			return usageError("nothing is reading %s: start its reader first, or give a file name", path)
		}
		return err
	}
	defer file.Close()
	if fi, err := file.Stat(); err != nil {
		return err
	} else if fi.Mode().IsRegular() != regular {
		return fmt.Errorf("%s changed while it was being opened; try again", path)
	}
	if err := blocking(file); err != nil {
		return err
	}
	if _, err := file.Write(data); err != nil {
		return err
	}
	return file.Close()
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, synced, then renamed over it, so a reader (node_exporter's
// textfile collector, a script) never sees half a file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
