// Package store is patchbay's SQLite database: profiles, step progress,
// step-run history, secret metadata, live-check results, the audit log and
// pending two-phase secret operations.
//
// It never holds a secret. Secret values live in the OS keyring or the
// encrypted vault (package store/secrets); this package keeps only metadata
// such as the last four characters, dates and the verification status.
//
// Every exported method takes a context and runs as one transaction. The same
// methods are available on *Tx, so a caller can combine several of them into
// one atomic change with (*DB).Tx.
//
// Every patchbay database carries ApplicationID in its header; Open refuses
// a non-empty file without it (another application's SQLite file, or not
// SQLite at all) before writing anything, and marks a database made by an
// earlier patchbay.
//
// Times are stored as UTC unix milliseconds and returned as UTC time.Time
// values truncated to the millisecond. A zero time.Time means "none" (never
// completed, never verified, no expiry) and is stored as NULL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
	sqlite3 "modernc.org/sqlite/lib"
)

var (
	// ErrNotFound: the profile, secret, pending operation… does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: an argument was refused before anything was written.
	ErrInvalid = errors.New("invalid argument")
	// ErrSecretInValues: a step commit tried to store an answer under a key
	// the caller declared secret. The error names the key, never the value.
	ErrSecretInValues = errors.New("secret value refused")
	// ErrPendingOpExists: a two-phase operation on the same secret is
	// already in flight (or was left behind by a crash and awaits recovery).
	ErrPendingOpExists = errors.New("a pending operation exists for this secret")
	// ErrSchemaTooNew: the database was migrated by a newer patchbay.
	ErrSchemaTooNew = errors.New("database schema is newer than this patchbay")
)

// DB is an open patchbay database.
//
// Writes use a single connection: the workload is a wizard and a dashboard
// whose queries are index lookups taking milliseconds, and one connection
// keeps every in-process write serialized without SQLITE_BUSY and lets a Tx
// see its own writes with no pool juggling. Other processes are handled by
// WAL mode, BEGIN IMMEDIATE and a busy timeout.
//
// Read-only work (status, history, the overview) goes through Read, on a
// separate query-only connection whose transactions begin DEFERRED: under
// WAL a reader never waits for a writer, in this process or another.
type DB struct {
	ops
	sql  *sql.DB
	read *sql.DB
	path string
}

// Tx is a transaction opened by (*DB).Tx. It offers the same data methods as
// DB; they all join the transaction.
type Tx struct {
	ops
}

// dirMode and fileMode keep the state private to the user.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// busyTimeout bounds how long a writer waits for another process's
// transaction before SQLITE_BUSY surfaces.
const busyTimeout = 10 * time.Second

