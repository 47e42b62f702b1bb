package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/patchbay/patchbay/internal/testhooks"
)

// The release binary has no test controls: they are linked only with the
// testhooks build tag, so a release build neither contains nor honours
// them.
func TestReleaseBuildHasNoTestHooks(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "patchbay")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{testhooks.CrashAtEnv, testhooks.VaultWorkFactorEnv} {
		if bytes.Contains(data, []byte(name)) {
			t.Errorf("the release binary contains %s", name)
		}
	}
}
