// Package clipboard reaches the desktop's clipboard through the platform's
// own tool (wl-copy, xclip, xsel, pbcopy, ...). The tool is looked for when
// Find is first called, never at start-up, and every call to it is bounded:
// a tool that hangs (an X server that does not answer) gives up after
// callTimeout instead of holding the caller.
package clipboard

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// callTimeout bounds one run of a clipboard tool.
const callTimeout = 5 * time.Second

// Clipboard reads and writes the desktop's clipboard.
type Clipboard struct {
	Read  func() (string, error)
	Write func(string) error
}

var (
	findOnce sync.Once
	found    *Clipboard
)

// Find returns the desktop's clipboard, or nil when this machine has no
// tool to reach it (a server, an SSH session: the terminal's own clipboard,
// OSC 52, is the caller's business). The search runs once per process.
func Find() *Clipboard {
	findOnce.Do(func() { found = platform() })
	return found
}

// tool is a pair of commands: one takes the text on its standard input, the
// other prints the clipboard.
type tool struct {
	copy, paste []string
	// trimCRLF drops the line ending a Windows tool adds when printing.
	trimCRLF bool
	// timeout bounds one run of either command; callTimeout when zero.
	timeout time.Duration
}

func (t tool) bound() (context.Context, context.CancelFunc) {
	d := t.timeout
	if d <= 0 {
		d = callTimeout
	}
	return context.WithTimeout(context.Background(), d)
}

func (t tool) clipboard() *Clipboard {
	return &Clipboard{Read: t.read, Write: t.write}
}

func (t tool) write(text string) error {
	ctx, cancel := t.bound()
	defer cancel()
	cmd := exec.CommandContext(ctx, t.copy[0], t.copy[1:]...)
	cmd.Stdin = strings.NewReader(text)
	// xclip and wl-copy stay behind to serve the selection: with no pipe
	// of ours on their output, Wait returns when the command itself does.
	cmd.Stdout, cmd.Stderr = nil, nil
	cmd.WaitDelay = time.Second
	return cmd.Run()
}

func (t tool) read() (string, error) {
	ctx, cancel := t.bound()
	defer cancel()
	cmd := exec.CommandContext(ctx, t.paste[0], t.paste[1:]...)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	if t.trimCRLF {
		out = bytes.TrimSuffix(out, []byte("\r\n"))
	}
	return string(out), nil
}