// DefaultPath is stateHome/patchbay/patchbay.db, where stateHome is the
// value of XDG_STATE_HOME, or home/.local/state/patchbay/patchbay.db when
// stateHome is empty or not absolute (the XDG spec says to ignore relative
// values). The caller reads the environment; home may be "" when only
// stateHome is needed.
func DefaultPath(stateHome, home string) (string, error) {
	if stateHome != "" && filepath.IsAbs(stateHome) {
		return filepath.Join(stateHome, "patchbay", "patchbay.db"), nil
	}
	if home == "" {
		return "", errors.New("locate the state directory: neither XDG_STATE_HOME nor a home directory is set")
	}
	return filepath.Join(home, ".local", "state", "patchbay", "patchbay.db"), nil
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. A directory it creates gets mode 0700; a database file it
// creates gets 0600, and so do the -wal and -shm files.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("open database: %w: empty path", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := prepareFiles(abs); err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	var adopt bool
	err = retryBusy(ctx, func() (err error) {
		adopt, err = identity(ctx, abs)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}

	sqlDB, err := sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	// sql.Open connects lazily: the read connection costs nothing until
	// the first Read.
	readDB, err := sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	readDB.SetMaxOpenConns(1)
	readDB.SetMaxIdleConns(1)
	readDB.SetConnMaxLifetime(0)
	readDB.SetConnMaxIdleTime(0)

	db := &DB{sql: sqlDB, read: readDB, path: abs}
	db.ops = ops{q: sqlDB, db: sqlDB, now: time.Now}
	if err := retryBusy(ctx, func() error { return migrate(ctx, sqlDB, db.now) }); err != nil {
		sqlDB.Close()
		readDB.Close()
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	if adopt {
		if err := retryBusy(ctx, func() error { return markApplicationID(ctx, sqlDB) }); err != nil {
			sqlDB.Close()
			readDB.Close()
			return nil, fmt.Errorf("open database %s: mark it as patchbay's: %w", abs, err)
		}
	}
	// The connection now exists, so SQLite has created -wal and -shm; it
	// copies the database file's mode, but a file created by an older
	// version or by hand may not have it. One owned by another user cannot
	// be changed here: CheckPermissions reports it.
	for _, suffix := range []string{"-wal", "-shm"} {
		err := os.Chmod(abs+suffix, fileMode)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
			sqlDB.Close()
			readDB.Close()
			return nil, fmt.Errorf("open database %s: %w", abs, err)
		}
	}
	return db, nil
}

// retryBusy runs the first connection and the migrations again while they
// fail with SQLITE_BUSY, up to the busy timeout. It is needed once per fresh
// database: switching it to WAL takes an exclusive lock without consulting the
// busy handler, so a process that opens the file at the same moment as another
// can be refused immediately. After that every write begins IMMEDIATE and
// waits on the busy timeout inside SQLite.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(busyTimeout)
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		pause := min(time.Duration(attempt)*5*time.Millisecond, 100*time.Millisecond)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// isBusy reports whether err is SQLite's "database is locked" in any of its
// extended forms.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// dsn builds the modernc.org/sqlite data source name. The path goes through
// a file: URI so that '?', '#' and '%' in directory names are escaped rather
// than read as URI syntax. The write connection begins every transaction
// IMMEDIATE; the read connection refuses writes and begins DEFERRED, so it
// only ever takes a read snapshot.
func dsn(abs string, readOnly bool) string {
	u := url.URL{Scheme: "file", Path: dsnPath(abs)}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		q.Set("_txlock", "deferred")
	} else {
		q.Set("_txlock", "immediate")
	}
	return u.String() + "?" + q.Encode()
}

// dsnPath is abs as the path of a file: URI.
func dsnPath(abs string) string {
	p := filepath.ToSlash(abs)
	if runtime.GOOS == "windows" {
		// file:///C:/x — SQLite wants the drive after a leading slash.
		p = "/" + p
	}
	return p
}

// prepareFiles creates the parent directory (0700) and the database file
// (0600) when they are missing. Existing ones are left as they are: they may
// be shared directories such as /tmp; CheckPermissions reports problems.
func prepareFiles(abs string) error {
	dir := filepath.Dir(abs)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return err
		}
		// MkdirAll is subject to the umask; make sure the mode is exact.
		if err := os.Chmod(dir, dirMode); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(abs, fileMode)
}

// Path is the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database. It asks SQLite to refresh its query-planner
// statistics first, which is cheap and keeps plans good as tables grow; when
// another process holds the write lock that is skipped rather than waited
// for, so a read-only command never queues behind a writer on its way out.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// best effort: an old plan is no failure
	if _, err := db.sql.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err == nil {
		_, _ = db.sql.ExecContext(ctx, "PRAGMA optimize")
	}
	rerr := db.read.Close()
	if err := errors.Join(db.sql.Close(), rerr); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Tx runs fn in one write transaction: everything fn does through tx is
// committed together, or rolled back if fn returns an error or panics.
// fn must use tx, never db: the single connection is held by the
// transaction, so a call on db from inside fn would wait forever.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	return inTx(ctx, db.sql, func(t *sql.Tx) error {
		return fn(&Tx{ops: ops{q: t, now: db.now}})
	})
}

