package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"filippo.io/age"
)

// fastVault keeps scrypt cheap in tests; real vaults use DefaultVaultWorkFactor.
var fastVault = VaultOptions{WorkFactor: 10}

func fixedPassphrase(p string) func() (string, error) {
	return func() (string, error) { return p, nil }
}

// countingPassphrase answers with answers[i] on the i-th call (the last one repeated) and counts calls.
func countingPassphrase(calls *atomic.Int32, answers ...string) func() (string, error) {
	return func() (string, error) {
		n := int(calls.Add(1)) - 1
		return answers[min(n, len(answers)-1)], nil
	}
}

// Child processes for TestVaultConcurrentProcesses are this test binary re-executed with these variables.
const (
	childEnv       = "PATCHBAY_SECRETS_TEST_CHILD"
	childVaultEnv  = "PATCHBAY_SECRETS_TEST_VAULT"
	childPrefixEnv = "PATCHBAY_SECRETS_TEST_PREFIX"
	childCount     = 20
	childPass      = "two processes, one vault"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "vault-writer" {
		os.Exit(vaultWriterChild())
	}
	os.Exit(m.Run())
}

func vaultWriterChild() int {
	v := NewVault(os.Getenv(childVaultEnv), fixedPassphrase(childPass), fastVault)
	prefix := os.Getenv(childPrefixEnv)
	for i := range childCount {
		a := Account(prefix, "certn-lever", "key"+strconv.Itoa(i))
		if err := v.Set(context.Background(), a, prefix+"-secret-"+strconv.Itoa(i)); err != nil {
			fmt.Fprintf(os.Stderr, "child %s: Set %s: %v\n", prefix, a, err)
			return 1
		}
	}
	return 0
}

func TestVaultConcurrentProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "secrets.age")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([][]byte, 2)
	for i, prefix := range []string{"procA", "procB"} {
		cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=vault-writer", childVaultEnv+"="+path, childPrefixEnv+"="+prefix)
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v\n%s", i, errs[i], outs[i])
		}
	}

	v := NewVault(path, fixedPassphrase(childPass), fastVault)
	all, err := v.List(t.Context(), "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(all) != 2*childCount {
		t.Fatalf("vault holds %d accounts, want %d: an update was lost\n%v", len(all), 2*childCount, all)
	}
	for _, prefix := range []string{"procA", "procB"} {
		for i := range childCount {
			a := Account(prefix, "certn-lever", "key"+strconv.Itoa(i))
			if got, want := mustGet(t, v, a), prefix+"-secret-"+strconv.Itoa(i); got != want {
				t.Errorf("Get(%s) = %q, want %q", a, got, want)
			}
		}
	}
	assertOnlyVaultFiles(t, path)
}

// Two Vault values on one file in one process, used from many goroutines, lose nothing either.
func TestVaultConcurrentInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	vaults := []*Vault{NewVault(path, fixedPassphrase("p"), fastVault), NewVault(path, fixedPassphrase("p"), fastVault)}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			v := vaults[g%2]
			for i := range 5 {
				if err := v.Set(t.Context(), Account("g"+strconv.Itoa(g), "vetty-chattr", "k"+strconv.Itoa(i)), "s"); err != nil {
					t.Errorf("Set: %v", err)
				}
			}
		})
	}
	wg.Wait()
	all, err := vaults[0].List(t.Context(), "")
	if err != nil || len(all) != 30 {
		t.Fatalf("List = %d accounts, %v; want 30", len(all), err)
	}
}

func TestVaultWrongPassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	a := Account("default", "vetty-chattr", "api_key")
	mustSet(t, NewVault(path, fixedPassphrase("correct horse"), fastVault), a, "vk_live_kept")
	before := readFile(t, path)

	wrong := NewVault(path, fixedPassphrase("battery staple"), fastVault)
	ops := map[string]func() error{
		"Get":    func() error { _, err := wrong.Get(t.Context(), a); return err },
		"Set":    func() error { return wrong.Set(t.Context(), a, "vk_live_replacement") },
		"Delete": func() error { return wrong.Delete(t.Context(), a) },
		"List":   func() error { _, err := wrong.List(t.Context(), ""); return err },
		"Probe":  func() error { return Probe(t.Context(), wrong) },
	}
	for name, op := range ops {
		err := op()
		if !errors.Is(err, ErrBadPassphrase) {
			t.Fatalf("%s: err = %v, want ErrBadPassphrase", name, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "passphrase is wrong") || !strings.Contains(msg, path) ||
			!strings.Contains(msg, VaultPassphraseEnv) {
			t.Errorf("%s: message %q should say the passphrase is wrong for which file", name, msg)
		}
		for _, s := range []string{"battery staple", "correct horse", "vk_live"} {
			if strings.Contains(msg, s) {
				t.Errorf("%s: message %q shows %q", name, msg, s)
			}
		}
	}
	if after := readFile(t, path); !bytes.Equal(before, after) {
		t.Fatal("the vault file changed after operations with a wrong passphrase")
	}
	assertOnlyVaultFiles(t, path)
}

func TestVaultPassphraseAskedOnceAndRetriedAfterMistake(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	a := Account("default", "certn-lever", "api_key")
	mustSet(t, NewVault(path, fixedPassphrase("right"), fastVault), a, "ck")

	var calls atomic.Int32
	v := NewVault(path, countingPassphrase(&calls, "wrong", "right"), fastVault)
	if _, err := v.Get(t.Context(), a); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("first Get: err = %v, want ErrBadPassphrase", err)
	}
	if got := mustGet(t, v, a); got != "ck" {
		t.Fatalf("Get = %q", got)
	}
	mustSet(t, v, Account("default", "certn-lever", "signing_token"), "st")
	mustGet(t, v, a)
	if err := v.Delete(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("passphrase asked %d times, want 2 (the wrong one, then the right one, then remembered)", n)
	}
}

func TestVaultMissingFileIsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "state", "secrets.age")
	var calls atomic.Int32
	v := NewVault(path, countingPassphrase(&calls, "first one wins"), fastVault)
	a := Account("default", "vetty-chattr", "api_key")
	if _, err := v.Get(t.Context(), a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on a missing vault: err = %v, want ErrNotFound", err)
	}
	if err := v.Delete(t.Context(), a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete on a missing vault: err = %v, want ErrNotFound", err)
	}
	if l, err := v.List(t.Context(), ""); err != nil || len(l) != 0 {
		t.Fatalf("List on a missing vault = %v, %v", l, err)
	}
	if err := Probe(t.Context(), v); err != nil {
		t.Fatalf("Probe on a missing vault: %v", err)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("passphrase asked %d times before anything needed it", n)
	}
	if ok, err := v.Exists(); ok || err != nil {
		t.Fatalf("reading created the vault file: Exists = %v, %v", ok, err)
	}

	mustSet(t, v, a, "vk")
	if ok, err := v.Exists(); !ok || err != nil {
		t.Fatalf("Set did not create the vault file: Exists = %v, %v", ok, err)
	}
	// The first passphrase became the vault's.
	if got := mustGet(t, NewVault(path, fixedPassphrase("first one wins"), fastVault), a); got != "vk" {
		t.Fatalf("Get = %q", got)
	}
	if _, err := NewVault(path, fixedPassphrase("another"), fastVault).Get(t.Context(), a); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("Get with another passphrase: err = %v, want ErrBadPassphrase", err)
	}
}

func TestVaultFilePermissionsAndAtomicity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "secrets.age")
	v := NewVault(path, fixedPassphrase("p"), fastVault)
	for i := range 5 {
		mustSet(t, v, Account("default", "vetty-chattr", "k"+strconv.Itoa(i)), "s")
	}
	if err := v.Delete(t.Context(), Account("default", "vetty-chattr", "k0")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600, path + ".lock": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	assertOnlyVaultFiles(t, path)
}

