package steps

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// StdinRef is the secret reference that reads standard input (`KEY=@-`).
const StdinRef = "-"

// literalSecretHelp explains why a secret on the command line is refused.
const literalSecretHelp = "secrets are never taken from the command line, where other users and shell history can read them; use %[2]s=@- and pipe it, or %[2]s=@/path/to/file"

// echoableKey matches what may be repeated back in an error about an
// unknown key: field keys are lower-case words joined by underscores. A
// pasted secret mistaken for a key almost always has digits or capitals, so
// anything else is described without being quoted.
// Compiled on first use: nothing is built at start-up.
var echoableKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z_]{1,32}$`) })

// ParseSets reads `--set KEY=VALUE` arguments for one step.
//
// Non-secret values are checked by their field's validator and returned
// normalized in values (a non-secret value is always literal, even when it
// starts with '@'). A secret is taken only by reference: `KEY=@-` reads
// standard input (at most once) and `KEY=@PATH` a file, both through
// readSecret, which receives "-" or PATH; the content is trimmed and checked
// by the secret validator and returned in secrets. A literal secret is
// refused with ErrLiteralSecret and an explanation.
//
// All structural problems (malformed, unknown or duplicate keys, literal
// secrets, a second @-) are reported together before any secret is read,
// so a bad command line never consumes standard input. Errors never contain
// a secret: not the literal given, not a file's content.
func ParseSets(step Step, sets []string, readSecret func(ref string) ([]byte, error)) (values map[string]string, secrets map[string]string, warnings []string, err error) {
	type parsed struct {
		field Field
		raw   string // the value; for a secret, the reference after '@'
	}
	var (
		plan     []parsed
		errs     []error
		seen     = map[string]bool{}
		stdinFor string
	)
	for i, set := range sets {
		k, v, ok := strings.Cut(set, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			errs = append(errs, fmt.Errorf("%w: --set #%d is not KEY=VALUE (e.g. --set %s=…); valid keys for %s: %s", ErrMalformedSet, i+1, firstKey(step), step.ID, strings.Join(step.FieldKeys(), ", ")))
			continue
		}
		f, known := step.Field(k)
		if !known {
			name := "a key that is not a field (not repeated here, in case it was a secret)"
			if echoableKey().MatchString(k) {
				name = fmt.Sprintf("%q", k)
			}
			errs = append(errs, fmt.Errorf("%w: --set #%d names %s; valid keys for %s: %s", ErrUnknownField, i+1, name, step.ID, strings.Join(step.FieldKeys(), ", ")))
			continue
		}
		if seen[k] {
			errs = append(errs, fmt.Errorf("%w: %s is set more than once; give each key once", ErrDuplicateKey, k))
			continue
		}
		seen[k] = true
		if !f.IsSecret() {
			plan = append(plan, parsed{f, v})
			continue
		}
		ref, isRef := strings.CutPrefix(strings.TrimSpace(v), "@")
		switch {
		case !isRef:
			errs = append(errs, fmt.Errorf("%[1]w: %[2]s: "+literalSecretHelp, ErrLiteralSecret, k))
			continue
		case ref == "":
			errs = append(errs, fmt.Errorf("%w: %s=@ names no file; use %s=@- for standard input or %s=@/path/to/file", ErrMalformedSet, k, k, k))
			continue
		case ref == StdinRef && stdinFor != "":
			errs = append(errs, fmt.Errorf("%w: %s and %s both read standard input (@-), which can be read only once; put one of them in a file (@/path/to/file)", ErrMalformedSet, stdinFor, k))
			continue
		case ref == StdinRef:
			stdinFor = k
		}
		plan = append(plan, parsed{f, ref})
	}
	if len(errs) > 0 {
		return nil, nil, nil, errors.Join(errs...)
	}

	values, secrets = map[string]string{}, map[string]string{}
	for _, p := range plan {
		if !p.field.IsSecret() {
			n, w, ferr := p.field.Check(p.raw)
			if ferr != nil {
				errs = append(errs, ferr)
				continue
			}
			warnings = append(warnings, w...)
			values[p.field.Key] = n
			continue
		}
		if readSecret == nil {
			errs = append(errs, fmt.Errorf("%w: %s: no way to read secrets here", ErrMissingValue, p.field.Key))
			continue
		}
		from := "standard input"
		if p.raw != StdinRef {
			from = p.raw
		}
		b, rerr := readSecret(p.raw)
		if rerr != nil {
			errs = append(errs, fmt.Errorf("%s: reading %s: %w", p.field.Key, from, rerr))
			continue
		}
		n, w, ferr := p.field.Check(string(b))
		if ferr != nil {
			// Validator messages start with a verb ("is empty", "has a
			// space…"), so they read on from "the secret read from …".
			errs = append(errs, &FieldError{Field: p.field.Key, Err: fmt.Errorf("the secret read from %s %w", from, errors.Unwrap(ferr))})
			continue
		}
		warnings = append(warnings, w...)
		secrets[p.field.Key] = n
	}
	if len(errs) > 0 {
		return nil, nil, nil, errors.Join(errs...)
	}
	return values, secrets, warnings, nil
}

func firstKey(s Step) string {
	if len(s.Fields) == 0 {
		return "KEY"
	}
	return s.Fields[0].Key
}
