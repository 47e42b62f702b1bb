package steps

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every validator here has the Field.Validate shape: it trims what a paste
// adds, returns the canonical form, and is idempotent (feeding the
// normalized value back returns it unchanged, with no error). Messages say
// what is wrong and what is expected; secret validators never quote input.

// maxValueLen bounds every answer: nothing patchbay asks for is longer, and
// a bound keeps a mistaken paste of a whole file from going further.
const maxValueLen = 4096

// Expiry bounds for a Vetty key, in months.
const (
	MinExpiryMonths     = 1
	MaxExpiryMonths     = 120
	DefaultExpiryMonths = 24
)

func checkLen(v string) error {
	if len(v) > maxValueLen {
		return invalid(fmt.Sprintf("is %d characters long; at most %d are accepted", len(v), maxValueLen))
	}
	return nil
}

// oneLine rejects what cannot be part of a single typed line.
func oneLine(v string) error {
	if !utf8.ValidString(v) {
		return invalid("contains bytes that are not text (not UTF-8)")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return invalid("contains a control character (a tab, line break or similar); type it on one line")
		}
	}
	return nil
}

// ValidateText accepts one non-empty line of text, trimmed.
func ValidateText(v string) (string, []string, error) {
	if err := checkLen(v); err != nil {
		return "", nil, err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil, invalid("is empty")
	}
	if err := oneLine(v); err != nil {
		return "", nil, err
	}
	return v, nil, nil
}

// ValidateSecret trims whitespace a paste brings along (spaces, a trailing
// newline from a file or `echo`) and refuses an empty value or one with
// whitespace inside it: API keys and tokens never contain spaces, so a space
// means two things were pasted. The input is never quoted in a message.
func ValidateSecret(v string) (string, []string, error) {
	if err := checkLen(v); err != nil {
		return "", nil, err
	}
	if !utf8.ValidString(v) {
		return "", nil, invalid("contains bytes that are not text; copy the key again from the vendor's page")
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil, invalid("is empty; paste the key or token the vendor showed")
	}
	for _, r := range v {
		switch {
		case unicode.IsSpace(r):
			return "", nil, invalid("has a space or line break inside it; keys never do, so paste only the key itself")
		case unicode.IsControl(r) || r == utf8.RuneError:
			return "", nil, invalid("contains a control character; copy the key again from the vendor's page")
		}
	}
	return v, nil, nil
}

// MinSigningTokenLen is the shortest Lever webhook signing token accepted:
// Lever's tokens are long random strings, so a shorter paste is a fragment.
const MinSigningTokenLen = 16

// ValidateSigningToken is ValidateSecret plus a length: a token shorter
// than MinSigningTokenLen characters is refused. The input is never quoted.
func ValidateSigningToken(v string) (string, []string, error) {
	n, w, err := ValidateSecret(v)
	if err != nil {
		return "", nil, err
	}
	if l := utf8.RuneCountInString(n); l < MinSigningTokenLen {
		return "", nil, invalid(fmt.Sprintf("is %d characters long; Lever's signing tokens have at least %d, so copy the whole token from the Webhooks tab", l, MinSigningTokenLen))
	}
	return n, w, nil
}

// Months words a number of months: "1 month", "24 months".
func Months(n int) string {
	if n == 1 {
		return "1 month"
	}
	return fmt.Sprintf("%d months", n)
}

// ValidateCIDRList accepts comma-separated IPv4 and IPv6 ranges (a bare
// address counts as a one-address range). Items are trimmed, empty items
// (a trailing comma) dropped and duplicates removed. A range with host bits
// set (10.0.0.1/8) is accepted and rewritten to the range it names
// (10.0.0.0/8), with a warning: the admin meant the network, and Vetty
// stores ranges, so refusing would only add a round trip. 0.0.0.0/0 and
// ::/0 are accepted with a warning that any address can use the key.
func ValidateCIDRList(v string) (string, []string, error) {
	if err := checkLen(v); err != nil {
		return "", nil, err
	}
	if err := oneLine(strings.TrimSpace(v)); err != nil {
		return "", nil, err
	}
	var (
		out      []string
		warnings []string
		seen     = map[string]bool{}
	)
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := parseRange(item)
		if err != nil {
			return "", nil, err
		}
		if m := p.Masked(); m != p {
			warnings = append(warnings, fmt.Sprintf("%s has host bits set; using %s, the range it names", p, m))
			p = m
		}
		s := p.String()
		if seen[s] {
			continue
		}
		seen[s] = true
		if p.Bits() == 0 {
			family := "IPv4"
			if p.Addr().Is6() {
				family = "IPv6"
			}
			warnings = append(warnings, fmt.Sprintf("%s lets any %s address use this key; the article asks for it because Chattr calls Vetty from its own servers, whose addresses it does not publish", s, family))
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "", nil, invalid("names no IP range; enter one or more CIDR ranges separated by commas, e.g. 0.0.0.0/0 or 203.0.113.0/24")
	}
	return strings.Join(out, ","), warnings, nil
}

