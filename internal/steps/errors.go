package steps

import (
	"errors"
	"strings"
)

// Sentinel errors. Every error this package returns wraps one of them, so
// callers (the command line's exit codes, the TUI's wording) can branch with
// errors.Is without parsing messages.
var (
	// ErrInvalidValue: an answer is malformed or out of range.
	ErrInvalidValue = errors.New("invalid value")
	// ErrMissingValue: a required answer is absent.
	ErrMissingValue = errors.New("missing value")
	// ErrUnknownIntegration: no integration has that ID.
	ErrUnknownIntegration = errors.New("unknown integration")
	// ErrUnknownStep: the integration has no step with that ID.
	ErrUnknownStep = errors.New("unknown step")
	// ErrUnknownField: the step has no field with that key.
	ErrUnknownField = errors.New("unknown field")
	// ErrUnknownSecret: the integration keeps no secret with that key.
	ErrUnknownSecret = errors.New("unknown secret")
	// ErrBadRef: an INTEGRATION/STEP reference is malformed.
	ErrBadRef = errors.New("bad reference")
	// ErrLiteralSecret: a secret was given literally on the command line.
	ErrLiteralSecret = errors.New("secret given on the command line")
	// ErrDuplicateKey: the same field was set twice.
	ErrDuplicateKey = errors.New("field set twice")
	// ErrMalformedSet: a --set argument is not KEY=VALUE.
	ErrMalformedSet = errors.New("malformed --set")
	// ErrOptionRules: the ChartHop options break a rule of the option table.
	ErrOptionRules = errors.New("option rules broken")
	// ErrPrerequisite: an earlier step this one relies on is not done.
	ErrPrerequisite = errors.New("earlier step not done")
)

// InvalidError is a validator's plain, specific message for the admin. It
// never contains a secret.
type InvalidError struct {
	Msg string
}

func (e *InvalidError) Error() string { return e.Msg }

// Unwrap lets errors.Is(err, ErrInvalidValue) match.
func (e *InvalidError) Unwrap() error { return ErrInvalidValue }

func invalid(msg string) error { return &InvalidError{Msg: msg} }

// FieldError ties a validator's error to the field it is about. Error()
// prefixes the field key, as the command line wants; the TUI, which shows
// the message under the field, can use Err alone.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

// quoteList renders choices for a message: "a", "b" or "c".
func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = "\"" + it + "\""
	}
	switch len(q) {
	case 0:
		return "(none)"
	case 1:
		return q[0]
	case 2:
		return q[0] + " or " + q[1]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
