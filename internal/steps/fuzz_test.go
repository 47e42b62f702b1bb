package steps

import (
	"errors"
	"maps"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/ (Go's corpus format); the
// f.Add calls below add a few more inline.

// allSteps is every step of the catalog, for fuzzers that pick one by index.
func allSteps() []Step {
	var s []Step
	for _, in := range Catalog() {
		s = append(s, in.Steps...)
	}
	return s
}

// checkIdempotent: a normalized value re-validates to itself, without error.
func checkIdempotent(t *testing.T, name string, v func(string) (string, []string, error), in string) (string, bool) {
	t.Helper()
	n, _, err := v(in)
	if err != nil {
		if !errors.Is(err, ErrInvalidValue) {
			t.Fatalf("%s(%q): error %v does not wrap ErrInvalidValue", name, in, err)
		}
		return "", false
	}
	again, _, err := v(n)
	if err != nil || again != n {
		t.Fatalf("%s(%q) = %q, which re-validates to %q, %v", name, in, n, again, err)
	}
	if n != strings.TrimSpace(n) {
		t.Fatalf("%s(%q) = %q keeps surrounding whitespace", name, in, n)
	}
	return n, true
}

func FuzzCIDRList(f *testing.F) {
	for _, s := range []string{"0.0.0.0/0", "::/0", "10.0.0.1/8, 2001:db8::/32,", "203.0.113.7", "::ffff:1.2.3.4/128", "1.2.3.4/33", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, ok := checkIdempotent(t, "ValidateCIDRList", ValidateCIDRList, in)
		if !ok {
			return
		}
		seen := map[string]bool{}
		for item := range strings.SplitSeq(n, ",") {
			p, err := netip.ParsePrefix(item)
			if err != nil || p.Masked() != p || p.String() != item || seen[item] {
				t.Fatalf("ValidateCIDRList(%q) = %q: item %q is not a canonical, unique range", in, n, item)
			}
			seen[item] = true
		}
	})
}

func FuzzPackages(f *testing.F) {
	for _, s := range []string{"Standard:Criminal+ID", " A : x + y ; B:z ;", "A:x;a:y", "A", ":x", "A:x:y", "CERTN - X:y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, ok := checkIdempotent(t, "ValidateCertnPackages", ValidateCertnPackages, in)
		if !ok {
			return
		}
		a, errA := ParseCertnPackages(in)
		b, errB := ParseCertnPackages(n)
		if errA != nil || errB != nil || !slices.EqualFunc(a, b, func(x, y CertnPackage) bool {
			return x.Name == y.Name && slices.Equal(x.Services, y.Services)
		}) {
			t.Fatalf("packages of %q and of its normal form %q differ: %v / %v", in, n, a, b)
		}
		names := map[string]bool{}
		for _, p := range b {
			if p.Name == "" || names[strings.ToLower(p.Name)] || len(p.Services) == 0 {
				t.Fatalf("ValidateCertnPackages(%q) accepted %+v", in, b)
			}
			names[strings.ToLower(p.Name)] = true
			for _, s := range p.Services {
				if s == "" || strings.ContainsAny(s, ";+:") {
					t.Fatalf("ValidateCertnPackages(%q): bad service %q", in, s)
				}
			}
		}
	})
}

func FuzzMapping(f *testing.F) {
	for _, s := range []string{"Driver=MVR", " A = B ; C=D;", "A=B;a=C", "=B", "A=", "A=B=C", ";"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, ok := checkIdempotent(t, "ValidateChattrMapping", ValidateChattrMapping, in)
		if !ok {
			return
		}
		m, err := ParseChattrMapping(n)
		if err != nil || len(m) == 0 {
			t.Fatalf("normal form %q of %q does not parse: %v", n, in, err)
		}
		pos := map[string]bool{}
		for _, pp := range m {
			if pp.Position == "" || pp.Package == "" || pos[strings.ToLower(pp.Position)] || strings.Contains(pp.Package, "=") {
				t.Fatalf("ValidateChattrMapping(%q) accepted %+v", in, m)
			}
			pos[strings.ToLower(pp.Position)] = true
		}
	})
}

func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://api.certn.co/x", "http://a.b", "HTTPS://A.B/ c", "https://", "https://u:p@h/", "https://h:0/", "https://[::1]:443/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, ok := checkIdempotent(t, "ValidateHTTPSURL", ValidateHTTPSURL, in)
		if !ok {
			return
		}
		if !strings.HasPrefix(n, "https://") || strings.IndexFunc(n, unicode.IsSpace) >= 0 {
			t.Fatalf("ValidateHTTPSURL(%q) = %q", in, n)
		}
		u, err := url.Parse(n)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
			t.Fatalf("ValidateHTTPSURL(%q) = %q, which is not an https URL with a host: %v", in, n, err)
		}
	})
}

