package main

import "github.com/patchbay/patchbay/internal/testhooks"

const (
	crashAtEnv         = testhooks.CrashAtEnv
	vaultWorkFactorEnv = testhooks.VaultWorkFactorEnv
	// testBuildTag builds the binary the end-to-end tests run.
	testBuildTag = "testhooks"
)
