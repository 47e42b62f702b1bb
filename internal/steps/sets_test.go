package steps

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// fakeReader serves "-" and paths from a map and counts reads.
type fakeReader struct {
	files map[string]string
	reads int
}

func (r *fakeReader) read(ref string) ([]byte, error) {
	r.reads++
	v, ok := r.files[ref]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return []byte(v), nil
}

func TestParseSets(t *testing.T) {
	vetty := mustLookup(t, "vetty-chattr")
	vettyKey := mustStep(t, vetty, "vetty-key")
	certnCreds := mustStep(t, mustLookup(t, "certn-lever"), "lever-signing-token")
	chop := mustLookup(t, "charthop-lever")
	chopKey := mustStep(t, chop, "lever-key")

	tests := []struct {
		name        string
		step        Step
		sets        []string
		files       map[string]string
		wantValues  map[string]string
		wantSecrets map[string]string
		wantWarn    string
		wantErr     error
		errHas      []string
		errLacks    []string
		wantReads   int
	}{
		{name: "vetty key from stdin", step: vettyKey,
			sets:        []string{"user=ops@example.com", "ip_allowlist=0.0.0.0/0", "expiry_months=24", "api_key=@-"},
			files:       map[string]string{"-": "vk_live_123\n"},
			wantValues:  map[string]string{"user": "ops@example.com", "ip_allowlist": "0.0.0.0/0", "expiry_months": "24"},
			wantSecrets: map[string]string{"api_key": "vk_live_123"}, wantWarn: "any IPv4 address", wantReads: 1},
		{name: "secret from a file", step: certnCreds,
			sets:  []string{"signing_token=@/run/secrets/lever"},
			files: map[string]string{"/run/secrets/lever": "  tok_abcdefghijklmnop \r\n"}, wantValues: map[string]string{},
			wantSecrets: map[string]string{"signing_token": "tok_abcdefghijklmnop"}, wantReads: 1},
		{name: "values normalized, key case folded", step: chopKey,
			sets:        []string{"REGION= EU ", "write_permissions=update_requisition_fields,update_posting,delete_requisitions,create_requisitions"},
			wantValues:  map[string]string{"region": "eu", "write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"},
			wantSecrets: map[string]string{}},
		{name: "literal secret refused without echo", step: vettyKey,
			sets:     []string{"user=a", "api_key=vk_live_SUPERSECRET"},
			wantErr:  ErrLiteralSecret,
			errHas:   []string{"secrets are never taken from the command line", "api_key=@-", "api_key=@/path/to/file"},
			errLacks: []string{"SUPERSECRET"}},
		{name: "empty literal secret refused", step: vettyKey, sets: []string{"api_key="}, wantErr: ErrLiteralSecret},
		{name: "literal refused before stdin is read", step: chopKey,
			sets: []string{"region=us", "api_key=whsec_123"}, files: map[string]string{"-": "x"},
			wantErr: ErrLiteralSecret, errLacks: []string{"whsec_123"}},
		{name: "@ with no path", step: vettyKey, sets: []string{"api_key=@"}, wantErr: ErrMalformedSet},
		{name: "unknown key lists valid ones", step: vettyKey, sets: []string{"colour=blue"},
			wantErr: ErrUnknownField, errHas: []string{`"colour"`, "user, ip_allowlist, expiry_months, api_key"}},
		{name: "unknown key that looks like a secret is not echoed", step: vettyKey, sets: []string{"dGhpc0lzQVNlY3JldA=="},
			wantErr: ErrUnknownField, errLacks: []string{"dGhpc0lzQVNlY3JldA"}},
		{name: "not KEY=VALUE, not echoed", step: vettyKey, sets: []string{"vk_live_pasted_alone"},
			wantErr: ErrMalformedSet, errHas: []string{"#1"}, errLacks: []string{"vk_live_pasted_alone"}},
		{name: "empty key", step: vettyKey, sets: []string{"=x"}, wantErr: ErrMalformedSet},
		{name: "duplicate key", step: vettyKey, sets: []string{"user=a", "user=b"}, wantErr: ErrDuplicateKey, errHas: []string{"user is set more than once"}},
		{name: "duplicate key across case", step: vettyKey, sets: []string{"user=a", "USER=b"}, wantErr: ErrDuplicateKey},
		{name: "bad value uses the field's message", step: vettyKey, sets: []string{"expiry_months=200"},
			wantErr: ErrInvalidValue, errHas: []string{"expiry_months: 200 months is out of range"}},
		{name: "stdin only once", step: chopKey, sets: []string{"api_key=@-"}, files: map[string]string{"-": "k"},
			wantValues: map[string]string{}, wantSecrets: map[string]string{"api_key": "k"}, wantReads: 1},
		{name: "missing file", step: vettyKey, sets: []string{"api_key=@/nope"},
			wantErr: fs.ErrNotExist, errHas: []string{"api_key: reading /nope"}, wantReads: 1},
		{name: "secret content invalid, not echoed", step: vettyKey, sets: []string{"api_key=@-"},
			files: map[string]string{"-": "first-key second-key\n"}, wantErr: ErrInvalidValue,
			errHas: []string{"api_key: the secret read from standard input has a space"}, errLacks: []string{"first-key", "second-key"}, wantReads: 1},
		{name: "empty stdin", step: vettyKey, sets: []string{"api_key=@-"}, files: map[string]string{"-": "\n"},
			wantErr: ErrInvalidValue, errHas: []string{"is empty"}, wantReads: 1},
		{name: "non-secret value starting with @ is literal", step: vettyKey, sets: []string{"user=@ops"},
			wantValues: map[string]string{"user": "@ops"}, wantSecrets: map[string]string{}},
		{name: "value may contain =", step: mustStep(t, vetty, "chattr-packages"), sets: []string{"packages=Driver=MVR;Clerk=Basic"},
			wantValues: map[string]string{"packages": "Driver=MVR;Clerk=Basic"}, wantSecrets: map[string]string{}},
		{name: "no sets", step: vettyKey, wantValues: map[string]string{}, wantSecrets: map[string]string{}},
		{name: "all structural errors together", step: vettyKey, sets: []string{"nope", "colour=x", "api_key=lit"},
			wantErr: ErrMalformedSet, errHas: []string{"#1", `"colour"`, "secrets are never taken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeReader{files: tt.files}
			vals, secs, warns, err := ParseSets(tt.step, tt.sets, r.read)
			if r.reads != tt.wantReads {
				t.Errorf("read %d secrets, want %d", r.reads, tt.wantReads)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if vals != nil || secs != nil {
					t.Errorf("values %v / secrets returned with an error", vals)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				for _, s := range tt.errLacks {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q contains %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !equalMaps(vals, tt.wantValues) {
				t.Errorf("values = %v, want %v", vals, tt.wantValues)
			}
			if !equalMaps(secs, tt.wantSecrets) {
				t.Errorf("secrets differ from what was expected (%d vs %d keys)", len(secs), len(tt.wantSecrets))
			}
			if tt.wantWarn != "" && !strings.Contains(strings.Join(warns, "\n"), tt.wantWarn) {
				t.Errorf("warnings %q lack %q", warns, tt.wantWarn)
			}
		})
	}
}

func TestParseSetsTwoStdinSecrets(t *testing.T) {
	step := Step{ID: "two", Fields: []Field{{Key: "a", Kind: KindSecret}, {Key: "b", Kind: KindSecret}}}
	r := &fakeReader{files: map[string]string{"-": "x"}}
	_, _, _, err := ParseSets(step, []string{"a=@-", "b=@-"}, r.read)
	if !errors.Is(err, ErrMalformedSet) || !strings.Contains(err.Error(), "a and b both read standard input") {
		t.Fatalf("err = %v", err)
	}
	if r.reads != 0 {
		t.Fatalf("stdin read %d times before the error", r.reads)
	}
	if _, _, _, err := ParseSets(step, []string{"a=@-"}, nil); !errors.Is(err, ErrMissingValue) {
		t.Fatalf("nil reader: %v", err)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