func parseRange(item string) (netip.Prefix, error) {
	if strings.Contains(item, "/") {
		p, err := netip.ParsePrefix(item)
		if err != nil || p.Addr().Zone() != "" {
			return netip.Prefix{}, invalid(fmt.Sprintf("%q is not a CIDR range; write an address, a slash and a prefix length, e.g. 203.0.113.0/24 or 2001:db8::/32", item))
		}
		// An IPv4 address written in IPv6 form would match nothing in Vetty's
		// IPv4 checks; ask for the plain form instead of guessing.
		if p.Addr().Is4In6() {
			return netip.Prefix{}, invalid(fmt.Sprintf("%q is an IPv4 range written as IPv6; write it in IPv4 form, e.g. 203.0.113.0/24", item))
		}
		return p, nil
	}
	a, err := netip.ParseAddr(item)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, invalid(fmt.Sprintf("%q is not an IP address or CIDR range; e.g. 203.0.113.0/24, 2001:db8::/32 or 0.0.0.0/0", item))
	}
	if a.Is4In6() {
		return netip.Prefix{}, invalid(fmt.Sprintf("%q is an IPv4 address written as IPv6; write it in IPv4 form", item))
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ValidateExpiryMonths accepts a whole number of months from 1 to 120.
func ValidateExpiryMonths(v string) (string, []string, error) {
	if err := checkLen(v); err != nil {
		return "", nil, err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil, invalid(fmt.Sprintf("is empty; enter a number of months from %d to %d (the article suggests %d)", MinExpiryMonths, MaxExpiryMonths, DefaultExpiryMonths))
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return "", nil, invalid(fmt.Sprintf("%q is not a whole number of months; enter %d to %d", v, MinExpiryMonths, MaxExpiryMonths))
		}
	}
	v = strings.TrimLeft(v, "0")
	if v == "" || len(v) > 4 {
		return "", nil, invalid(fmt.Sprintf("must be from %d to %d months", MinExpiryMonths, MaxExpiryMonths))
	}
	n, _ := strconv.Atoi(v) // only digits, at most four: cannot fail
	if n < MinExpiryMonths || n > MaxExpiryMonths {
		return "", nil, invalid(fmt.Sprintf("%d months is out of range; enter %d to %d", n, MinExpiryMonths, MaxExpiryMonths))
	}
	var warnings []string
	if n < 6 {
		warnings = append(warnings, fmt.Sprintf("the key stops working after %s and the connection with it; the article recommends a longer period (24 months)", Months(n)))
	}
	return strconv.Itoa(n), warnings, nil
}

// ValidateHTTPSURL accepts an absolute https URL with a host. Plain http is
// refused: the webhook carries candidate data, and Lever delivers only to
// https with a CA-signed certificate.
func ValidateHTTPSURL(v string) (string, []string, error) {
	if err := checkLen(v); err != nil {
		return "", nil, err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil, invalid("is empty; paste the https URL Certn showed")
	}
	if !utf8.ValidString(v) {
		return "", nil, invalid("contains bytes that are not text (not UTF-8)")
	}
	for _, r := range v {
		if unicode.IsSpace(r) {
			return "", nil, invalid("contains a space; a URL has none, so check that only the URL was pasted")
		}
		if unicode.IsControl(r) {
			return "", nil, invalid("contains a control character; paste only the URL")
		}
	}
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		return "", nil, invalid(fmt.Sprintf("%q is not a full URL; it must start with https://", v))
	}
	switch strings.ToLower(scheme) {
	case "https":
	case "http":
		return "", nil, invalid("uses http; only https URLs are accepted, since the webhook carries candidate data")
	default:
		return "", nil, invalid(fmt.Sprintf("uses %q; only https URLs are accepted", scheme))
	}
	v = "https://" + rest
	u, err := url.Parse(v)
	if err != nil {
		return "", nil, invalid(fmt.Sprintf("%q is not a valid URL", v))
	}
	if u.User != nil {
		return "", nil, invalid("contains a user name or password before the host; paste the URL without them")
	}
	if u.Hostname() == "" {
		return "", nil, invalid(fmt.Sprintf("%q has no host name after https://", v))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", nil, invalid(fmt.Sprintf("%q has an invalid port", v))
		}
	}
	return v, nil, nil
}