func TestVaultFileIsEncrypted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	v := NewVault(path, fixedPassphrase("p"), fastVault)
	secret := "sk_live_PLAINTEXT_MUST_NOT_APPEAR"
	a := Account("acme-profile", "charthop-lever", "webhook_secret")
	mustSet(t, v, a, secret)
	data := readFile(t, path)
	for _, s := range []string{secret, "acme-profile", "webhook_secret", `"version"`} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("vault file contains %q in the clear", s)
		}
	}
	if !bytes.HasPrefix(data, []byte("age-encryption.org/v1\n-> scrypt ")) {
		t.Fatalf("vault file is not an age scrypt file: %q", data[:min(len(data), 40)])
	}
	// It is a standard age file: age itself opens it, and it holds our versioned JSON.
	id, _ := age.NewScryptIdentity("p")
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		t.Fatal(err)
	}
	var f vaultFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		t.Fatal(err)
	}
	if f.Version != 1 || f.Secrets[a] != secret {
		t.Fatalf("decrypted vault = version %d with %d secrets", f.Version, len(f.Secrets))
	}
}

func TestVaultDefaultWorkFactor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	v := NewVault(path, fixedPassphrase("p"))
	if v.workFactor != DefaultVaultWorkFactor {
		t.Fatalf("work factor %d, want %d", v.workFactor, DefaultVaultWorkFactor)
	}
	// Writing with the real cost takes about a second; check only what lands in the file.
	v.workFactor = 12
	mustSet(t, v, Account("default", "vetty-chattr", "api_key"), "vk")
	if data := readFile(t, path); !bytes.Contains(data, []byte(" 12\n")) {
		t.Fatalf("scrypt stanza does not record work factor 12: %q", data[:min(len(data), 80)])
	}
}

func TestVaultEmptyPassphraseRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	v := NewVault(path, fixedPassphrase(""), fastVault)
	err := v.Set(t.Context(), Account("default", "vetty-chattr", "api_key"), "vk")
	if !errors.Is(err, ErrBadPassphrase) || !strings.Contains(err.Error(), "must not be empty") {
		t.Fatalf("Set with an empty passphrase: err = %v, want ErrBadPassphrase saying it is empty", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a vault was created with an empty passphrase: %v", err)
	}
}

func TestVaultPassphraseCallbackError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	errNoTTY := errors.New("no terminal to prompt on")
	v := NewVault(path, func() (string, error) { return "", errNoTTY }, fastVault)
	if err := v.Set(t.Context(), Account("default", "vetty-chattr", "api_key"), "vk"); !errors.Is(err, errNoTTY) {
		t.Fatalf("err = %v, want the callback's error", err)
	}
}

func TestVaultSeesOtherWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	v1 := NewVault(path, fixedPassphrase("p"), fastVault)
	v2 := NewVault(path, fixedPassphrase("p"), fastVault)
	a := Account("default", "vetty-chattr", "api_key")
	mustSet(t, v1, a, "one")
	mustGet(t, v2, a)
	mustSet(t, v2, a, "two")
	if got := mustGet(t, v1, a); got != "two" {
		t.Fatalf("v1 reads %q after v2 wrote %q: stale cache", got, "two")
	}
}

// The vault was re-created with another passphrase by someone else: the remembered one stops working, the
// admin is told, and asked again.
func TestVaultRecreatedWithOtherPassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	a := Account("default", "vetty-chattr", "api_key")
	var calls atomic.Int32
	v := NewVault(path, countingPassphrase(&calls, "old", "new"), fastVault)
	mustSet(t, v, a, "before")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mustSet(t, NewVault(path, fixedPassphrase("new"), fastVault), a, "after")
	if _, err := v.Get(t.Context(), a); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("Get with the remembered old passphrase: err = %v, want ErrBadPassphrase", err)
	}
	if got := mustGet(t, v, a); got != "after" || calls.Load() != 2 {
		t.Fatalf("Get = %q after %d prompts; want %q after asking again", got, calls.Load(), "after")
	}
}

