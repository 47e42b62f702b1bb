//go:build !testhooks

package main

import "github.com/patchbay/patchbay/internal/testhooks"

// In-process tests honour the test controls too.
func init() {
	testHooks.crash = testhooks.CrashHook
	testHooks.pause = testhooks.PauseHook
	testHooks.workFactor = testhooks.VaultWorkFactor
}
