package main

import "github.com/patchbay/patchbay/internal/testhooks"

const (
	crashAtEnv         = testhooks.CrashAtEnv
	vaultWorkFactorEnv = testhooks.VaultWorkFactorEnv
	pauseAtEnv         = testhooks.PauseAtEnv
	pauseDirEnv        = testhooks.PauseDirEnv
	// testBuildTag builds the binary the end-to-end tests run.
	testBuildTag = "testhooks"
)
