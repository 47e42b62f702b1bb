package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// Only what opens the identity needs the passphrase (writes encrypt to the recipient).
	ops := map[string]func() error{
		"Get":    func() error { _, err := wrong.Get(t.Context(), a); return err },
		"Unlock": func() error { return wrong.Unlock(t.Context()) },
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

// A link planted where the vault's lock file goes is never followed: the
// write is refused, and no file appears where the link points.
func TestVaultLockFollowsNoLink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "secrets.age")
	elsewhere := filepath.Join(t.TempDir(), "created-by-patchbay")
	if err := os.Symlink(elsewhere, path+".lock"); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	err := NewVault(path, fixedPassphrase("p"), fastVault).Set(t.Context(), Account("default", "vetty-chattr", "k"), "s")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "cannot lock the secret vault") {
		t.Fatalf("a linked lock file: %v", err)
	}
	if _, err := os.Lstat(elsewhere); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link was followed: %s exists", elsewhere)
	}
}

func TestVaultFileIsEncrypted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.secrets.age")
	v := NewVault(path, fixedPassphrase("p"), fastVault)
	secret := "sk_live_PLAINTEXT_MUST_NOT_APPEAR"
	a := Account("acme-profile", "charthop-lever", "webhook_secret")
	mustSet(t, v, a, secret)
	data := readFile(t, path)
	if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte("AGE-SECRET-KEY")) {
		t.Fatal("vault file holds a secret or the identity in the clear")
	}
	var f vaultFile
	if err := json.Unmarshal(data, &f); err != nil || f.Format != vaultFormat || f.Version != vaultFormatVersion {
		t.Fatalf("vault file is not a version %d patchbay vault: %v", vaultFormatVersion, err)
	}
	// Standard age all the way: the passphrase opens the identity, the identity opens each secret.
	sid, _ := age.NewScryptIdentity("p")
	r, err := age.Decrypt(bytes.NewReader(f.Identity), sid)
	if err != nil {
		t.Fatal(err)
	}
	idText, _ := io.ReadAll(r)
	id, err := age.ParseX25519Identity(string(idText))
	if err != nil || id.Recipient().String() != f.Recipient {
		t.Fatalf("identity %v does not match the recipient", err)
	}
	r, err = age.Decrypt(bytes.NewReader(f.Secrets[a]), id)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); string(got) != secret {
		t.Fatal("the entry does not decrypt to the secret")
	}
}

// Reading any number of secrets costs one derivation; writing, moving and deleting cost none, so a process
// that has not unlocked the vault can store a new secret without its passphrase.
func TestVaultDerivations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.secrets.age")
	var calls atomic.Int32
	mustSet(t, NewVault(path, countingPassphrase(&calls, "p"), fastVault), Account("d", "vetty-chattr", "api_key"), "vk-1")
	if calls.Load() != 1 {
		t.Fatalf("creating the vault asked %d times", calls.Load())
	}
	calls.Store(0)
	w := NewVault(path, countingPassphrase(&calls, "p"), fastVault)
	a := Account("d", "certn-lever", "api_key")
	mustSet(t, w, a+".staging", "lk-1")
	if err := w.Move(t.Context(), a+".staging", a); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(t.Context(), Account("d", "vetty-chattr", "api_key")); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Fatalf("writes asked for the passphrase %d times, want none", calls.Load())
	}
	r := NewVault(path, countingPassphrase(&calls, "p"), fastVault)
	for range 5 {
		if got := mustGet(t, r, a); got != "lk-1" {
			t.Fatalf("Get = %q", got)
		}
	}
	if calls.Load() != 1 || r.identity == nil {
		t.Fatalf("five reads asked %d times, want once", calls.Load())
	}
}

// Changing the passphrase re-wraps the identity only: every secret's ciphertext stays as it was.
func TestVaultChangePassphrase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.secrets.age")
	v := NewVault(path, fixedPassphrase("old"), fastVault)
	a := Account("d", "vetty-chattr", "api_key")
	mustSet(t, v, a, "vk-keep")
	var before vaultFile
	_ = json.Unmarshal(readFile(t, path), &before)
	if err := v.ChangePassphrase(t.Context(), "new"); err != nil {
		t.Fatal(err)
	}
	var after vaultFile
	_ = json.Unmarshal(readFile(t, path), &after)
	if !bytes.Equal(before.Secrets[a], after.Secrets[a]) || bytes.Equal(before.Identity, after.Identity) {
		t.Fatal("changing the passphrase did not re-wrap the identity only")
	}
	if _, err := NewVault(path, fixedPassphrase("old"), fastVault).Get(t.Context(), a); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("old passphrase: %v", err)
	}
	if got := mustGet(t, NewVault(path, fixedPassphrase("new"), fastVault), a); got != "vk-keep" {
		t.Fatalf("new passphrase reads %q", got)
	}
}

