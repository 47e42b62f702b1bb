package main

import "github.com/patchbay/patchbay/internal/store/secrets"

// testHooks are the test controls; only test builds set them (hooks_testhooks.go under the testhooks build
// tag, hooks_test.go in go test), so a release binary has none.
var testHooks struct {
	crash      func(getenv func(string) string) func(string)
	pause      func(getenv func(string) string) func(string)
	workFactor func(getenv func(string) string) (int, error)
}

// crashHook returns the Service.Phase hook a test asks for (a crash or a
// pause at a point), or nil.
func (f *Factory) crashHook() func(string) {
	var hooks []func(string)
	for _, newHook := range []func(func(string) string) func(string){testHooks.crash, testHooks.pause} {
		if newHook == nil {
			continue
		}
		if h := newHook(f.getenv); h != nil {
			hooks = append(hooks, h)
		}
	}
	if len(hooks) == 0 {
		return nil
	}
	return func(point string) {
		for _, h := range hooks {
			h(point)
		}
	}
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
