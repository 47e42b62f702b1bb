package secrets

import (
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"
)

// testContract checks the behaviour every Store promises. newStore may hand out stores that share state (the
// real keyring does), so each subtest works under its own random profile.
func testContract(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	profile := func() string { return "contract-" + rand.Text()[:12] }

	t.Run("set then get", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := Account(profile(), "vetty-chattr", "api_key")
		mustSet(t, s, a, "vk_live_0123456789")
		if got := mustGet(t, s, a); got != "vk_live_0123456789" {
			t.Fatalf("Get = %q, want the stored secret", got)
		}
		_ = s.Delete(ctx, a)
	})

	t.Run("overwrite replaces", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := Account(profile(), "certn-lever", "signing_token")
		mustSet(t, s, a, "old-token")
		mustSet(t, s, a, "new-token")
		if got := mustGet(t, s, a); got != "new-token" {
			t.Fatalf("Get after overwrite = %q, want %q", got, "new-token")
		}
		_ = s.Delete(ctx, a)
	})

	t.Run("delete then not found", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := Account(profile(), "charthop-lever", "webhook_secret")
		mustSet(t, s, a, "whsec")
		if err := s.Delete(ctx, a); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Get(ctx, a); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, a); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second Delete: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("missing account", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := Account(profile(), "vetty-chattr", "api_key")
		if v, err := s.Get(ctx, a); !errors.Is(err, ErrNotFound) || v != "" {
			t.Fatalf("Get missing = %q, %v; want \"\", ErrNotFound", v, err)
		}
		if err := s.Delete(ctx, a); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Delete missing: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("accounts are isolated", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		p1, p2 := profile(), profile()
		accounts := map[string]string{
			Account(p1, "certn-lever", "api_key"):       "certn-lever key in p1",
			Account(p1, "certn-lever", "signing_token"): "signing token in p1",
			Account(p1, "charthop-lever", "api_key"):    "charthop-lever key in p1",
			Account(p2, "certn-lever", "api_key"):       "certn-lever key in p2",
		}
		for a, v := range accounts {
			mustSet(t, s, a, v)
		}
		gone := Account(p1, "certn-lever", "api_key")
		if err := s.Delete(ctx, gone); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		delete(accounts, gone)
		for a, want := range accounts {
			if got := mustGet(t, s, a); got != want {
				t.Errorf("Get(%s) = %q, want %q", a, got, want)
			}
			_ = s.Delete(ctx, a)
		}
	})

	t.Run("secret shapes survive", func(t *testing.T) {
		tests := []struct {
			name   string
			secret string
		}{
			{"unicode", "clé-密钥-ключ-🔑-\u00e9\u0301"},
			{"4 KiB", strings.Repeat("0123456789abcdef", 256)},
			{"spaces and quotes", ` a "quoted" 'secret' with\backslash and	tab `},
			{"newlines", "line one\nline two\r\n"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, ctx := newStore(t), t.Context()
				a := Account(profile(), "vetty-chattr", "api_key")
				mustSet(t, s, a, tt.secret)
				if got := mustGet(t, s, a); got != tt.secret {
					t.Fatalf("Get returned %d bytes that differ from the %d stored", len(got), len(tt.secret))
				}
				_ = s.Delete(ctx, a)
			})
		}
	})

	t.Run("malformed accounts refused", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		for _, a := range []string{"", "default/vetty-chattr", "default//api_key", "/vetty-chattr/api_key",
			"a/b/c/d", Account("de/fault", "vetty-chattr", "api_key"), "default/vetty\x00/api_key"} {
			if err := s.Set(ctx, a, "x"); !errors.Is(err, ErrInvalidAccount) {
				t.Errorf("Set(%q): err = %v, want ErrInvalidAccount", a, err)
			}
			if _, err := s.Get(ctx, a); !errors.Is(err, ErrInvalidAccount) {
				t.Errorf("Get(%q): err = %v, want ErrInvalidAccount", a, err)
			}
			if err := s.Delete(ctx, a); !errors.Is(err, ErrInvalidAccount) {
				t.Errorf("Delete(%q): err = %v, want ErrInvalidAccount", a, err)
			}
		}
	})

	t.Run("empty secret refused", func(t *testing.T) {
		s, ctx := newStore(t), t.Context()
		a := Account(profile(), "vetty-chattr", "api_key")
		if err := s.Set(ctx, a, ""); !errors.Is(err, ErrEmptySecret) {
			t.Fatalf("Set empty: err = %v, want ErrEmptySecret", err)
		}
		if _, err := s.Get(ctx, a); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after refused Set: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("backend", func(t *testing.T) {
		info := newStore(t).Backend()
		if !slices.Contains([]string{BackendKeyring, BackendVault, BackendMemory}, info.Name) || info.Detail == "" {
			t.Fatalf("Backend() = %+v, want a known name and a detail", info)
		}
	})

	t.Run("probe", func(t *testing.T) {
		if err := Probe(t.Context(), newStore(t)); err != nil {
			t.Fatalf("Probe: %v", err)
		}
	})

	t.Run("move", func(t *testing.T) { testMover(t, newStore(t), profile()) })

	t.Run("list", func(t *testing.T) {
		s := newStore(t)
		l, ok := s.(Lister)
		if !ok {
			t.Skipf("%s cannot list its accounts", s.Backend().Name)
		}
		p := profile()
		want := []string{Account(p, "certn-lever", "api_key"), Account(p, "certn-lever", "signing_token"),
			Account(p, "vetty-chattr", "api_key")}
		for _, a := range want {
			mustSet(t, s, a, "v")
		}
		mustSet(t, s, Account(p+"x", "certn-lever", "api_key"), "other profile sharing the prefix")
		got, err := l.List(t.Context(), p+"/")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("List(%q) = %v, want %v", p+"/", got, want)
		}
		if got, err := l.List(t.Context(), "no-such-profile/"); err != nil || len(got) != 0 || got == nil {
			t.Fatalf("List(no match) = %#v, %v; want an empty list", got, err)
		}
	})
}

