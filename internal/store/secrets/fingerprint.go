package secrets

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// FingerprintKeyAccount is where a store keeps the random key of its database's fingerprints: in the store
// itself, never in the database, so the database alone reveals nothing about the secrets.
var FingerprintKeyAccount = Account("_patchbay", "database", "fingerprint_key")

// FingerprintKey returns the store's fingerprint key, creating it on first use. Two processes creating it at
// once both read back whichever was stored last.
func FingerprintKey(ctx context.Context, st Store) ([]byte, error) {
	k, err := st.Get(ctx, FingerprintKeyAccount)
	if errors.Is(err, ErrNotFound) {
		if err := st.Set(ctx, FingerprintKeyAccount, rand.Text()+rand.Text()); err != nil {
			return nil, fmt.Errorf("storing the fingerprint key: %w", err)
		}
		k, err = st.Get(ctx, FingerprintKeyAccount)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the fingerprint key: %w", err)
	}
	return []byte(k), nil
}

// Fingerprint is the keyed fingerprint (HMAC-SHA256) of a secret value, as the database records it.
func Fingerprint(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}
