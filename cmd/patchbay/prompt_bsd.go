//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package main

import "golang.org/x/sys/unix"

// flushRead is FREAD of <sys/fcntl.h>: TIOCFLUSH drops the input queue.
const flushRead = 1

// discardTyped drops what was typed at the terminal and not yet read.
func discardTyped(fd int) { unix.IoctlSetPointerInt(fd, unix.TIOCFLUSH, flushRead) }