// truthy maps the spellings a person types for a yes/no answer.
func truthy(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "y", "1", "on":
		return true, true
	case "false", "no", "n", "0", "off":
		return false, true
	}
	return false, false
}

// ValidateToggle accepts true/false, yes/no, y/n, on/off or 1/0 in any
// case, normalized to "true" or "false".
func ValidateToggle(v string) (string, []string, error) {
	if err := checkLen(v); err != nil {
		return "", nil, err
	}
	b, ok := truthy(v)
	if !ok {
		return "", nil, invalid(fmt.Sprintf("%q is not true or false (yes/no and 1/0 also work)", strings.TrimSpace(v)))
	}
	return strconv.FormatBool(b), nil, nil
}

// ValidateConfirm accepts only a yes: an attested step completes when the
// admin confirms having done it in the vendor's UI.
func ValidateConfirm(v string) (string, []string, error) {
	if err := checkLen(v); err != nil {
		return "", nil, err
	}
	b, ok := truthy(v)
	switch {
	case !ok:
		return "", nil, invalid(fmt.Sprintf("%q is not true; set confirmed=true once the step is done in the vendor's UI", strings.TrimSpace(v)))
	case !b:
		return "", nil, invalid("this step completes only once you confirm it was done in the vendor's UI (confirmed=true)")
	}
	return "true", nil, nil
}

// selectValidator accepts one option, by value or label in any case.
func selectValidator(opts []Option) func(string) (string, []string, error) {
	return func(v string) (string, []string, error) {
		if err := checkLen(v); err != nil {
			return "", nil, err
		}
		v = strings.TrimSpace(v)
		if o, ok := matchOption(opts, v); ok {
			return o.Value, nil, nil
		}
		if v == "" {
			return "", nil, invalid("is empty; choose " + quoteList(optionValues(opts)))
		}
		return "", nil, invalid(fmt.Sprintf("%q is not one of the choices; choose %s", v, quoteList(optionValues(opts))))
	}
}

// multiSelectValidator accepts a comma-separated subset of the options,
// normalized to the options' order without repeats. With requireAll it is a
// checklist: every option must be present, and the message names the
// missing ones.
func multiSelectValidator(opts []Option, requireAll bool) func(string) (string, []string, error) {
	return func(v string) (string, []string, error) {
		if err := checkLen(v); err != nil {
			return "", nil, err
		}
		chosen := map[string]bool{}
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			o, ok := matchOption(opts, item)
			if !ok {
				return "", nil, invalid(fmt.Sprintf("%q is not one of the choices; use a comma-separated list of %s", item, quoteList(optionValues(opts))))
			}
			chosen[o.Value] = true
		}
		var out, missing []string
		for _, o := range opts {
			if chosen[o.Value] {
				out = append(out, o.Value)
			} else {
				missing = append(missing, o.Label)
			}
		}
		if requireAll && len(missing) > 0 {
			return "", nil, invalid("all are needed; missing: " + strings.Join(missing, ", "))
		}
		if len(out) == 0 {
			return "", nil, invalid("is empty; choose one or more of " + quoteList(optionValues(opts)))
		}
		return strings.Join(out, ","), nil, nil
	}
}

func matchOption(opts []Option, v string) (Option, bool) {
	for _, o := range opts {
		if strings.EqualFold(o.Value, v) || (o.Label != "" && strings.EqualFold(o.Label, v)) {
			return o, true
		}
	}
	return Option{}, false
}

func optionValues(opts []Option) []string {
	vs := make([]string, len(opts))
	for i, o := range opts {
		vs[i] = o.Value
	}
	return vs
}

// CertnPackage is one package of the Certn Lever form.
type CertnPackage struct {
	Name     string
	Services []string
}

