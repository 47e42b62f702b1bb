//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package secrets

// checkSessionBus: macOS and Windows keyrings do not go through D-Bus.
func checkSessionBus() error { return nil }
