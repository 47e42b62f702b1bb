package main

import (
	"os"
	"strconv"

	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Test hooks, read from the environment only when set. They exist so that
// the end-to-end tests can run the real binary; admins have no use for them.
const (
	// crashAtEnv names a point of the two-phase secret write (recorded,
	// staged, committed, promoted: app.Point*) at which the process kills
	// itself with SIGKILL, to prove that recovery at the next start leaves
	// the database and the secrets store consistent.
	crashAtEnv = "PATCHBAY_CRASH_AT"
	// vaultWorkFactorEnv lowers the vault's scrypt work factor (log2 N,
	// 1–30) for new writes, so tests do not spend a second per write. A
	// weaker factor makes a stolen vault file cheaper to attack: never set it
	// for real secrets.
	vaultWorkFactorEnv = "PATCHBAY_VAULT_WORK_FACTOR"
)

// crashHook returns the Service.Phase hook PATCHBAY_CRASH_AT asks for, or
// nil when it is unset.
func (f *Factory) crashHook() func(string) {
	at := f.getenv(crashAtEnv)
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

// vaultOptions honours PATCHBAY_VAULT_WORK_FACTOR when it is set.
func (f *Factory) vaultOptions() (secrets.VaultOptions, error) {
	v := f.getenv(vaultWorkFactorEnv)
	if v == "" {
		return secrets.VaultOptions{}, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 30 {
		return secrets.VaultOptions{}, usageError("%s=%q: give a number from 1 to 30 (tests only)", vaultWorkFactorEnv, v)
	}
	return secrets.VaultOptions{WorkFactor: n}, nil
}