// ParseCertnPackages reads `Name:service+service;Name:service`: at least one
// package, each with a non-empty name and at least one service, names
// unique regardless of case (a package name doubles as a Lever tag that
// picks it). Empty segments (a trailing ";") are ignored; a service repeated
// within a package is kept once.
func ParseCertnPackages(v string) ([]CertnPackage, error) {
	if err := checkLen(v); err != nil {
		return nil, err
	}
	if err := oneLine(strings.TrimSpace(v)); err != nil {
		return nil, err
	}
	var pkgs []CertnPackage
	seen := map[string]string{}
	for seg := range strings.SplitSeq(v, ";") {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		name, list, ok := strings.Cut(seg, ":")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, invalid(fmt.Sprintf("package %q has no services; write Name:service+service, e.g. Standard:Criminal Record Check+ID Verification", seg))
		}
		if name == "" {
			return nil, invalid(fmt.Sprintf("%q has no package name before the colon", seg))
		}
		key := strings.ToLower(name)
		if prev, dup := seen[key]; dup {
			return nil, invalid(fmt.Sprintf("package %q appears twice (also as %q); names must differ, since a name used as a Lever tag picks its package", name, prev))
		}
		seen[key] = name
		p := CertnPackage{Name: name}
		have := map[string]bool{}
		for svc := range strings.SplitSeq(list, "+") {
			svc = strings.TrimSpace(svc)
			if svc == "" {
				continue
			}
			if strings.Contains(svc, ":") {
				return nil, invalid(fmt.Sprintf("package %q: service %q contains a colon; separate packages with ';' and services with '+'", name, svc))
			}
			if have[strings.ToLower(svc)] {
				continue
			}
			have[strings.ToLower(svc)] = true
			p.Services = append(p.Services, svc)
		}
		if len(p.Services) == 0 {
			return nil, invalid(fmt.Sprintf("package %q has no services; Certn needs at least one service per package", name))
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, invalid("names no package; Certn needs at least one, written Name:service+service")
	}
	return pkgs, nil
}

// FormatCertnPackages writes packages in the `--set` encoding.
func FormatCertnPackages(pkgs []CertnPackage) string {
	parts := make([]string, len(pkgs))
	for i, p := range pkgs {
		parts[i] = p.Name + ":" + strings.Join(p.Services, "+")
	}
	return strings.Join(parts, ";")
}

// CertnStatusTagPrefix starts every tag Certn writes on a Lever candidate
// to report a check's status ("CERTN - Pending", "CERTN - Complete
// (Clear)"…); a package named like it would be read as a status.
const CertnStatusTagPrefix = "CERTN - "

// IsCertnStatusTag reports whether a Lever tag is one of Certn's status
// tags. Any tag with the prefix counts: the article and Certn's current
// documentation name different statuses.
func IsCertnStatusTag(tag string) bool {
	return strings.HasPrefix(strings.ToUpper(tag), CertnStatusTagPrefix)
}

// PackageTagCollisions warns about Certn packages whose names are already
// Lever tags (from Lever's /tags): since a package name on a candidate
// overrides the default package, candidates carrying that tag for another
// reason would get the package. Lever tags are case-sensitive, but a
// person reading them is not, so case-only matches are reported too.
func PackageTagCollisions(pkgs []CertnPackage, leverTags []string) []string {
	var warnings []string
	for _, p := range pkgs {
		for _, tag := range leverTags {
			if strings.EqualFold(strings.TrimSpace(tag), p.Name) {
				warnings = append(warnings, fmt.Sprintf("package %q is already a Lever tag (%q): candidates tagged with it would get this package instead of the default", p.Name, tag))
				break
			}
		}
	}
	return warnings
}

// ValidateCertnPackages is the field validator for certn-packages/packages.
func ValidateCertnPackages(v string) (string, []string, error) {
	pkgs, err := ParseCertnPackages(v)
	if err != nil {
		return "", nil, err
	}
	var warnings []string
	for _, p := range pkgs {
		if IsCertnStatusTag(p.Name) {
			warnings = append(warnings, fmt.Sprintf("package %q starts like Certn's status tags (%q…); as a Lever tag it would be read as a status", p.Name, CertnStatusTagPrefix))
		}
	}
	return FormatCertnPackages(pkgs), warnings, nil
}

