//go:build !unix && !windows

package clipboard

// platform knows no clipboard on this platform.
func platform() *Clipboard { return nil }
