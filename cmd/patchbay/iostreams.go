package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams is the seam between commands and the terminal: tests run every
// command with buffers and decide whether a terminal is attached.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// InTTY and OutTTY say whether stdin/stdout are terminals: a command may
	// prompt only when both are.
	InTTY  bool
	OutTTY bool
}

// SystemIO returns the process's standard streams.
func SystemIO() *IOStreams {
	return &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
	}
}

// CanPrompt reports whether interactive prompts can be shown.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.OutTTY }
