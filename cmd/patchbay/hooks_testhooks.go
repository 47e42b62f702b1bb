//go:build testhooks

package main

import "github.com/patchbay/patchbay/internal/testhooks"

// The binary the end-to-end tests build (go build -tags testhooks) honours the test controls.
func init() {
	testHooks.crash = testhooks.CrashHook
	testHooks.pause = testhooks.PauseHook
	testHooks.workFactor = testhooks.VaultWorkFactor
}
