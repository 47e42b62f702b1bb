package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Nothing of patchbay's own does real work at package init: regexps,
// tables and clients are built on first use, so `--version`, `--help` and
// every command pay only for what they use. Checked on the real binary's
// init trace: no package of this module may allocate more than 2 KiB at
// init (declaring errors and small maps costs a few hundred bytes; one
// compiled regexp costs 10–100 KiB).
func TestNoWorkAtPackageInit(t *testing.T) {
	bin := patchbayBinary(t)
	cmd := exec.Command(bin, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("--version: %v\n%s", err, stderr.String())
	}
	const limit = 2048
	seen := 0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		// init github.com/patchbay/patchbay/internal/steps @0.5 ms, 0.1 ms clock, 24424 bytes, 317 allocs
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[0] != "init" || !strings.HasPrefix(f[1], "github.com/patchbay/patchbay/") {
			continue
		}
		seen++
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("cannot read %q", sc.Text())
		}
		if n > limit {
			t.Errorf("%s allocates %d bytes at init (%s allocs); build it on first use", f[1], n, f[9])
		}
	}
	if seen == 0 {
		t.Fatalf("no init of this module in the trace:\n%s", stderr.String())
	}
}
