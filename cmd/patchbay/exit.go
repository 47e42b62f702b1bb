package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// Exit codes, decided here and nowhere else.
const (
	exitOK          = 0
	exitError       = 1 // something failed, or (status, doctor) something needs attention
	exitUsage       = 2 // bad flags, arguments or answers
	exitUnknown     = 3 // nothing needs attention, but some checks could not run (monitoring plugins' "unknown"); 1 wins
	exitInterrupted = 130
)

// exitCodesHelp ends every command's --help.
const exitCodesHelp = `
Exit codes:
  0    ok; healthy
  1    failed, or something needs attention
  2    usage: unknown command, flag, profile, integration or step; no terminal to ask
  3    unknown: nothing needs attention, but some checks could not run
  130  interrupted
`

// errUsage marks errors caused by how patchbay was called.
var errUsage = errors.New("usage")

// errNeedsTerminal is returned when answers are missing and no terminal is
// attached to ask for them.
var errNeedsTerminal = errors.New("needs a terminal")

// usageErr is a message about how patchbay was called; it maps to exitUsage.
type usageErr struct{ msg string }

func (e *usageErr) Error() string        { return e.msg }
func (e *usageErr) Is(target error) bool { return target == errUsage }

// usageError words a usage problem; it maps to exitUsage.
func usageError(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

// silentExit carries an exit code for a command that already printed what
// the admin needs to know (status exits 1 while anything needs attention).
type silentExit struct{ code int }

func (e *silentExit) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode maps an error to the process exit code and prints it once.
func exitCode(err error, errOut io.Writer) int {
	if err == nil {
		return exitOK
	}
	var se *silentExit
	if errors.As(err, &se) {
		return se.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(errOut, "patchbay: interrupted; nothing was half-written")
		return exitInterrupted
	}
	fmt.Fprintf(errOut, "patchbay: %s\n", termsafe.String(err.Error()))
	if errors.Is(err, errUsage) || errors.Is(err, errNeedsTerminal) || errors.Is(err, store.ErrForeignDatabase) {
		return exitUsage
	}
	return exitError
}
