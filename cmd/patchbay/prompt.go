package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
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
		fmt.Fprintf(f.IO.Out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(f.IO.Out, "%s: ", question)
	}
	answer, err := readLine(f.IO.In)
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
	fmt.Fprintf(f.IO.Out, "%s (input hidden): ", label)
	if file, ok := f.IO.In.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		b, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(f.IO.Out)
		if err != nil {
			return "", fmt.Errorf("reading the %s: %w", strings.ToLower(label), err)
		}
		return string(b), nil
	}
	v, err := readLine(f.IO.In)
	fmt.Fprintln(f.IO.Out)
	return v, err
}

// yes asks a yes/no question whose default is no.
func (f *Factory) yes(question string) (bool, error) {
	fmt.Fprintf(f.IO.Out, "%s [y/N] ", question)
	answer, err := readLine(f.IO.In)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes", nil
}
