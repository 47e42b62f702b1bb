//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// openInPlace opens a FIFO without waiting for its reader, and a terminal
// without making it patchbay's own.
const openInPlace = syscall.O_NONBLOCK | syscall.O_NOCTTY

// noReader reports the error opening a FIFO without a reader gives.
func noReader(err error) bool { return errors.Is(err, syscall.ENXIO) }

// blocking clears the O_NONBLOCK the open needed. Where Go does not poll a
// FIFO (macOS), a full pipe would otherwise fail the write with EAGAIN
// instead of waiting for the reader.
func blocking(f *os.File) error { return syscall.SetNonblock(int(f.Fd()), false) }
