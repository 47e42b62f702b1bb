package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func applicationID(t *testing.T, db *DB) int64 {
	t.Helper()
	var id int64
	if err := db.sql.QueryRow("PRAGMA application_id").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// foreignSQLite makes another application's SQLite file, as sqlite3 would.
func foreignSQLite(t *testing.T, path string, appID int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
		"INSERT INTO notes (body) VALUES ('mine, not patchbay''s')",
		"PRAGMA application_id = " + strconv.Itoa(appID),
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
}

// A file patchbay did not make is refused before anything is written to
// it: not a byte of it changes, and no companion file appears.
func TestOpenRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]func(path string){
		"another application's SQLite file":         func(p string) { foreignSQLite(t, p, 0) },
		"a SQLite file with another application_id": func(p string) { foreignSQLite(t, p, 0x46534c31) },
		"not SQLite at all": func(p string) {
			if err := os.WriteFile(p, []byte("name,key\nacme,not-a-database\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"a short file": func(p string) {
			if err := os.WriteFile(p, []byte("SQLite format 3\x00"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, create := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, filepath.Base(t.Name())+".db")
			create(path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(context.Background(), path)
			if !errors.Is(err, ErrForeignDatabase) {
				if db != nil {
					db.Close()
				}
				t.Fatalf("Open = %v, want ErrForeignDatabase", err)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("the refused file was changed")
			}
			for _, suffix := range []string{"-wal", "-shm", "-journal"} {
				if _, err := os.Stat(path + suffix); !os.IsNotExist(err) {
					t.Errorf("%s appeared beside the refused file", suffix)
				}
			}
		})
	}
}

// A new database is marked; one made by an earlier patchbay (unmarked, its
// schema_migrations present) is adopted with its data and marked.
func TestOpenMarksAndAdoptsPatchbayDatabases(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "patchbay.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if id := applicationID(t, db); id != ApplicationID {
		t.Fatalf("new database: application_id %#x, want %#x", id, ApplicationID)
	}
	if _, err := db.EnsureProfile(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	// What an earlier patchbay left: the same schema, no mark.
	if _, err := db.sql.Exec("PRAGMA application_id = 0"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("an earlier patchbay's database was refused: %v", err)
	}
	defer db.Close()
	if id := applicationID(t, db); id != ApplicationID {
		t.Errorf("adopted database: application_id %#x, want %#x", id, ApplicationID)
	}
	if _, err := db.GetProfile(ctx, "acme"); err != nil {
		t.Errorf("adopted database lost its data: %v", err)
	}
}
