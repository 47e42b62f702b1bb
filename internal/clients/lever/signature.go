package lever

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook signature errors.
var (
	// ErrSignatureMissing: the payload has no signature (Lever only signs once
	// a signing token exists) or lacks token/triggeredAt.
	ErrSignatureMissing = errors.New("webhook payload is not signed")
	// ErrSignatureMismatch: the signature does not match the signing token.
	ErrSignatureMismatch = errors.New("webhook signature does not match the signing token")
	// ErrSignatureStale: triggeredAt lies outside the freshness window.
	ErrSignatureStale = errors.New("webhook payload is outside the freshness window")
	// ErrPayloadMalformed: not a Lever webhook JSON body.
	ErrPayloadMalformed = errors.New("webhook payload is not valid Lever JSON")
)

// Sign computes Lever's webhook signature: hex HMAC-SHA256 keyed with the
// signing token over token followed by triggeredAt in decimal, no separator.
func Sign(signingToken, token string, triggeredAt int64) string {
	m := hmac.New(sha256.New, []byte(signingToken))
	m.Write([]byte(token))
	m.Write([]byte(strconv.FormatInt(triggeredAt, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a raw webhook body against the signing token.
// Lever signs token+triggeredAt, not the body. triggeredAt is decoded as an
// integer: read as a float64 it would print as 1.431454330072e+12 and never
// match. When maxAge > 0, triggeredAt must also be within maxAge of now
// (either side, to allow for clock skew); the signature is checked first so
// a forged payload is never reported as merely stale.
func VerifySignature(signingToken string, payload []byte, maxAge time.Duration, now time.Time) error {
	if signingToken == "" {
		return errors.New("no signing token to verify with")
	}
	var body struct {
		Token       string      `json:"token"`
		TriggeredAt json.Number `json:"triggeredAt"`
		Signature   string      `json:"signature"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return fmt.Errorf("%w: %v", ErrPayloadMalformed, err)
	}
	if body.Signature == "" || body.Token == "" || body.TriggeredAt == "" {
		return ErrSignatureMissing
	}
	at, err := strconv.ParseInt(body.TriggeredAt.String(), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: triggeredAt %q is not an integer of milliseconds", ErrPayloadMalformed, body.TriggeredAt)
	}
	want := Sign(signingToken, body.Token, at)
	got := strings.ToLower(strings.TrimSpace(body.Signature))
	if !hmac.Equal([]byte(got), []byte(want)) {
		return ErrSignatureMismatch
	}
	if maxAge > 0 {
		age := now.Sub(time.UnixMilli(at))
		if age > maxAge || age < -maxAge {
			return fmt.Errorf("%w: triggered %s ago, window %s", ErrSignatureStale, age.Round(time.Second), maxAge)
		}
	}
	return nil
}
