//go:build !unix

package app

// processAlive cannot tell on this platform; a pending operation is then
// recovered at the next start, as if its owner had stopped.
func processAlive(int) bool { return false }
