//go:build unix

package main

import (
	"errors"
	"syscall"
)

// openNoWait opens a FIFO without waiting for its reader.
const openNoWait = syscall.O_NONBLOCK

// noReader reports the error opening a FIFO without a reader gives.
func noReader(err error) bool { return errors.Is(err, syscall.ENXIO) }