// secretMessages is every message ValidateSecret may give: fixed texts, so
// none can carry the input.
var secretMessages = regexp.MustCompile(`^(is \d+ characters long; at most \d+ are accepted|` +
	`contains bytes that are not text; copy the key again from the vendor's page|` +
	`is empty; paste the key or token the vendor showed|` +
	`has a space or line break inside it; keys never do, so paste only the key itself|` +
	`contains a control character; copy the key again from the vendor's page)$`)

func FuzzSecret(f *testing.F) {
	for _, s := range []string{"sk_live_abc", " abc\n", "a b", "", "\x00", "\xff", "ab\u00a0cd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, _, err := ValidateSecret(in)
		if err != nil {
			if !secretMessages.MatchString(err.Error()) {
				t.Fatalf("ValidateSecret gave a message outside the fixed set: %q", err)
			}
			return
		}
		if n != strings.TrimSpace(in) || n == "" || strings.IndexFunc(n, unicode.IsSpace) >= 0 {
			t.Fatalf("ValidateSecret(%q) = %q", in, n)
		}
		checkIdempotent(t, "ValidateSecret", ValidateSecret, in)
	})
}

func FuzzParseSets(f *testing.F) {
	f.Add(uint8(0), "user=ops\nip_allowlist=0.0.0.0/0\nexpiry_months=24\napi_key=@-", []byte("key\n"), []byte("file-key"))
	f.Add(uint8(0), "api_key=literal-secret-value", []byte(""), []byte(""))
	f.Add(uint8(5), "signing_token=@/tmp/tok", []byte(""), []byte(" tok \n"))
	f.Add(uint8(13), "source=lever", []byte(""), []byte(""))
	f.Add(uint8(15), "webhook_secret=@-\nconfirmed=yes\nwebhook_secret=@-", []byte("a"), []byte("b"))
	steps := allSteps()
	f.Fuzz(func(t *testing.T, idx uint8, joined string, stdin, file []byte) {
		step := steps[int(idx)%len(steps)]
		var sets []string
		if joined != "" {
			sets = strings.Split(joined, "\n")
		}
		read := func(ref string) ([]byte, error) {
			if ref == StdinRef {
				return stdin, nil
			}
			if strings.HasPrefix(ref, "missing") {
				return nil, errors.New("no such file")
			}
			return file, nil
		}
		values, secrets, _, err := ParseSets(step, sets, read)

		// The error does not depend on a literal secret, nor on a set that
		// is not KEY=VALUE (it might be a pasted secret): replacing them
		// with neutral text gives the very same error.
		neutral := slices.Clone(sets)
		for i, s := range neutral {
			k, v, ok := strings.Cut(s, "=")
			if !ok {
				neutral[i] = "MALFORMED"
				continue
			}
			fld, known := step.Field(strings.ToLower(strings.TrimSpace(k)))
			if known && fld.IsSecret() && !strings.HasPrefix(strings.TrimSpace(v), "@") {
				neutral[i] = k + "=LITERAL"
			}
		}
		_, _, _, nerr := ParseSets(step, neutral, read)
		if errText(err) != errText(nerr) {
			t.Fatalf("the error depends on a secret-like input:\n%q\nvs\n%q", errText(err), errText(nerr))
		}
		// Secret content read from stdin or a file never reaches an error.
		if err != nil {
			for _, c := range [][]byte{stdin, file} {
				s := strings.TrimSpace(string(c))
				if len(s) >= 12 && !strings.Contains(joined, s) && strings.Contains(err.Error(), s) {
					t.Fatalf("error %q contains secret content", err)
				}
			}
			if values != nil || secrets != nil {
				t.Fatal("values returned with an error")
			}
			return
		}
		for k := range values {
			if fld, ok := step.Field(k); !ok || fld.IsSecret() {
				t.Fatalf("values hold %q", k)
			}
		}
		for k := range secrets {
			if fld, ok := step.Field(k); !ok || !fld.IsSecret() {
				t.Fatalf("secrets hold %q", k)
			}
		}
		// Feeding the normalized answers back gives them unchanged.
		var again []string
		for k, v := range values {
			again = append(again, k+"="+v)
		}
		for k := range secrets {
			again = append(again, k+"=@"+k)
		}
		v2, s2, _, err := ParseSets(step, again, func(ref string) ([]byte, error) { return []byte(secrets[ref]), nil })
		if err != nil || !maps.Equal(v2, values) || !maps.Equal(s2, secrets) {
			t.Fatalf("normalized answers do not re-parse to themselves: %v", err)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
