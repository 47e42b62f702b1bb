package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Bounds of a listing that follows pages, on top of each call's Timeout:
// a vendor that always answers "another page" must not keep a command
// (or its memory) growing past them.
const (
	DefaultMaxPages    = 100 // 10,000 items at the usual page size of 100
	DefaultListTimeout = 30 * time.Second
)

// Listing is one bounded walk over the pages of path: at most MaxPages
// pages, all within ListTimeout (and the caller's ctx).
type Listing struct {
	c       *Client
	path    string
	parent  context.Context
	ctx     context.Context
	cancel  context.CancelFunc
	pages   int
	timeout time.Duration
}

// List starts a bounded listing of path; Close it when done.
func (c *Client) List(ctx context.Context, path string) *Listing {
	lctx, cancel := context.WithTimeout(ctx, c.listTimeout)
	return &Listing{c: c, path: path, parent: ctx, ctx: lctx, cancel: cancel, timeout: c.listTimeout}
}

// Get reads the next page into out, as Client.Get does. Past the page bound
// it fails with ErrMalformed (pagination that does not end), past the time
// bound with ErrUnreachable (no whole answer in time).
func (l *Listing) Get(query url.Values, out any) error {
	return l.next(func(ctx context.Context) error { return l.c.Get(ctx, l.path, query, out) })
}

// GetURL reads the next page from a link the vendor handed out, as
// Client.GetURL does, within the same bounds.
func (l *Listing) GetURL(link string, out any) error {
	return l.next(func(ctx context.Context) error { return l.c.GetURL(ctx, link, out) })
}

func (l *Listing) next(get func(context.Context) error) error {
	if l.pages >= l.c.maxPages {
		return l.c.wrap("GET", l.path, fmt.Errorf("%w: pagination did not end within %d pages", ErrMalformed, l.c.maxPages))
	}
	l.pages++
	err := get(l.ctx)
	if err != nil && l.parent.Err() == nil && (l.ctx.Err() != nil || l.boundWait(err)) {
		return l.c.wrap("GET", l.path, fmt.Errorf("%w: the listing did not end within %s (%d page(s) read)", ErrUnreachable, l.timeout, l.pages-1))
	}
	return err
}

// boundWait reports whether err is the client's limiter declining a wait
// that would outlast the listing's own bound (rather than the caller's).
func (l *Listing) boundWait(err error) bool {
	var rl *RateLimitError
	if !errors.As(err, &rl) || !rl.Local {
		return false
	}
	own, _ := l.ctx.Deadline()
	theirs, ok := l.parent.Deadline()
	return !ok || own.Before(theirs)
}

// Pages is how many pages Get has asked for.
func (l *Listing) Pages() int { return l.pages }

// Close releases the listing's timer.
func (l *Listing) Close() { l.cancel() }
