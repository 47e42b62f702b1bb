package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
)

// ApplicationID marks a SQLite file as patchbay's (PRAGMA application_id,
// bytes 68–71 of the file header): the ASCII letters "pbay", 0x70626179.
// A non-empty file without it belongs to someone else and is left alone.
const ApplicationID = 0x70626179

// ErrForeignDatabase: the file is not a patchbay database (another
// application's SQLite file, or not SQLite at all); nothing was written.
var ErrForeignDatabase = errors.New("not a patchbay database")

// sqliteMagic starts every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// identity says what the file at abs is, before anything writes to it
// (switching a file to WAL alone would rewrite its header). adopt is true
// when the file must be marked once opened: a fresh database, or one made
// by a patchbay from before the mark (its schema_migrations is present).
func identity(ctx context.Context, abs string) (adopt bool, err error) {
	f, err := os.Open(abs)
	if err != nil {
		return false, err
	}
	defer f.Close()
	header := make([]byte, 100)
	n, err := io.ReadFull(f, header)
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return true, nil // a new, empty file
	case n < len(header) || !bytes.HasPrefix(header, sqliteMagic):
		return false, fmt.Errorf("%w: the file is not a SQLite database", ErrForeignDatabase)
	}
	switch id := binary.BigEndian.Uint32(header[68:72]); id {
	case ApplicationID:
		return false, nil
	case 0:
		// Unmarked, or marked by a patchbay whose change still sits in
		// the write-ahead log: SQLite itself knows.
		return inspectUnmarked(ctx, abs)
	default:
		return false, fmt.Errorf("%w: its application_id is %#08x, patchbay's is %#08x", ErrForeignDatabase, id, ApplicationID)
	}
}

// inspectUnmarked reads an unmarked SQLite file through a read-only
// connection: an empty database or an earlier patchbay's is adopted,
// anything else refused.
func inspectUnmarked(ctx context.Context, abs string) (adopt bool, err error) {
	u := url.URL{Scheme: "file", Path: dsnPath(abs)}
	ro, err := sql.Open("sqlite", u.String()+"?mode=ro")
	if err != nil {
		return false, err
	}
	defer ro.Close()
	var id int64
	if err := ro.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id); err != nil {
		return false, notOurs(err)
	}
	if id == ApplicationID {
		return false, nil
	}
	if id != 0 {
		return false, fmt.Errorf("%w: its application_id is %#08x, patchbay's is %#08x", ErrForeignDatabase, id, ApplicationID)
	}
	var objects, migrations int
	err = ro.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE type = 'table' AND name = 'schema_migrations')
		FROM sqlite_schema`).Scan(&objects, &migrations)
	if err != nil {
		return false, notOurs(err)
	}
	if objects > 0 && migrations == 0 {
		return false, fmt.Errorf("%w: it holds another application's tables (%d schema object(s))", ErrForeignDatabase, objects)
	}
	return true, nil
}

// notOurs words a failed read of an unmarked file. Busy is no verdict: a
// patchbay creating the database at this moment holds the lock, and Open
// asks again.
func notOurs(err error) error {
	if isBusy(err) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrForeignDatabase, err)
}

// markApplicationID sets patchbay's mark on a database it adopted.
func markApplicationID(ctx context.Context, sqlDB *sql.DB) error {
	_, err := sqlDB.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", ApplicationID))
	return err
}
