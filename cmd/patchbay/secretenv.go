package main

import (
	"os"
	"runtime"
	"strings"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// takeSecretEnv moves the secrets patchbay may be handed in its environment
// (the vault passphrase and the PATCHBAY_SECRET_… values an apply file
// names) out of the environment and returns the getenv that still reads
// them. Whatever patchbay starts (the browser, a clipboard tool) is then
// started without them.
func takeSecretEnv() func(string) string {
	taken := map[string]string{}
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if key := envKey(name); key == secrets.VaultPassphraseEnv || strings.HasPrefix(key, app.SecretEnvPrefix) {
			taken[key] = value
			os.Unsetenv(name)
		}
	}
	if len(taken) == 0 {
		return os.Getenv
	}
	return func(name string) string {
		if v, ok := taken[envKey(name)]; ok {
			return v
		}
		return os.Getenv(name)
	}
}

// envKey is how the system compares variable names: as they are, or, on
// Windows, without regard to case.
func envKey(name string) string {
	if runtime.GOOS == "windows" {
		return strings.ToUpper(name)
	}
	return name
}
