package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// maxSecretSize bounds a secret read from standard input or a file: no key
// or token comes near it, and /dev/zero or a runaway pipe must not fill
// the memory.
const maxSecretSize = 64 << 10

var errSecretTooLarge = fmt.Errorf("it is larger than %d KiB, which no secret is; give a file (or input) holding only the secret", maxSecretSize>>10)

// readCapped reads r to its end, refusing more than maxSecretSize bytes.
func readCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSecretSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSecretSize {
		return nil, errSecretTooLarge
	}
	return b, nil
}

// secretFileKind refuses anything but a regular file or a FIFO (a device
// such as /dev/zero, a directory, a socket), and a regular file too large
// to hold a secret, before a byte is read.
func secretFileKind(info fs.FileInfo) error {
	switch mode := info.Mode(); {
	case mode.IsRegular():
		if info.Size() > maxSecretSize {
			return errSecretTooLarge
		}
		return nil
	case mode&fs.ModeNamedPipe != 0:
		return nil
	case mode.IsDir():
		return errors.New("it is a directory, not a file")
	case mode&fs.ModeDevice != 0:
		return errors.New("it is a device, not a regular file or a FIFO")
	default:
		return fmt.Errorf("it is a %s, not a regular file or a FIFO", mode.Type())
	}
}

// readSecretFile reads a secret from a regular file or a FIFO, at most
// maxSecretSize bytes. The end of ctx (Ctrl+C, SIGTERM) stops it at once,
// also while a FIFO waits for its writer or for more input.
func readSecretFile(ctx context.Context, path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, plainPathError(err)
	}
	if err := secretFileKind(info); err != nil {
		return nil, err
	}
	type result struct {
		b   []byte
		err error
	}
	var (
		mu      sync.Mutex
		opened  *os.File
		stopped bool
	)
	done := make(chan result, 1)
	go func() {
		// Opening a FIFO waits for its writer.
		f, err := os.Open(path)
		if err != nil {
			done <- result{nil, plainPathError(err)}
			return
		}
		defer f.Close()
		mu.Lock()
		opened = f
		stop := stopped
		mu.Unlock()
		if stop {
			done <- result{nil, context.Canceled}
			return
		}
		// The path may have changed since it was inspected.
		info, err := f.Stat()
		if err == nil {
			err = secretFileKind(info)
		}
		if err != nil {
			done <- result{nil, err}
			return
		}
		b, err := readCapped(f)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
	}
	mu.Lock()
	stopped = true
	f := opened
	mu.Unlock()
	switch {
	case f != nil:
		// A FIFO is read through the poller: closing it ends the read.
		f.Close()
	case info.Mode()&fs.ModeNamedPipe != 0:
		// The open is still waiting for a writer: be that writer for an
		// instant, so it returns and the goroutine ends.
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	}
	return nil, ctx.Err()
}

// plainPathError drops the operation and path from an *fs.PathError: the
// caller already says which file it was reading.
func plainPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
