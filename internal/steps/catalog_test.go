package steps

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustLookup(t *testing.T, id string) Integration {
	t.Helper()
	in, ok := Lookup(id)
	if !ok {
		t.Fatalf("Lookup(%q) found nothing", id)
	}
	return in
}

func mustStep(t *testing.T, in Integration, id string) Step {
	t.Helper()
	s, ok := in.Step(id)
	if !ok {
		t.Fatalf("%s has no step %q", in.ID, id)
	}
	return s
}

func TestCatalogOrder(t *testing.T) {
	var got []string
	for _, in := range Catalog() {
		got = append(got, in.ID)
	}
	want := []string{"vetty-chattr", "certn-lever", "charthop-lever"}
	if !slices.Equal(got, want) {
		t.Fatalf("Catalog() order = %v, want %v", got, want)
	}
	if !slices.Equal(IntegrationIDs(), want) {
		t.Fatalf("IntegrationIDs() = %v, want %v", IntegrationIDs(), want)
	}
	if _, ok := Lookup("nope"); ok {
		t.Fatal("Lookup(nope) found something")
	}
}

// The step order and field keys of PRODUCT.md 1.1–1.4, written out here
// independently of the catalog.
func TestFieldKeysMatchProduct(t *testing.T) {
	want := map[string][][2]string{
		"vetty-chattr": {
			{"vetty-key", "user,ip_allowlist,expiry_months,api_key"},
			{"vetty-webhook", "confirmed"},
			{"chattr-connect", "token_status,confirmed"},
			{"chattr-packages", "packages"},
		},
		"certn-lever": {
			{"lever-key", "region,api_key"},
			{"lever-signing-token", "signing_token"},
			{"certn-packages", "packages,default_package"},
			{"certn-credentials", "confirmed"},
			{"certn-enable", "webhook_url"},
			{"lever-trigger-stage", "stage"},
		},
		"charthop-lever": {
			{"lever-key", "region,write_permissions,api_key"},
			{"charthop-install", "confirmed"},
			{"charthop-connect", "confirmed"},
			{"charthop-source", "source"},
			{"charthop-options", "run_daily,sync_on_change,reverse_sync,reconciliation,remote_location_default"},
			{"charthop-webhook-secret", "webhook_secret"},
			{"charthop-hire-webhook", "confirmed"},
		},
	}
	secrets := map[string]bool{"api_key": true, "signing_token": true, "webhook_secret": true}
	for id, steps := range want {
		in := mustLookup(t, id)
		var ids []string
		for _, s := range steps {
			ids = append(ids, s[0])
		}
		if !slices.Equal(in.StepIDs(), ids) {
			t.Errorf("%s steps = %v, want %v", id, in.StepIDs(), ids)
		}
		for _, s := range steps {
			st := mustStep(t, in, s[0])
			if got := strings.Join(st.FieldKeys(), ","); got != s[1] {
				t.Errorf("%s/%s fields = %s, want %s", id, s[0], got, s[1])
			}
			for _, f := range st.Fields {
				if f.IsSecret() != secrets[f.Key] {
					t.Errorf("%s/%s/%s secret = %v", id, s[0], f.Key, f.IsSecret())
				}
			}
		}
	}
}

