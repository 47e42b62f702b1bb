// Package testhooks holds the controls the end-to-end tests use on the real binary. Only test builds link
// it: the binary built with the testhooks build tag, and cmd/patchbay's own test binary. A release build
// (go build ./cmd/patchbay) neither contains nor honours them.
package testhooks

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

const (
	// CrashAtEnv names a point of a two-phase secret write or of the move of legacy secrets (app.Point*)
	// at which the process kills itself with SIGKILL, to prove that recovery at the next start leaves the
	// database and the secrets store consistent.
	CrashAtEnv = "PATCHBAY_CRASH_AT"
	// VaultWorkFactorEnv lowers the vault's scrypt work factor (log2 N, 1–30) for new vaults, so tests do
	// not spend a second per process. A weaker factor makes a stolen vault file cheaper to attack.
	VaultWorkFactorEnv = "PATCHBAY_VAULT_WORK_FACTOR"
	// PauseAtEnv names a point (as CrashAtEnv) at which the process stops until the test lets it go, so
	// that another process can run meanwhile: it creates the file "paused" in PauseDirEnv, then waits
	// (at most PauseLimit) for the file "resume" there.
	PauseAtEnv  = "PATCHBAY_PAUSE_AT"
	PauseDirEnv = "PATCHBAY_PAUSE_DIR"
	PauseLimit  = time.Minute
)

// CrashHook returns the phase hook CrashAtEnv asks for, or nil when it is unset.
func CrashHook(getenv func(string) string) func(string) {
	at := getenv(CrashAtEnv)
	if at == "" {
		return nil
	}
	return func(point string) {
		if point == at {
			// On Unix, Kill is SIGKILL: no deferred call or cleanup runs.
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				_ = p.Kill()
			}
			select {} // never returns: the kill is delivered asynchronously
		}
	}
}

// VaultWorkFactor is the work factor VaultWorkFactorEnv asks for, 0 when it is unset.
func VaultWorkFactor(getenv func(string) string) (int, error) {
	v := getenv(VaultWorkFactorEnv)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 30 {
		return 0, fmt.Errorf("%s=%q: give a number from 1 to 30 (tests only)", VaultWorkFactorEnv, v)
	}
	return n, nil
}

// PauseHook returns the phase hook PauseAtEnv asks for, or nil when it is unset.
func PauseHook(getenv func(string) string) func(string) {
	at, dir := getenv(PauseAtEnv), getenv(PauseDirEnv)
	if at == "" || dir == "" {
		return nil
	}
	return func(point string) {
		if point != at {
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "paused"), nil, 0o600); err != nil {
			return
		}
		for deadline := time.Now().Add(PauseLimit); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(dir, "resume")); err == nil {
				return
			}
		}
	}
}