// Read runs fn in one read transaction on the read connection: everything
// fn reads comes from one snapshot of the database, and no lock that a
// writer needs is taken, so Read neither waits for another process's write
// transaction nor delays it. A write through tx fails (the connection is
// query-only).
func (db *DB) Read(ctx context.Context, fn func(tx *Tx) error) error {
	t, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read transaction: %w", err)
	}
	// A read transaction has nothing to commit: ending it releases the snapshot.
	defer t.Rollback() //nolint:errcheck
	return fn(&Tx{ops: ops{q: t, now: db.now}})
}

// inTx runs fn inside a write transaction on sqlDB. It begins IMMEDIATE (set
// in the DSN), so the write lock is taken up front and waits on the busy
// timeout, instead of a read lock failing to upgrade with SQLITE_BUSY. Reads
// need no transaction: each is one statement, and WAL gives it a snapshot.
func inTx(ctx context.Context, sqlDB *sql.DB, fn func(*sql.Tx) error) (err error) {
	t, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = t.Rollback()
			panic(p)
		}
		if err != nil {
			_ = t.Rollback()
		}
	}()
	if err = fn(t); err != nil {
		return err
	}
	if err = t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// SchemaVersion is the highest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, db.sql)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// IntegrityCheck runs SQLite's full integrity check and a foreign-key check
// over the whole file. It returns "ok" when both pass, otherwise the problems
// found, one per line. It reads every page, so its cost grows with the event
// log (seconds at a million events); QuickCheck is the everyday check.
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	return db.check(ctx, []string{"PRAGMA integrity_check"}, []string{"PRAGMA foreign_key_check"})
}

