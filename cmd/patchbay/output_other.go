//go:build !unix

package main

// openNoWait is nothing where there are no FIFOs to wait on.
const openNoWait = 0

func noReader(error) bool { return false }
