package app

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// slowSet is a secrets store whose writes take a while, as a keyring's do.
type slowSet struct{ *secrets.Memory }

func (s slowSet) Set(ctx context.Context, account, value string) error {
	time.Sleep(100 * time.Millisecond)
	return s.Memory.Set(ctx, account, value)
}

// Two patchbays (two database handles) fingerprinting at once on a fresh
// database end with one key: neither's secrets then read as changed.
func TestTwoProcessesCreateOneFingerprintKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "patchbay.db")
	st := slowSet{secrets.NewMemory()}
	var svcs []*Service
	for range 2 {
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		svcs = append(svcs, &Service{DB: db, Secrets: st, Profile: "acme"})
	}
	fps := make([]string, 2)
	var wg sync.WaitGroup
	for i, s := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fp, err := s.fingerprint(ctx, "the same secret value")
			if err != nil {
				t.Error(err)
			}
			fps[i] = fp
		}()
	}
	wg.Wait()
	if fps[0] != fps[1] {
		t.Fatal("two processes fingerprinted one value with different keys")
	}
}
