package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkDemoFirstFrame: from starting `patchbay demo` in a fresh
// terminal to its home screen being drawn. The figure includes tmux's own
// start and the polling interval (2 ms), so it is an upper bound.
func BenchmarkDemoFirstFrame(b *testing.B) {
	bin := patchbayBinary(b)
	dir := b.TempDir()
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		term := newTerminal(b, bin+" demo --db "+filepath.Join(dir, "demo.db"))
		for !strings.Contains(term.screen(), "Integrations") {
			if time.Since(start) > 10*time.Second {
				b.Fatalf("no first frame after 10s:\n%s", term.screen())
			}
			time.Sleep(2 * time.Millisecond)
		}
		total += time.Since(start)
		term.close()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/first-frame")
}
