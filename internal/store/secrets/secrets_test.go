package secrets

import (
	"context"
	"errors"
	"testing"
)

func TestAccount(t *testing.T) {
	tests := []struct {
		name                      string
		profile, integration, key string
		want                      string
		wantErr                   bool
	}{
		{"ordinary", "default", "certn-lever", "signing_token", "default/certn-lever/signing_token", false},
		{"unicode profile", "Société Générale", "vetty-chattr", "api_key", "Société Générale/vetty-chattr/api_key", false},
		{"empty profile", "", "vetty-chattr", "api_key", "/vetty-chattr/api_key", true},
		{"empty key", "default", "vetty-chattr", "", "default/vetty-chattr/", true},
		{"slash in profile", "acme/eu", "vetty-chattr", "api_key", "acme/eu/vetty-chattr/api_key", true},
		{"control character", "default", "vetty\nchattr", "api_key", "default/vetty\nchattr/api_key", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Account(tt.profile, tt.integration, tt.key)
			if got != tt.want {
				t.Fatalf("Account = %q, want %q", got, tt.want)
			}
			p, i, k, err := ParseAccount(got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseAccount(%q) err = %v, wantErr %v", got, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidAccount) {
					t.Fatalf("err = %v, want ErrInvalidAccount", err)
				}
				return
			}
			if p != tt.profile || i != tt.integration || k != tt.key {
				t.Fatalf("ParseAccount = %q %q %q", p, i, k)
			}
		})
	}
}

func TestValidateAccountPart(t *testing.T) {
	for part, ok := range map[string]bool{"default": true, "acme-eu_2": true, "": false, "a/b": false, "tab\there": false} {
		if err := ValidateAccountPart(part); (err == nil) != ok {
			t.Errorf("ValidateAccountPart(%q) = %v, want ok=%v", part, err, ok)
		}
	}
}

// brokenStore answers every call with err.
type brokenStore struct {
	Memory
	err error
}

func (b *brokenStore) Get(context.Context, string) (string, error) { return "", b.err }

func TestProbe(t *testing.T) {
	tests := []struct {
		name    string
		getErr  error
		wantErr error
	}{
		{"working store answers not found", ErrNotFound, nil},
		{"timeout", ErrTimeout, ErrTimeout},
		{"unavailable", ErrUnavailable, ErrUnavailable},
		{"bad passphrase", ErrBadPassphrase, ErrBadPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Probe(t.Context(), &brokenStore{err: tt.getErr})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Probe = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestInfoString(t *testing.T) {
	if got := (Info{Name: BackendVault, Detail: "/home/a/.local/state/patchbay/secrets.age"}).String(); got != "vault (/home/a/.local/state/patchbay/secrets.age)" {
		t.Fatalf("String = %q", got)
	}
	if got := (Info{Name: BackendMemory}).String(); got != "memory" {
		t.Fatalf("String = %q", got)
	}
}

func TestMemoryHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := NewMemory()
	if err := m.Set(ctx, Account("p", "i", "k"), "v"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with a cancelled context: %v", err)
	}
	if info := m.Backend(); info.Name != BackendMemory {
		t.Fatalf("Backend() = %+v", info)
	}
}