func TestCatalogShape(t *testing.T) {
	for _, in := range Catalog() {
		if in.Name == "" || in.Summary == "" || in.Seed == "" || len(in.Systems) == 0 || len(in.Usage) == 0 {
			t.Errorf("%s: name, summary, seed, systems and usage must be set", in.ID)
		}
		secretKeys := in.SecretKeys()
		stepIDs := map[string]bool{}
		for i, s := range in.Steps {
			ref := in.ID + "/" + s.ID
			if stepIDs[s.ID] {
				t.Errorf("%s: duplicate step ID", ref)
			}
			stepIDs[s.ID] = true
			if in.StepIndex(s.ID) != i {
				t.Errorf("%s: StepIndex = %d, want %d", ref, in.StepIndex(s.ID), i)
			}
			if s.Title == "" || s.Where == "" || len(s.Actions) == 0 || len(s.Fields) == 0 {
				t.Errorf("%s: title, where, actions and fields must be set", ref)
			}
			if !strings.HasPrefix(s.Link, "https://") {
				t.Errorf("%s: link %q is not https", ref, s.Link)
			}
			switch s.Proof {
			case ProofVerified:
				if s.Check == CheckNone {
					t.Errorf("%s: verified step names no check", ref)
				}
			case ProofChecked:
			case ProofAttested:
				f, ok := s.Field(FieldConfirmed)
				if !ok || f.Kind != KindConfirm {
					t.Errorf("%s: attested step lacks a confirm field %q", ref, FieldConfirmed)
				}
			default:
				t.Errorf("%s: proof %q is not one a step can aim for", ref, s.Proof)
			}
			keys := map[string]bool{}
			var secretFields []string
			for _, f := range s.Fields {
				if keys[f.Key] {
					t.Errorf("%s: duplicate field %s", ref, f.Key)
				}
				keys[f.Key] = true
				if f.Validate == nil {
					t.Errorf("%s/%s: no validator", ref, f.Key)
				}
				if f.Label == "" {
					t.Errorf("%s/%s: no label", ref, f.Key)
				}
				if f.Kind == KindConfirm && f.Key != FieldConfirmed {
					t.Errorf("%s/%s: confirm fields must be keyed %q", ref, f.Key, FieldConfirmed)
				}
				if f.IsSecret() {
					secretFields = append(secretFields, f.Key)
				}
				if f.Default != "" {
					if n, _, err := f.Check(f.Default); err != nil || n != f.Default {
						t.Errorf("%s/%s: default %q does not validate to itself: %q, %v", ref, f.Key, f.Default, n, err)
					}
				}
			}
			// A step asks for exactly the secrets it creates.
			if !slices.Equal(secretFields, s.Creates) {
				t.Errorf("%s: secret fields %v but Creates %v", ref, secretFields, s.Creates)
			}
			for _, k := range s.HandsOn {
				if !slices.Contains(secretKeys, k) {
					t.Errorf("%s: hands on unknown secret %s", ref, k)
				}
				if cs, _ := in.StepCreating(k); in.StepIndex(cs.ID) >= i {
					t.Errorf("%s: hands on %s before %s creates it", ref, k, cs.ID)
				}
			}
			for _, c := range s.Copy {
				if (c.Value == "") == (c.Secret == "") || c.Label == "" {
					t.Errorf("%s: copy item %+v must have a label and exactly one of Value and Secret", ref, c)
				}
				if c.Secret != "" && !slices.Contains(secretKeys, c.Secret) {
					t.Errorf("%s: copy item names unknown secret %s", ref, c.Secret)
				}
			}
			if s.ExpiryMonthsField != "" {
				if _, ok := s.Field(s.ExpiryMonthsField); !ok {
					t.Errorf("%s: expiry field %s missing", ref, s.ExpiryMonthsField)
				}
			}
			for _, d := range s.DependsOn {
				ds, ok := in.Step(d.Step)
				if !ok || in.StepIndex(d.Step) >= i || d.Reason == "" {
					t.Errorf("%s: dependency %+v must name an earlier step, with a reason", ref, d)
					continue
				}
				if _, ok := ds.Field(d.Field); !ok {
					t.Errorf("%s: dependency on missing field %s/%s", ref, d.Step, d.Field)
				}
			}
		}
		// Secret keys are unique within an integration.
		seen := map[string]bool{}
		for _, k := range secretKeys {
			if seen[k] {
				t.Errorf("%s: secret %s created twice", in.ID, k)
			}
			seen[k] = true
		}
	}
}

