package lever

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// Self-computed vector (see docs/vendor-apis.md): openssl and Python agree.
const (
	vecKey       = "test-signature-token"
	vecToken     = "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154"
	vecTriggered = int64(1431454330072)
	vecSignature = "67237316b71be6f4595c3313d347b09353b22d7cbab3726261b73d409acd8fd7"
)

func TestSignVector(t *testing.T) {
	if got := Sign(vecKey, vecToken, vecTriggered); got != vecSignature {
		t.Fatalf("Sign = %s, want %s", got, vecSignature)
	}
}

func payload(token, triggeredAt, signature string) []byte {
	return fmt.Appendf(nil, `{"id":"x","event":"candidateStageChange","triggeredAt":%s,"token":%q,"signature":%q,"data":{"opportunityId":"o","toStageId":"s","fromStageId":"f"}}`,
		triggeredAt, token, signature)
}

func TestVerifySignature(t *testing.T) {
	sent := time.UnixMilli(vecTriggered)
	tests := []struct {
		name    string
		key     string
		body    []byte
		maxAge  time.Duration
		now     time.Time
		wantErr error
	}{
		{"vector, no freshness check", vecKey, payload(vecToken, "1431454330072", vecSignature), 0, time.Now(), nil},
		{"uppercase hex", vecKey, payload(vecToken, "1431454330072", "67237316B71BE6F4595C3313D347B09353B22D7CBAB3726261B73D409ACD8FD7"), 0, time.Now(), nil},
		{"fresh", vecKey, payload(vecToken, "1431454330072", vecSignature), 5 * time.Minute, sent.Add(time.Minute), nil},
		{"stale", vecKey, payload(vecToken, "1431454330072", vecSignature), 5 * time.Minute, sent.Add(time.Hour), ErrSignatureStale},
		{"from the future", vecKey, payload(vecToken, "1431454330072", vecSignature), 5 * time.Minute, sent.Add(-time.Hour), ErrSignatureStale},
		{"wrong signing token", "other-token", payload(vecToken, "1431454330072", vecSignature), 0, time.Now(), ErrSignatureMismatch},
		{"tampered token", vecKey, payload(vecToken[:47]+"5", "1431454330072", vecSignature), 0, time.Now(), ErrSignatureMismatch},
		{"tampered time", vecKey, payload(vecToken, "1431454330073", vecSignature), 0, time.Now(), ErrSignatureMismatch},
		{"forged and stale reports forged", "other-token", payload(vecToken, "1431454330072", vecSignature), time.Minute, sent.Add(time.Hour), ErrSignatureMismatch},
		{"float triggeredAt refused", vecKey, payload(vecToken, "1.431454330072e+12", vecSignature), 0, time.Now(), ErrPayloadMalformed},
		{"unsigned", vecKey, payload(vecToken, "1431454330072", ""), 0, time.Now(), ErrSignatureMissing},
		{"not JSON", vecKey, []byte("token=abc"), 0, time.Now(), ErrPayloadMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.key, tt.body, tt.maxAge, tt.now)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := VerifySignature("", payload(vecToken, "1431454330072", vecSignature), 0, time.Now()); err == nil {
		t.Fatal("verified without a signing token")
	}
}

func TestSignRoundTrip(t *testing.T) {
	now := time.Now()
	at := now.UnixMilli()
	sig := Sign("s3cret", "tok", at)
	if err := VerifySignature("s3cret", payload("tok", fmt.Sprint(at), sig), time.Minute, now); err != nil {
		t.Fatal(err)
	}
}

// The freshness window includes its bounds, either side of now: a delivery
// exactly maxAge old (or ahead) verifies, one millisecond more does not.
func TestFreshnessWindowIncludesItsBounds(t *testing.T) {
	now := time.UnixMilli(1431454330072 + 60_000)
	for _, tc := range []struct {
		at   int64
		want error
	}{
		{now.UnixMilli() - 60_000, nil},
		{now.UnixMilli() + 60_000, nil},
		{now.UnixMilli() - 60_001, ErrSignatureStale},
		{now.UnixMilli() + 60_001, ErrSignatureStale},
	} {
		sig := Sign("s3cret", "tok", tc.at)
		if err := VerifySignature("s3cret", payload("tok", fmt.Sprint(tc.at), sig), time.Minute, now); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("triggered at now%+dms: %v, want %v", tc.at-now.UnixMilli(), err, tc.want)
		}
	}
}