// QuickCheck checks what patchbay's state lives in at a cost that does not
// grow with the audit log: the file header and schema (SQLite reads both to
// prepare any statement), then SQLite's integrity check and foreign-key check
// of every table and index except the append-only event log. Those tables
// hold one row per profile, step, secret or check, so the check stays
// flat however long the history gets. The event log's foreign key is
// enforced on every insert (foreign_keys is on); its pages are covered by
// IntegrityCheck (`doctor --full`).
func (db *DB) QuickCheck(ctx context.Context) (string, error) {
	rows, err := db.sql.QueryContext(ctx,
		"SELECT name FROM sqlite_schema WHERE type = 'table' AND name <> ? AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
		eventLogTable)
	if err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	var integrity, fks []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return "", fmt.Errorf("integrity check: %w", err)
		}
		quoted := `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		integrity = append(integrity, "PRAGMA integrity_check("+quoted+")")
		fks = append(fks, "PRAGMA foreign_key_check("+quoted+")")
	}
	if err := closeRows(rows); err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	return db.check(ctx, integrity, fks)
}

// eventLogTable is the append-only audit log QuickCheck leaves to the full check.
const eventLogTable = "events"

// check runs integrity pragmas (rows of text, "ok" when clean) and
// foreign-key pragmas (a row per violation) and words what they found.
func (db *DB) check(ctx context.Context, integrity, fks []string) (string, error) {
	var problems []string
	for _, pragma := range integrity {
		rows, err := db.sql.QueryContext(ctx, pragma)
		if err != nil {
			return "", fmt.Errorf("integrity check: %w", err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return "", fmt.Errorf("integrity check: %w", err)
			}
			if line != "ok" {
				problems = append(problems, line)
			}
		}
		if err := closeRows(rows); err != nil {
			return "", fmt.Errorf("integrity check: %w", err)
		}
	}
	for _, pragma := range fks {
		rows, err := db.sql.QueryContext(ctx, pragma)
		if err != nil {
			return "", fmt.Errorf("foreign key check: %w", err)
		}
		for rows.Next() {
			var table, parent string
			var rowid sql.NullInt64
			var fkid int64
			if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
				rows.Close()
				return "", fmt.Errorf("foreign key check: %w", err)
			}
			problems = append(problems, fmt.Sprintf("%s row %d refers to a missing %s row", table, rowid.Int64, parent))
		}
		if err := closeRows(rows); err != nil {
			return "", fmt.Errorf("foreign key check: %w", err)
		}
	}
	if len(problems) == 0 {
		return "ok", nil
	}
	return strings.Join(problems, "\n"), nil
}

// Size is the database's size in bytes as SQLite counts it (pages × page
// size), which is what a full integrity check has to read.
func (db *DB) Size(ctx context.Context) (int64, error) {
	var pages, size int64
	if err := db.sql.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	if err := db.sql.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return pages * size, nil
}

// PermissionProblem is one way the database's files are open to other
// users, and what to do about it.
type PermissionProblem struct {
	Detail string
	Fix    string
}

func (p PermissionProblem) String() string { return p.Detail + "; " + p.Fix }

// CheckPermissions lists, in plain words, every way the database directory,
// file, or its -wal/-shm companions are open to other users (anything beyond
// 0700 for the directory and 0600 for the files). Nil means all is private.
// A shared directory (sticky or writable by others, such as /tmp) is never
// to be chmodded: the fix is a private directory. On Windows file modes do
// not express this, and it reports nothing.
func (db *DB) CheckPermissions() []PermissionProblem {
	if runtime.GOOS == "windows" {
		return nil
	}
	var problems []PermissionProblem
	check := func(path string, want fs.FileMode, what string, mustExist bool) {
		info, err := os.Stat(path)
		if err != nil {
			if mustExist || !errors.Is(err, fs.ErrNotExist) {
				problems = append(problems, PermissionProblem{fmt.Sprintf("cannot inspect %s %s: %v", what, path, err), "check that the path exists and is yours"})
			}
			return
		}
		perm := info.Mode().Perm()
		if perm&^want == 0 {
			return
		}
		if info.IsDir() && (info.Mode()&fs.ModeSticky != 0 || perm&0o002 != 0) {
			problems = append(problems, PermissionProblem{
				fmt.Sprintf("%s %s is shared with other users (mode %s)", what, path, modeString(info.Mode())),
				fmt.Sprintf("do not change a shared directory; keep the database in a private one: mkdir -m 700 DIR, move %s there (or start again) and pass --db DIR/%s; without --db patchbay uses its own private state directory",
					filepath.Base(db.path), filepath.Base(db.path)),
			})
			return
		}
		problems = append(problems, PermissionProblem{
			fmt.Sprintf("%s %s has mode %04o, other users may access it", what, path, perm),
			fmt.Sprintf("run: chmod %o %s", want, path),
		})
	}
	check(filepath.Dir(db.path), dirMode, "directory", true)
	check(db.path, fileMode, "database file", true)
	check(db.path+"-wal", fileMode, "database file", false)
	check(db.path+"-shm", fileMode, "database file", false)
	return problems
}

// ReplaceableByOthers says when other users can replace the database
// file itself: its directory is writable by them and has no sticky bit
// (in a sticky one, such as /tmp, only the owner may rename or remove).
// Nil otherwise, and on Windows.
func (db *DB) ReplaceableByOthers() *PermissionProblem {
	if runtime.GOOS == "windows" {
		return nil
	}
	dir := filepath.Dir(db.path)
	info, err := os.Stat(dir)
	if err != nil || info.Mode()&fs.ModeSticky != 0 || info.Mode().Perm()&0o022 == 0 {
		return nil
	}
	return &PermissionProblem{
		fmt.Sprintf("directory %s is writable by other users (mode %s): any of them can replace the database", dir, modeString(info.Mode())),
		fmt.Sprintf("run: chmod go-w %s, or keep the database in a private directory", dir),
	}
}

// modeString words a directory's mode as chmod takes it, sticky bit included (1777).
func modeString(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return fmt.Sprintf("%04o", n)
}

// closeRows closes rows and reports an iteration error, if any.
func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