func TestSecretsAndHandOffs(t *testing.T) {
	tests := []struct {
		integ   string
		secrets []string
		creates map[string]string // secret → creating step
		handsOn map[string][]string
	}{
		{"vetty-chattr", []string{"api_key"},
			map[string]string{"api_key": "vetty-key"},
			map[string][]string{"chattr-connect": {"api_key"}}},
		{"certn-lever", []string{"api_key", "signing_token"},
			map[string]string{"api_key": "lever-key", "signing_token": "lever-signing-token"},
			map[string][]string{"certn-credentials": {"api_key", "signing_token"}}},
		{"charthop-lever", []string{"api_key", "webhook_secret"},
			map[string]string{"api_key": "lever-key", "webhook_secret": "charthop-webhook-secret"},
			map[string][]string{"charthop-connect": {"api_key"}, "charthop-hire-webhook": {"webhook_secret"}}},
	}
	for _, tt := range tests {
		in := mustLookup(t, tt.integ)
		if !slices.Equal(in.SecretKeys(), tt.secrets) {
			t.Errorf("%s SecretKeys = %v, want %v", tt.integ, in.SecretKeys(), tt.secrets)
		}
		for k, step := range tt.creates {
			s, ok := in.StepCreating(k)
			if !ok || s.ID != step {
				t.Errorf("%s StepCreating(%s) = %s, want %s", tt.integ, k, s.ID, step)
			}
			f, ok := in.SecretField(k)
			if !ok || f.Key != k || !f.IsSecret() {
				t.Errorf("%s SecretField(%s) = %+v", tt.integ, k, f)
			}
		}
		for _, s := range in.Steps {
			if !slices.Equal(s.HandsOn, tt.handsOn[s.ID]) {
				t.Errorf("%s/%s HandsOn = %v, want %v", tt.integ, s.ID, s.HandsOn, tt.handsOn[s.ID])
			}
		}
		if _, ok := in.StepCreating("nope"); ok {
			t.Errorf("%s StepCreating(nope) found a step", tt.integ)
		}
	}
}

func TestVettyCopyItemsAreLiteral(t *testing.T) {
	s := mustStep(t, mustLookup(t, "vetty-chattr"), "vetty-webhook")
	want := []string{"https://us-central1-hire-humanly.cloudfunctions.net/vettyReceiveEvents", "chattr"}
	var got []string
	for _, c := range s.Copy {
		got = append(got, c.Value)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("vetty-webhook copy values = %v, want %v", got, want)
	}
}

func TestCatalogCallsAreIndependent(t *testing.T) {
	a := Catalog()
	a[0].Steps[0].Title = "changed"
	a[0].Steps[0].Fields[0].Key = "changed"
	b := Catalog()
	if b[0].Steps[0].Title == "changed" || b[0].Steps[0].Fields[0].Key == "changed" {
		t.Fatal("changing one Catalog() result changed the next")
	}
}

func TestOnlyVettyKeysExpire(t *testing.T) {
	created := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	for _, in := range Catalog() {
		for _, s := range in.Steps {
			_, ok := s.SecretExpiry(map[string]string{"expiry_months": "24"}, created)
			if want := in.ID == "vetty-chattr" && s.ID == "vetty-key"; ok != want {
				t.Errorf("%s/%s SecretExpiry ok = %v, want %v", in.ID, s.ID, ok, want)
			}
		}
	}
	s := mustStep(t, mustLookup(t, "vetty-chattr"), "vetty-key")
	tests := []struct {
		months string
		want   time.Time
		ok     bool
	}{
		{"24", time.Date(2028, 1, 31, 12, 0, 0, 0, time.UTC), true},
		{"1", time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC), true}, // Jan 31 + 1 month normalizes like time.AddDate
		{" 120 ", time.Date(2036, 1, 31, 12, 0, 0, 0, time.UTC), true},
		{"0", time.Time{}, false},
		{"", time.Time{}, false},
		{"abc", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := s.SecretExpiry(map[string]string{"expiry_months": tt.months}, created)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("SecretExpiry(%q) = %v, %v; want %v, %v", tt.months, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		ref        string
		integ, stp string
		wantErr    error
		wantInMsg  []string
	}{
		{"certn-lever/lever-key", "certn-lever", "lever-key", nil, nil},
		{" charthop-lever/charthop-options ", "charthop-lever", "charthop-options", nil, nil},
		{"vetty-chattr/chattr-packages", "vetty-chattr", "chattr-packages", nil, nil},
		{"lever/lever-key", "", "", ErrUnknownIntegration, []string{"vetty-chattr, certn-lever, charthop-lever"}},
		{"certn-lever/vetty-key", "", "", ErrUnknownStep, []string{"lever-key, lever-signing-token, certn-packages, certn-credentials, certn-enable, lever-trigger-stage"}},
		{"certn-lever", "", "", ErrBadRef, []string{"INTEGRATION/STEP"}},
		{"certn-lever/", "", "", ErrBadRef, nil},
		{"/lever-key", "", "", ErrBadRef, nil},
		{"certn-lever/lever-key/x", "", "", ErrBadRef, nil},
		{"", "", "", ErrBadRef, nil},
	}
	for _, tt := range tests {
		i, s, err := ParseRef(tt.ref)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("ParseRef(%q) err = %v, want %v", tt.ref, err, tt.wantErr)
			continue
		}
		if i != tt.integ || s != tt.stp {
			t.Errorf("ParseRef(%q) = %q, %q; want %q, %q", tt.ref, i, s, tt.integ, tt.stp)
		}
		for _, m := range tt.wantInMsg {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("ParseRef(%q) error %q lacks %q", tt.ref, err, m)
			}
		}
	}
}

