package main

import "github.com/patchbay/patchbay/internal/store/secrets"

// testHooks are the test controls; only test builds set them (hooks_testhooks.go under the testhooks build
// tag, hooks_test.go in go test), so a release binary has none.
var testHooks struct {
	crash      func(getenv func(string) string) func(string)
	workFactor func(getenv func(string) string) (int, error)
}

// crashHook returns the Service.Phase hook a test asks for, or nil.
func (f *Factory) crashHook() func(string) {
	if testHooks.crash == nil {
		return nil
	}
	return testHooks.crash(f.getenv)
}

// vaultOptions are the vault's defaults, or a test's lower work factor.
func (f *Factory) vaultOptions() (secrets.VaultOptions, error) {
	if testHooks.workFactor == nil {
		return secrets.VaultOptions{}, nil
	}
	n, err := testHooks.workFactor(f.getenv)
	if err != nil {
		return secrets.VaultOptions{}, usageError("%v", err)
	}
	return secrets.VaultOptions{WorkFactor: n}, nil
}