// ValidateDefaultPackage checks default_package on its own: exactly one
// name. That it names an existing package is a cross-field rule of the step.
func ValidateDefaultPackage(v string) (string, []string, error) {
	n, w, err := ValidateText(v)
	if err != nil {
		return "", nil, err
	}
	if strings.ContainsAny(n, ";:") {
		return "", nil, invalid(fmt.Sprintf("%q is not one package name; name exactly one default package", n))
	}
	return n, w, nil
}

// PositionPackage maps a Chattr job position to the Vetty package run for it.
type PositionPackage struct {
	Position string
	Package  string
}

// ParseChattrMapping reads `Position=Package;Position=Package`: at least one
// pair, neither side empty, each position once (regardless of case).
// Empty segments (a trailing ";") are ignored.
func ParseChattrMapping(v string) ([]PositionPackage, error) {
	if err := checkLen(v); err != nil {
		return nil, err
	}
	if err := oneLine(strings.TrimSpace(v)); err != nil {
		return nil, err
	}
	var out []PositionPackage
	seen := map[string]string{}
	for seg := range strings.SplitSeq(v, ";") {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		pos, pkg, ok := strings.Cut(seg, "=")
		pos, pkg = strings.TrimSpace(pos), strings.TrimSpace(pkg)
		switch {
		case !ok:
			return nil, invalid(fmt.Sprintf("%q has no '='; write Position=Package, e.g. Warehouse Associate=Basic Criminal", seg))
		case pos == "":
			return nil, invalid(fmt.Sprintf("%q has no position before '='", seg))
		case pkg == "":
			return nil, invalid(fmt.Sprintf("position %q has no package after '='", pos))
		case strings.Contains(pkg, "="):
			return nil, invalid(fmt.Sprintf("%q has more than one '='; separate pairs with ';'", seg))
		}
		if prev, dup := seen[strings.ToLower(pos)]; dup {
			return nil, invalid(fmt.Sprintf("position %q is mapped twice (also as %q); each position runs one package", pos, prev))
		}
		seen[strings.ToLower(pos)] = pos
		out = append(out, PositionPackage{Position: pos, Package: pkg})
	}
	if len(out) == 0 {
		return nil, invalid("maps no position; write Position=Package pairs separated by ';'")
	}
	return out, nil
}

// FormatChattrMapping writes a mapping in the `--set` encoding.
func FormatChattrMapping(m []PositionPackage) string {
	parts := make([]string, len(m))
	for i, pp := range m {
		parts[i] = pp.Position + "=" + pp.Package
	}
	return strings.Join(parts, ";")
}

// ValidateChattrMapping is the field validator for chattr-packages/packages.
func ValidateChattrMapping(v string) (string, []string, error) {
	m, err := ParseChattrMapping(v)
	if err != nil {
		return "", nil, err
	}
	return FormatChattrMapping(m), nil, nil
}

// defaultValidator is the validator a field of the given kind gets when the
// catalog names none.
func defaultValidator(f Field) func(string) (string, []string, error) {
	switch f.Kind {
	case KindSecret:
		return ValidateSecret
	case KindNumber:
		return validateNumber
	case KindSelect:
		if len(f.Options) == 0 {
			// A dynamic list (Lever stages) typed by hand when offline.
			return ValidateText
		}
		return selectValidator(f.Options)
	case KindMultiSelect:
		return multiSelectValidator(f.Options, f.RequireAll)
	case KindToggle:
		return ValidateToggle
	case KindConfirm:
		return ValidateConfirm
	case KindURL:
		return ValidateHTTPSURL
	case KindCIDRList:
		return ValidateCIDRList
	}
	return ValidateText
}

func validateNumber(v string) (string, []string, error) {
	if err := checkLen(v); err != nil {
		return "", nil, err
	}
	v = strings.TrimSpace(v)
	n, err := strconv.Atoi(v)
	if err != nil {
		return "", nil, invalid(fmt.Sprintf("%q is not a whole number", v))
	}
	return strconv.Itoa(n), nil, nil
}

// Check validates one answer for this field: an optional field may be
// empty; otherwise the field's validator runs. Errors are *FieldError.
func (f Field) Check(value string) (normalized string, warnings []string, err error) {
	if f.Optional && strings.TrimSpace(value) == "" {
		return "", nil, nil
	}
	v := f.Validate
	if v == nil {
		v = defaultValidator(f)
	}
	n, w, err := v(value)
	if err != nil {
		return "", nil, &FieldError{Field: f.Key, Err: err}
	}
	return n, w, nil
}