func TestParseSecretRef(t *testing.T) {
	tests := []struct {
		ref     string
		wantErr error
	}{
		{"certn-lever/signing_token", nil},
		{"charthop-lever/webhook_secret", nil},
		{"vetty-chattr/api_key", nil},
		{"vetty-chattr/signing_token", ErrUnknownSecret},
		{"x/api_key", ErrUnknownIntegration},
		{"api_key", ErrBadRef},
	}
	for _, tt := range tests {
		_, _, err := ParseSecretRef(tt.ref)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("ParseSecretRef(%q) err = %v, want %v", tt.ref, err, tt.wantErr)
		}
	}
	_, _, err := ParseSecretRef("certn-lever/token")
	if err == nil || !strings.Contains(err.Error(), "api_key, signing_token") {
		t.Errorf("ParseSecretRef error %v does not list the valid secrets", err)
	}
}

func TestValidateAnswers(t *testing.T) {
	vetty := mustLookup(t, "vetty-chattr")
	certn := mustLookup(t, "certn-lever")
	chop := mustLookup(t, "charthop-lever")
	outbound := Answers{"charthop-source": {"source": "charthop"}}
	inbound := Answers{"charthop-source": {"source": "lever"}}
	tests := []struct {
		name     string
		step     Step
		values   map[string]string
		prior    Answers
		want     map[string]string
		wantErr  error
		wantWarn string
	}{
		{"vetty key defaults fill in", mustStep(t, vetty, "vetty-key"),
			map[string]string{"user": " ops@example.com "}, nil,
			map[string]string{"user": "ops@example.com", "ip_allowlist": "0.0.0.0/0", "expiry_months": "24"}, nil, "any IPv4 address"},
		{"vetty key user missing", mustStep(t, vetty, "vetty-key"),
			map[string]string{}, nil, nil, ErrMissingValue, ""},
		{"secret among answers refused", mustStep(t, vetty, "vetty-key"),
			map[string]string{"user": "a", "api_key": "x"}, nil, nil, ErrInvalidValue, ""},
		{"unknown field", mustStep(t, vetty, "vetty-key"),
			map[string]string{"user": "a", "colour": "x"}, nil, nil, ErrUnknownField, ""},
		{"bad expiry", mustStep(t, vetty, "vetty-key"),
			map[string]string{"user": "a", "expiry_months": "121"}, nil, nil, ErrInvalidValue, ""},
		{"chattr token valid", mustStep(t, vetty, "chattr-connect"),
			map[string]string{"token_status": "Valid", "confirmed": "yes"}, nil,
			map[string]string{"token_status": "valid", "confirmed": "true"}, nil, ""},
		{"chattr token invalid blocks", mustStep(t, vetty, "chattr-connect"),
			map[string]string{"token_status": "invalid", "confirmed": "true"}, nil, nil, ErrInvalidValue, ""},
		{"attested needs confirmation", mustStep(t, vetty, "vetty-webhook"),
			map[string]string{"confirmed": "false"}, nil, nil, ErrInvalidValue, ""},
		{"certn default exists", mustStep(t, certn, "certn-packages"),
			map[string]string{"packages": "Standard:Criminal+ID; Driver:MVR", "default_package": "Driver"}, nil,
			map[string]string{"packages": "Standard:Criminal+ID;Driver:MVR", "default_package": "Driver"}, nil, ""},
		{"certn default missing", mustStep(t, certn, "certn-packages"),
			map[string]string{"packages": "Standard:Criminal", "default_package": "Gold"}, nil, nil, ErrInvalidValue, ""},
		{"certn default other case", mustStep(t, certn, "certn-packages"),
			map[string]string{"packages": "Standard:Criminal", "default_package": "standard"}, nil, nil, ErrInvalidValue, ""},
		{"options outbound recommended", mustStep(t, chop, "charthop-options"),
			map[string]string{"sync_on_change": "true", "reconciliation": "true", "run_daily": "yes"}, outbound,
			map[string]string{"run_daily": "true", "sync_on_change": "true", "reverse_sync": "false", "reconciliation": "true", "remote_location_default": "false"}, nil, ""},
		{"options outbound missing required", mustStep(t, chop, "charthop-options"),
			map[string]string{}, outbound, nil, ErrOptionRules, ""},
		{"options inbound warns run daily", mustStep(t, chop, "charthop-options"),
			map[string]string{"reverse_sync": "on"}, inbound,
			map[string]string{"run_daily": "false", "sync_on_change": "false", "reverse_sync": "true", "reconciliation": "false", "remote_location_default": "false"}, nil, "Run Daily is recommended"},
		{"options without source", mustStep(t, chop, "charthop-options"),
			map[string]string{"reverse_sync": "true"}, nil, nil, ErrPrerequisite, ""},
		{"write permissions incomplete", mustStep(t, chop, "lever-key"),
			map[string]string{"region": "us", "write_permissions": "create_requisitions"}, nil, nil, ErrInvalidValue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warns, err := tt.step.ValidateAnswers(tt.values, tt.prior)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("values = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if tt.wantWarn != "" && !strings.Contains(strings.Join(warns, "\n"), tt.wantWarn) {
				t.Errorf("warnings %q lack %q", warns, tt.wantWarn)
			}
		})
	}
}

