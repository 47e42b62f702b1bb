package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// Each database gets its own random identity, which stays the same across
// opens; the profile name its secrets stores use for patchbay's own entries
// is refused.
func TestDatabaseIdentity(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ids := map[string]string{}
	for _, name := range []string{"a.db", "b.db"} {
		db, err := Open(ctx, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		id, err := db.ID(ctx)
		db.Close()
		if err != nil || len(id) != 32 {
			t.Fatalf("%s: ID %q, %v", name, id, err)
		}
		ids[name] = id
	}
	if ids["a.db"] == ids["b.db"] {
		t.Fatal("two databases share one identity")
	}
	db, err := Open(ctx, filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if id, _ := db.ID(ctx); id != ids["a.db"] {
		t.Fatalf("the identity changed on reopening: %q, was %q", id, ids["a.db"])
	}
	if _, err := db.EnsureProfile(ctx, reservedProfile); !errors.Is(err, ErrInvalid) {
		t.Fatalf("profile %q: err = %v, want ErrInvalid", reservedProfile, err)
	}
}
