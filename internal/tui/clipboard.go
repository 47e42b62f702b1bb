package tui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// clipboardClearAfter is how long a copied secret stays on the clipboard:
// pass -c's convention.
const clipboardClearAfter = 45 * time.Second

// clipGuard remembers the secret last copied, as a keyed digest (never the
// value), so that it can be cleared later only if the clipboard still
// holds it: what the admin copied since is left alone. It is used from
// tea.Cmds and after the program ends, never from Update or View.
type clipGuard struct {
	read  func() (string, error) // native clipboard; nil when it cannot be read
	write func(string) error     // native clipboard; nil when there is none

	mu      sync.Mutex
	key     []byte
	pending []byte // digest of the secret awaiting its clear; nil when none
}

func newClipGuard(read func() (string, error), write func(string) error) *clipGuard {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return &clipGuard{read: read, write: write, key: key}
}

func (g *clipGuard) digest(v string) []byte {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(v))
	return m.Sum(nil)
}

// copied records a secret just put on the clipboard and returns its digest,
// or nil when it cannot be cleared later: a clipboard that cannot be read
// back could hold something else by then.
func (g *clipGuard) copied(v string) []byte {
	if g == nil || g.read == nil || g.write == nil {
		return nil
	}
	d := g.digest(v)
	g.mu.Lock()
	g.pending = d
	g.mu.Unlock()
	return d
}

// clear empties the clipboard when it still holds the secret whose digest
// is d, and d is the latest copied: a newer copy has its own clear.
func (g *clipGuard) clear(d []byte) (cleared bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d == nil || !hmac.Equal(g.pending, d) {
		return false, nil
	}
	g.pending = nil
	cur, err := g.read()
	if err != nil || !hmac.Equal(g.digest(cur), d) {
		return false, err
	}
	return true, g.write("")
}

// flush clears a pending secret now: patchbay is ending before its timer.
func (g *clipGuard) flush() {
	if g == nil {
		return
	}
	g.mu.Lock()
	d := g.pending
	g.mu.Unlock()
	_, _ = g.clear(d)
}

// clipboardClearedMsg reports the timed clear of a copied secret.
type clipboardClearedMsg struct {
	seq     int
	label   string
	cleared bool  // false: the clipboard changed meanwhile, and was left alone
	err     error // the clipboard could not be read or written
}

// wait blocks for d, or until ctx ends (then false).
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// clearClipboardLater is the timer of a copied secret: after
// clipboardClearAfter it clears the clipboard (the native one, and the
// terminal's through OSC 52) if it still holds the secret. When the run
// ends first, Run's flush does it.
func clearClipboardLater(c *common, seq int, label string, d []byte) tea.Cmd {
	ctx, g, after := c.ctx, c.clip, c.clipboardWait
	return func() tea.Msg {
		if !after(ctx, clipboardClearAfter) {
			return nil
		}
		cleared, err := g.clear(d)
		msg := clipboardClearedMsg{seq: seq, label: label, cleared: cleared, err: err}
		if cleared {
			return tea.BatchMsg{tea.SetClipboard(""), emit(msg)}
		}
		return msg
	}
}
