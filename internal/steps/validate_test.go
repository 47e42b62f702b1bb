package steps

import (
	"errors"
	"strings"
	"testing"
)

type validatorCase struct {
	in       string
	want     string // normalized; ignored when errPart is set
	errPart  string // "" = must pass; else a piece of the message
	warnPart string // a piece of some warning
}

func runValidator(t *testing.T, name string, v func(string) (string, []string, error), cases []validatorCase) {
	t.Helper()
	for _, tt := range cases {
		got, warns, err := v(tt.in)
		if tt.errPart != "" {
			if err == nil {
				t.Errorf("%s(%q) = %q, want an error containing %q", name, tt.in, got, tt.errPart)
				continue
			}
			if !errors.Is(err, ErrInvalidValue) {
				t.Errorf("%s(%q) error %v does not wrap ErrInvalidValue", name, tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("%s(%q) error %q lacks %q", name, tt.in, err, tt.errPart)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s(%q) unexpected error: %v", name, tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", name, tt.in, got, tt.want)
		}
		joined := strings.Join(warns, "\n")
		if tt.warnPart != "" && !strings.Contains(joined, tt.warnPart) {
			t.Errorf("%s(%q) warnings %q lack %q", name, tt.in, warns, tt.warnPart)
		}
		if tt.warnPart == "" && len(warns) > 0 {
			t.Errorf("%s(%q) unexpected warnings %q", name, tt.in, warns)
		}
		// Normalized output is a fixed point.
		again, _, err := v(got)
		if err != nil || again != got {
			t.Errorf("%s(%q) = %q, which re-validates to %q, %v", name, tt.in, got, again, err)
		}
	}
}

func TestValidateCIDRList(t *testing.T) {
	runValidator(t, "ValidateCIDRList", ValidateCIDRList, []validatorCase{
		{in: "0.0.0.0/0", want: "0.0.0.0/0", warnPart: "any IPv4 address"},
		{in: "::/0", want: "::/0", warnPart: "any IPv6 address"},
		{in: " 203.0.113.0/24 , 2001:db8::/32 ", want: "203.0.113.0/24,2001:db8::/32"},
		{in: "203.0.113.0/24,", want: "203.0.113.0/24"},
		{in: "203.0.113.7", want: "203.0.113.7/32"},
		{in: "2001:db8::1", want: "2001:db8::1/128"},
		{in: "10.0.0.1/8", want: "10.0.0.0/8", warnPart: "host bits set; using 10.0.0.0/8"},
		{in: "2001:DB8::/32", want: "2001:db8::/32"},
		{in: "10.0.0.0/8,10.0.0.0/8", want: "10.0.0.0/8"},
		{in: "", errPart: "names no IP range"},
		{in: " , ", errPart: "names no IP range"},
		{in: "10.0.0.300/8", errPart: `"10.0.0.300/8" is not a CIDR range`},
		{in: "10.0.0.0/33", errPart: "not a CIDR range"},
		{in: "2001:db8::/129", errPart: "not a CIDR range"},
		{in: "10.0.0.0 /8", errPart: "not a CIDR range"},
		{in: "example.com", errPart: "not an IP address"},
		{in: "10.0.0.0/8;10.1.0.0/16", errPart: "not a CIDR range"},
		{in: "::ffff:10.0.0.0/104", errPart: "IPv4 range written as IPv6"},
		{in: "fe80::1%eth0/64", errPart: "not a CIDR range"},
		{in: "10.0.0.0/8\n10.1.0.0/16", errPart: "control character"},
	})
}

func TestValidateExpiryMonths(t *testing.T) {
	runValidator(t, "ValidateExpiryMonths", ValidateExpiryMonths, []validatorCase{
		{in: "24", want: "24"},
		{in: " 1 ", want: "1", warnPart: "recommends a longer"},
		{in: "120", want: "120"},
		{in: "024", want: "24"},
		{in: "0", errPart: "from 1 to 120"},
		{in: "121", errPart: "121 months is out of range"},
		{in: "99999", errPart: "from 1 to 120"},
		{in: "-3", errPart: "not a whole number"},
		{in: "+3", errPart: "not a whole number"},
		{in: "2.5", errPart: "not a whole number"},
		{in: "twenty", errPart: "not a whole number"},
		{in: "", errPart: "is empty"},
	})
}

func TestValidateHTTPSURL(t *testing.T) {
	runValidator(t, "ValidateHTTPSURL", ValidateHTTPSURL, []validatorCase{
		{in: "https://api.certn.co/integrations/lever/abc123", want: "https://api.certn.co/integrations/lever/abc123"},
		{in: "  HTTPS://Example.com/hook?x=1  ", want: "https://Example.com/hook?x=1"},
		{in: "https://example.com:8443/x", want: "https://example.com:8443/x"},
		{in: "http://example.com/hook", errPart: "uses http; only https"},
		{in: "ftp://example.com", errPart: "only https"},
		{in: "example.com/hook", errPart: "must start with https://"},
		{in: "https://", errPart: "no host name"},
		{in: "https:///path", errPart: "no host name"},
		{in: "https://exa mple.com", errPart: "contains a space"},
		{in: "https://example.com/a\tb", errPart: "contains a space"},
		{in: "https://user:pw@example.com/x", errPart: "user name or password"},
		{in: "https://example.com:99999/x", errPart: "invalid port"},
		{in: "", errPart: "is empty"},
	})
}

func TestValidateSecret(t *testing.T) {
	runValidator(t, "ValidateSecret", ValidateSecret, []validatorCase{
		{in: "sk_live_abc123", want: "sk_live_abc123"},
		{in: "  abc123\n", want: "abc123"},
		{in: "\r\nabc123\r\n", want: "abc123"},
		{in: "\tabc123 ", want: "abc123"},
		{in: "", errPart: "is empty"},
		{in: " \n\t", errPart: "is empty"},
		{in: "abc 123", errPart: "space or line break inside"},
		{in: "abc\n123", errPart: "space or line break inside"},
		{in: "abc\x00123", errPart: "control character"},
		{in: "abc\xff", errPart: "not text"},
		{in: strings.Repeat("a", maxValueLen+1), errPart: "at most 4096"},
	})
}

func TestSecretMessagesNeverQuoteInput(t *testing.T) {
	for _, in := range []string{"hunter2 hunter3", "sekrit\x00", "pw\xffpw", "", strings.Repeat("Z", 5000)} {
		_, _, err := ValidateSecret(in)
		if err == nil {
			t.Fatalf("ValidateSecret(%q) passed", in)
		}
		for _, piece := range strings.Fields(in) {
			if len(piece) > 2 && strings.Contains(err.Error(), piece) {
				t.Errorf("error %q quotes the input", err)
			}
		}
	}
}

func TestValidateToggleAndConfirm(t *testing.T) {
	runValidator(t, "ValidateToggle", ValidateToggle, []validatorCase{
		{in: "true", want: "true"},
		{in: " Yes ", want: "true"},
		{in: "1", want: "true"},
		{in: "ON", want: "true"},
		{in: "false", want: "false"},
		{in: "no", want: "false"},
		{in: "0", want: "false"},
		{in: "off", want: "false"},
		{in: "maybe", errPart: `"maybe" is not true or false`},
		{in: "", errPart: "not true or false"},
	})
	runValidator(t, "ValidateConfirm", ValidateConfirm, []validatorCase{
		{in: "true", want: "true"},
		{in: "yes", want: "true"},
		{in: "false", errPart: "only once you confirm"},
		{in: "no", errPart: "only once you confirm"},
		{in: "x", errPart: "confirmed=true"},
	})
}

func TestSelectAndMultiSelect(t *testing.T) {
	region := leverRegionField()
	runValidator(t, "region", validatorOf(region), []validatorCase{
		{in: "us", want: "us"},
		{in: " EU ", want: "eu"},
		{in: "Sandbox", want: "sandbox"},
		{in: "uk", errPart: `"uk" is not one of the choices; choose "us", "eu" or "sandbox"`},
		{in: "", errPart: "is empty"},
	})
	perms := multiSelectValidator(chartHopWritePermissions, true)
	runValidator(t, "write_permissions", perms, []validatorCase{
		{in: "create_requisitions,delete_requisitions,update_posting,update_requisition_fields",
			want: "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"},
		{in: " update_requisition_fields, Update posting ,create_requisitions,delete_requisitions,create_requisitions",
			want: "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"},
		{in: "create_requisitions,update_posting", errPart: "missing: Delete requisitions, Update requisition fields"},
		{in: "", errPart: "missing: Create requisitions, Delete requisitions, Update posting, Update requisition fields"},
		{in: "create_requisitions,read_everything", errPart: `"read_everything" is not one of the choices`},
	})
	some := multiSelectValidator(chartHopWritePermissions, false)
	runValidator(t, "multi", some, []validatorCase{
		{in: "update_posting", want: "update_posting"},
		{in: ",", errPart: "is empty"},
	})
}

// validatorOf returns the validator Field.Check would use.
func validatorOf(f Field) func(string) (string, []string, error) {
	if f.Validate != nil {
		return f.Validate
	}
	return defaultValidator(f)
}

func TestValidateCertnPackages(t *testing.T) {
	runValidator(t, "ValidateCertnPackages", ValidateCertnPackages, []validatorCase{
		{in: "Standard:Criminal Record Check+ID Verification", want: "Standard:Criminal Record Check+ID Verification"},
		{in: " Standard : Criminal + ID ; Driver:MVR ;", want: "Standard:Criminal+ID;Driver:MVR"},
		{in: "Standard:Criminal+criminal+ID", want: "Standard:Criminal+ID"},
		{in: "Standard:Criminal++ID+", want: "Standard:Criminal+ID"},
		{in: "CERTN - Fast:Criminal", want: "CERTN - Fast:Criminal", warnPart: "starts like Certn's status tags"},
		{in: "", errPart: "names no package"},
		{in: ";;", errPart: "names no package"},
		{in: "Standard", errPart: `package "Standard" has no services`},
		{in: "Standard:", errPart: `package "Standard" has no services`},
		{in: "Standard: + ", errPart: `package "Standard" has no services`},
		{in: ":Criminal", errPart: "no package name"},
		{in: "Standard:A;standard:B", errPart: `package "standard" appears twice`},
		{in: "Standard:A:B", errPart: "contains a colon"},
		{in: "Standard:A\n;B:C", errPart: "control character"},
	})
	runValidator(t, "ValidateDefaultPackage", ValidateDefaultPackage, []validatorCase{
		{in: " Standard ", want: "Standard"},
		{in: "Basic+Drug", want: "Basic+Drug"},
		{in: "A;B", errPart: "exactly one default package"},
		{in: "", errPart: "is empty"},
	})
}

func TestValidateChattrMapping(t *testing.T) {
	runValidator(t, "ValidateChattrMapping", ValidateChattrMapping, []validatorCase{
		{in: "Driver=MVR Plus", want: "Driver=MVR Plus"},
		{in: " Driver = MVR ; Warehouse Associate=Basic;", want: "Driver=MVR;Warehouse Associate=Basic"},
		{in: "Driver=Basic;Warehouse=Basic", want: "Driver=Basic;Warehouse=Basic"},
		{in: "", errPart: "maps no position"},
		{in: "Driver", errPart: `"Driver" has no '='`},
		{in: "=Basic", errPart: "no position before '='"},
		{in: "Driver=", errPart: `position "Driver" has no package`},
		{in: "Driver=A=B", errPart: "more than one '='"},
		{in: "Driver=A;driver=B", errPart: `position "driver" is mapped twice`},
	})
}

func TestFieldCheck(t *testing.T) {
	f := Field{Key: "note", Label: "Note", Kind: KindText, Optional: true}
	if n, _, err := f.Check("  "); err != nil || n != "" {
		t.Errorf("optional empty = %q, %v", n, err)
	}
	f.Optional = false
	_, _, err := f.Check("")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "note" || !strings.HasPrefix(err.Error(), "note: ") {
		t.Errorf("required empty err = %v, want a FieldError for note", err)
	}
	n := Field{Key: "count", Kind: KindNumber}
	if got, _, err := n.Check(" 7 "); err != nil || got != "7" {
		t.Errorf("number = %q, %v", got, err)
	}
	if _, _, err := n.Check("7x"); err == nil {
		t.Error("number 7x passed")
	}
	dyn := Field{Key: "stage", Kind: KindSelect, Source: SourceLeverStages}
	if got, _, err := dyn.Check(" Background Check "); err != nil || got != "Background Check" {
		t.Errorf("dynamic select = %q, %v", got, err)
	}
	if _, _, err := (Field{Key: "text", Kind: KindText}).Check("a\nb"); err == nil {
		t.Error("text with a line break passed")
	}
}

func TestCertnTags(t *testing.T) {
	for tag, want := range map[string]bool{
		"CERTN - Pending": true, "CERTN - Complete (Clear)": true, "certn - error (no email)": true,
		"CERTN": false, "Standard": false, "": false,
	} {
		if IsCertnStatusTag(tag) != want {
			t.Errorf("IsCertnStatusTag(%q) = %v", tag, !want)
		}
	}
	pkgs, err := ParseCertnPackages("Standard:Criminal;Driver:MVR;Rush:ID")
	if err != nil {
		t.Fatal(err)
	}
	w := PackageTagCollisions(pkgs, []string{"referral", "driver", "Rush", "CERTN - Pending"})
	if len(w) != 2 || !strings.Contains(w[0], `"Driver" is already a Lever tag ("driver")`) || !strings.Contains(w[1], `"Rush"`) {
		t.Errorf("collisions = %q", w)
	}
	if w := PackageTagCollisions(pkgs, nil); len(w) != 0 {
		t.Errorf("no tags, collisions %q", w)
	}
}

// Issue 13.12: a signing token shorter than 16 characters or holding
// whitespace is refused, without quoting it.
func TestValidateSigningToken(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: " whsec_0123456789abcdef\n", want: "whsec_0123456789abcdef"},
		{in: "tok_abc", bad: true},
		{in: "whsec_0123 456789abcdef", bad: true},
	} {
		got, _, err := ValidateSigningToken(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ValidateSigningToken(%q) = %q, %v", tc.in, got, err)
		}
		if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
			t.Errorf("the message quotes the token: %v", err)
		}
	}
}

// Issue 13.12: "after 1 month", not "after 1 months".
func TestExpiryWarningSingular(t *testing.T) {
	_, w, err := ValidateExpiryMonths("1")
	if err != nil || len(w) != 1 || !strings.Contains(w[0], "after 1 month and") {
		t.Errorf("warnings = %q, %v", w, err)
	}
}
