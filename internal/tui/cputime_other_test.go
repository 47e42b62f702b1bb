//go:build !linux

package tui

import "time"

// threadCPU is not measured here: only wall-clock figures are reported.
func threadCPU() (time.Duration, bool) { return 0, false }
