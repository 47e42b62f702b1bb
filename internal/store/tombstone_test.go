package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A patchbay still running on a profile another one renamed or removed
// cannot bring it back with its next write; creating it on purpose can.
func TestWritesDoNotBringBackARenamedOrRemovedProfile(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	for _, p := range []string{"acme", "globex"} {
		if _, err := db.EnsureProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Tx(ctx, func(tx *Tx) error { return tx.RenameProfile(ctx, "acme", "q4") }); err != nil {
		t.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *Tx) error { return tx.DeleteProfile(ctx, "globex") }); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"acme": `renamed to "q4"`, "globex": "removed"} {
		err := db.SaveChecks(ctx, name, []CheckResult{{Integration: "certn-lever", Name: "secret.api_key", Result: "valid"}})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), want) {
			t.Errorf("a write to %s: %v; want ErrNotFound saying %s", name, err, want)
		}
		if _, err := db.GetProfile(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s came back: %v", name, err)
		}
	}
	// On purpose, the name can be taken again.
	if _, err := db.EnsureProfile(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveChecks(ctx, "acme", []CheckResult{{Integration: "certn-lever", Name: "secret.api_key", Result: "valid"}}); err != nil {
		t.Fatalf("a write after the profile was created again: %v", err)
	}
	// A rename onto a name that was removed takes it.
	if err := db.Tx(ctx, func(tx *Tx) error { return tx.RenameProfile(ctx, "q4", "globex") }); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveChecks(ctx, "globex", []CheckResult{{Integration: "certn-lever", Name: "secret.api_key", Result: "valid"}}); err != nil {
		t.Fatalf("a write to the renamed profile: %v", err)
	}
}
