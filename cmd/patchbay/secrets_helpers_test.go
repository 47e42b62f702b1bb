package main

import (
	"context"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
)

// databaseID is the identity of the database at path, which its secrets
// are filed under.
func databaseID(t *testing.T, path string) string {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id, err := db.ID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}