func TestHandoffs(t *testing.T) {
	certn := mustLookup(t, "certn-lever")
	stage := mustStep(t, certn, "lever-trigger-stage")
	msg := stage.Handoff(map[string]string{"stage": "Background Check"}, Answers{"certn-enable": {"webhook_url": "https://api.certn.co/hooks/abc"}})
	for _, want := range []string{"https://api.certn.co/hooks/abc", "Background Check"} {
		if !strings.Contains(msg, want) {
			t.Errorf("trigger-stage handoff lacks %q:\n%s", want, msg)
		}
	}
	if got := stage.Handoff(map[string]string{"stage": "X"}, nil); got != "" {
		t.Errorf("handoff without the URL = %q, want empty", got)
	}
	pk := mustStep(t, mustLookup(t, "vetty-chattr"), "chattr-packages")
	msg = pk.Handoff(map[string]string{"packages": "Driver=MVR Plus;Warehouse=Basic"}, nil)
	for _, want := range []string{"- Driver: MVR Plus", "- Warehouse: Basic"} {
		if !strings.Contains(msg, want) {
			t.Errorf("chattr handoff lacks %q:\n%s", want, msg)
		}
	}
}

func TestAnswersFromRecords(t *testing.T) {
	recs := map[string]StepRecord{
		"charthop-source":  {StepID: "charthop-source", Status: StatusDone, Values: map[string]string{"source": "lever"}},
		"charthop-install": {StepID: "charthop-install", Status: StatusTodo},
	}
	a := AnswersFromRecords(recs)
	if a.Get("charthop-source", "source") != "lever" || a.Get("charthop-install", "confirmed") != "" || a.Get("x", "y") != "" {
		t.Fatalf("AnswersFromRecords = %v", a)
	}
	a["charthop-source"]["source"] = "charthop"
	if recs["charthop-source"].Values["source"] != "lever" {
		t.Fatal("AnswersFromRecords shares maps with the records")
	}
}
