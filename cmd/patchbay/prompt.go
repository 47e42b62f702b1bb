package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/patchbay/patchbay/internal/termsafe"
)

// Line-by-line prompts for the commands that ask a few questions (rotate,
// reset, disconnect). They read the input one byte at a time, never ahead,
// so they can be mixed with each other and with Factory.confirm.

// readLine reads one line from r, without the line ending. io.EOF is
// returned only when nothing at all was read.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
			if b.Len() > 64<<10 {
				return "", errors.New("the answer is too long")
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && b.Len() > 0 {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			return "", err
		}
	}
}

// ask prints a question with its default and returns the answer, or the
// default when the admin just presses Enter.
func (f *Factory) ask(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "%s: ", question)
	}
	answer, err := f.readLine()
	if err != nil {
		return "", err
	}
	if answer = strings.TrimSpace(answer); answer == "" {
		return def, nil
	}
	return answer, nil
}

// askSecret asks for a secret. On a terminal it is not echoed; from any
// other reader (tests drive the prompts with buffers) it is read as a line.
func (f *Factory) askSecret(label string) (string, error) {
	fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "%s (input hidden): ", label)
	if file, ok := f.IO.In.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		v, err := f.readHiddenLine(int(file.Fd()))
		fmt.Fprintln(termsafe.NewWriter(f.IO.Out))
		if err != nil {
			return "", fmt.Errorf("reading the %s: %w", strings.ToLower(label), err)
		}
		return v, nil
	}
	v, err := f.readLine()
	fmt.Fprintln(termsafe.NewWriter(f.IO.Out))
	return v, err
}

// readHiddenLine reads one line from the terminal fd without echo: every
// hidden prompt (a secret, the vault's passphrase) reads through it. When
// the command is interrupted (Ctrl+C, SIGTERM, the terminal closing) the
// terminal gets its echo back and what was typed so far is discarded, so
// half a secret is never left for the shell to read next.
func (f *Factory) readHiddenLine(fd int) (string, error) {
	if f.ctx != nil && f.ctx.Err() != nil {
		// Interrupted already (between two prompts): echo is not turned
		// off at all, so there is nothing to restore behind a read.
		return "", f.ctx.Err()
	}
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	return f.interruptible(func() (string, error) {
		b, err := term.ReadPassword(fd)
		return string(b), err
	}, func() {
		discardTyped(fd)
		term.Restore(fd, state)
	})
}

// readLine reads one answer from the input, giving up when the command is
// interrupted (Ctrl+C) even though the read itself cannot be cancelled.
func (f *Factory) readLine() (string, error) {
	return f.interruptible(func() (string, error) { return readLine(f.IO.In) }, nil)
}

// interruptible runs a blocking read off the command's goroutine and
// returns early, with context.Canceled, when the command is interrupted;
// cleanup then runs (e.g. to restore the terminal). The abandoned read ends
// with the process.
func (f *Factory) interruptible(read func() (string, error), cleanup func()) (string, error) {
	ctx := f.ctx
	if ctx == nil {
		return read()
	}
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		if cleanup != nil {
			cleanup()
		}
		return "", ctx.Err()
	}
}

// yes asks a yes/no question whose default is no.
func (f *Factory) yes(question string) (bool, error) {
	fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "%s [y/N] ", question)
	answer, err := f.readLine()
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes", nil
}