func TestVaultUnreadableFiles(t *testing.T) {
	encrypt := func(t *testing.T, r age.Recipient, plain string) []byte {
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(plain)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	scrypt := func(t *testing.T) age.Recipient {
		r, _ := age.NewScryptRecipient("p")
		r.SetWorkFactor(10)
		return r
	}
	tests := []struct {
		name    string
		content func(t *testing.T) []byte
		wantMsg string
	}{
		{"plaintext JSON", func(*testing.T) []byte { return []byte(`{"version":1,"secrets":{}}`) }, "not a passphrase-encrypted"},
		{"empty file", func(*testing.T) []byte { return nil }, "not a passphrase-encrypted"},
		{"encrypted to a key", func(t *testing.T) []byte {
			id, _ := age.GenerateX25519Identity()
			return encrypt(t, id.Recipient(), `{"version":1}`)
		}, "not a passphrase-encrypted"},
		{"truncated", func(t *testing.T) []byte {
			data := encrypt(t, scrypt(t), `{"version":1,"secrets":{"a/b/c":"`+strings.Repeat("x", 200)+`"}}`)
			return data[:len(data)-20]
		}, "damaged"},
		{"not JSON inside", func(t *testing.T) []byte { return encrypt(t, scrypt(t), "hello") }, "not a patchbay vault"},
		{"no version", func(t *testing.T) []byte { return encrypt(t, scrypt(t), `{"secrets":{}}`) }, "no format version"},
		{"newer format", func(t *testing.T) []byte { return encrypt(t, scrypt(t), `{"version":2,"secrets":{}}`) }, "newer patchbay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.age")
			content := tt.content(t)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			v := NewVault(path, fixedPassphrase("p"), fastVault)
			a := Account("default", "vetty-chattr", "api_key")
			_, err := v.Get(t.Context(), a)
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrBadPassphrase) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Get: err = %v, want ErrCorrupt saying %q", err, tt.wantMsg)
			}
			if err := v.Set(t.Context(), a, "vk"); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Set: err = %v, want ErrCorrupt", err)
			}
			if !bytes.Equal(readFile(t, path), content) {
				t.Fatal("an unreadable vault was overwritten")
			}
		})
	}
}

func TestVaultBackend(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	v := NewVault("secrets.age", fixedPassphrase("p"))
	if info := v.Backend(); info.Name != BackendVault || info.Detail != filepath.Join(dir, "secrets.age") {
		t.Fatalf("Backend() = %+v, want vault with the absolute path", info)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// assertOnlyVaultFiles: the directory holds the vault and its lock file, no leftover temp files.
func assertOnlyVaultFiles(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{filepath.Base(path), filepath.Base(path) + ".lock"}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("directory holds %v, want only %v", names, want)
	}
}

// BenchmarkVault shows the cost of the default scrypt work factor: every write encrypts anew, and a read that
// finds the file changed decrypts it; unchanged files are read from the cache.
func BenchmarkVault(b *testing.B) {
	for _, wf := range []int{fastVault.WorkFactor, DefaultVaultWorkFactor} {
		path := filepath.Join(b.TempDir(), "secrets.age")
		v := NewVault(path, fixedPassphrase("p"), VaultOptions{WorkFactor: wf})
		a := Account("bench", "vetty-chattr", "api_key")
		ctx := context.Background()
		b.Run(fmt.Sprintf("Set/workfactor=%d", wf), func(b *testing.B) {
			for b.Loop() {
				if err := v.Set(ctx, a, "vk"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("GetFresh/workfactor=%d", wf), func(b *testing.B) {
			for b.Loop() {
				fresh := NewVault(path, fixedPassphrase("p"), VaultOptions{WorkFactor: wf})
				if _, err := fresh.Get(ctx, a); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("GetCached/workfactor=%d", wf), func(b *testing.B) {
			for b.Loop() {
				if _, err := v.Get(ctx, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