// A vault of earlier versions (one scrypt file shared by a folder) is read with the same passphrase; the
// entries taken over leave it, and it is removed once empty.
func TestVaultLegacy(t *testing.T) {
	dir := t.TempDir()
	legacyPath := filepath.Join(dir, "secrets.age")
	r, _ := age.NewScryptRecipient("p")
	r.SetWorkFactor(10)
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, r)
	mine, theirs := Account("d", "vetty-chattr", "api_key"), Account("other", "vetty-chattr", "api_key")
	_ = json.NewEncoder(w).Encode(legacyVaultFile{Version: 1, Secrets: map[string]string{mine: "vk-mine", theirs: "vk-theirs"}})
	_ = w.Close()
	if err := os.WriteFile(legacyPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	v := NewVault(filepath.Join(dir, "db.secrets.age"), fixedPassphrase("p"), VaultOptions{WorkFactor: 10, LegacyPath: legacyPath})
	if isNew, _ := v.IsNew(); isNew {
		t.Fatal("a vault taking over a legacy one is not new")
	}
	if err := v.Unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := v.LegacyGet(t.Context(), mine)
	if err != nil || got != "vk-mine" {
		t.Fatalf("LegacyGet = %q, %v", got, err)
	}
	mustSet(t, v, mine, got)
	if err := v.LegacyDelete(t.Context(), []string{mine}); err != nil {
		t.Fatal(err)
	}
	left := NewVault(filepath.Join(dir, "other.secrets.age"), fixedPassphrase("p"), VaultOptions{WorkFactor: 10, LegacyPath: legacyPath})
	if _, err := left.LegacyGet(t.Context(), mine); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the moved entry is still in the legacy vault: %v", err)
	}
	if got, _ := left.LegacyGet(t.Context(), theirs); got != "vk-theirs" {
		t.Fatalf("another database's legacy entry was lost: %q", got)
	}
	if err := left.LegacyDelete(t.Context(), []string{theirs}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(legacyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the empty legacy vault was left behind: %v", err)
	}
	if got := mustGet(t, NewVault(filepath.Join(dir, "db.secrets.age"), fixedPassphrase("p"), fastVault), mine); got != "vk-mine" {
		t.Fatalf("moved entry reads %q", got)
	}
}

func TestVaultDefaultWorkFactor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.age")
	v := NewVault(path, fixedPassphrase("p"))
	if v.workFactor != DefaultVaultWorkFactor {
		t.Fatalf("work factor %d, want %d", v.workFactor, DefaultVaultWorkFactor)
	}
	// Wrapping with the real cost takes about a second; check only what lands in the file.
	v.workFactor = 12
	mustSet(t, v, Account("default", "vetty-chattr", "api_key"), "vk")
	var f vaultFile
	_ = json.Unmarshal(readFile(t, path), &f)
	if !bytes.Contains(f.Identity, []byte(" 12\n")) {
		t.Fatalf("scrypt stanza does not record work factor 12: %q", f.Identity[:min(len(f.Identity), 80)])
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
	wrapped := func(t *testing.T, plain string) []byte {
		return encrypt(t, scrypt(t), plain)
	}
	file := func(identity []byte, recipient string) []byte {
		data, _ := json.Marshal(vaultFile{Format: vaultFormat, Version: vaultFormatVersion, Recipient: recipient, Identity: identity})
		return data
	}
	goodID, _ := age.GenerateX25519Identity()
	tests := []struct {
		name    string
		content func(t *testing.T) []byte
		wantMsg string
	}{
		{"plaintext JSON", func(*testing.T) []byte { return []byte(`{"version":1,"secrets":{}}`) }, "not a patchbay vault"},
		{"empty file", func(*testing.T) []byte { return nil }, "not a patchbay vault"},
		{"earlier version's vault", func(t *testing.T) []byte { return wrapped(t, `{"version":1,"secrets":{}}`) }, "earlier patchbay version"},
		{"newer format", func(*testing.T) []byte { return []byte(`{"format":"patchbay-vault","version":3}`) }, "newer patchbay"},
		{"no recipient", func(t *testing.T) []byte { return file(wrapped(t, goodID.String()), "") }, "recipient or identity"},
		{"identity encrypted to a key", func(t *testing.T) []byte {
			return file(encrypt(t, goodID.Recipient(), goodID.String()), goodID.Recipient().String())
		}, "not a passphrase-protected"},
		{"identity of another recipient", func(t *testing.T) []byte {
			other, _ := age.GenerateX25519Identity()
			return file(wrapped(t, goodID.String()), other.Recipient().String())
		}, "does not match"},
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
			err := v.Unlock(t.Context())
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrBadPassphrase) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Get: err = %v, want ErrCorrupt saying %q", err, tt.wantMsg)
			}
			if err := v.Set(t.Context(), a, "vk"); !errors.Is(err, ErrCorrupt) {
				// Encrypting to a recipient needs no passphrase: only a file that does not parse stops a write.
				if !strings.Contains(tt.name, "identity") {
					t.Fatalf("Set: err = %v, want ErrCorrupt", err)
				}
			}
			if !strings.Contains(tt.name, "identity") && !bytes.Equal(readFile(t, path), content) {
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

// BenchmarkVault shows where the scrypt cost falls: opening the vault (one derivation per process) at the
// test and the default work factor, against writing and reading once it is open (no derivation).
func BenchmarkVault(b *testing.B) {
	for _, wf := range []int{fastVault.WorkFactor, DefaultVaultWorkFactor} {
		path := filepath.Join(b.TempDir(), "secrets.age")
		v := NewVault(path, fixedPassphrase("p"), VaultOptions{WorkFactor: wf})
		a := Account("bench", "vetty-chattr", "api_key")
		ctx := context.Background()
		if err := v.Set(ctx, a, "vk"); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("SetNoDerivation/workfactor=%d", wf), func(b *testing.B) {
			for b.Loop() {
				if err := v.Set(ctx, a, "vk"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("OpenAndGet/workfactor=%d", wf), func(b *testing.B) {
			for b.Loop() {
				fresh := NewVault(path, fixedPassphrase("p"), VaultOptions{WorkFactor: wf})
				if _, err := fresh.Get(ctx, a); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("GetUnlocked/workfactor=%d", wf), func(b *testing.B) {
			for b.Loop() {
				if _, err := v.Get(ctx, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