func mustSet(t *testing.T, s Store, account, secret string) {
	t.Helper()
	if err := s.Set(t.Context(), account, secret); err != nil {
		t.Fatalf("Set(%s): %v", account, err)
	}
}

func mustGet(t *testing.T, s Store, account string) string {
	t.Helper()
	v, err := s.Get(t.Context(), account)
	if err != nil {
		t.Fatalf("Get(%s): %v", account, err)
	}
	return v
}

func TestMemoryContract(t *testing.T) {
	testContract(t, func(*testing.T) Store { return NewMemory() })
}

func TestVaultContract(t *testing.T) {
	testContract(t, func(t *testing.T) Store {
		return NewVault(t.TempDir()+"/secrets.age", fixedPassphrase("contract pass"), fastVault)
	})
}

// testMover checks Move on stores that offer it: the value moves, the source
// is gone, and a missing source changes nothing.
func testMover(t *testing.T, s Store, p string) {
	t.Helper()
	mv, ok := s.(Mover)
	if !ok {
		t.Skipf("%s cannot move entries", s.Backend().Name)
	}
	from, to := Account(p, "certn-lever", "api_key.staging"), Account(p, "certn-lever", "api_key")
	mustSet(t, s, to, "old value")
	mustSet(t, s, from, "new value")
	if err := mv.Move(t.Context(), from, to); err != nil {
		t.Fatalf("Move: %v", err)
	}
	if got := mustGet(t, s, to); got != "new value" {
		t.Fatalf("after Move, %s = %q", to, got)
	}
	if _, err := s.Get(t.Context(), from); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Move, the source still answers: %v", err)
	}
	if err := mv.Move(t.Context(), from, to); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Move of a missing entry: %v, want ErrNotFound", err)
	}
	if got := mustGet(t, s, to); got != "new value" {
		t.Fatalf("a failed Move changed %s to %q", to, got)
	}
}
