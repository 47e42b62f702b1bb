package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"filippo.io/age"
)

// VaultPassphraseEnv names the environment variable scripts use to hand the vault passphrase to patchbay
// (read by the command layer, which passes it to NewVault as the passphrase callback).
const VaultPassphraseEnv = "PATCHBAY_VAULT_PASSPHRASE"

// DefaultVaultWorkFactor is the scrypt cost (log2 of N) for writes: age's own default, about a second per
// encryption or decryption on a current machine, which is what makes guessing passphrases expensive.
const DefaultVaultWorkFactor = 18

// ageMaxWorkFactor is age's default ceiling for files it is asked to decrypt.
const ageMaxWorkFactor = 22

const (
	vaultFormatVersion = 1
	// maxVaultPlaintext caps what a vault file may decrypt to; a real vault holds a few dozen short secrets.
	maxVaultPlaintext = 16 << 20
	lockRetry         = 20 * time.Millisecond
)

// VaultOptions tunes NewVault.
type VaultOptions struct {
	// WorkFactor is the scrypt cost (log2 N, 1–30) used when writing; 0 means DefaultVaultWorkFactor.
	// Only tests should lower it.
	WorkFactor int
}

// Vault keeps secrets in one age-encrypted file (scrypt passphrase mode) holding a JSON map account→secret.
//
// The passphrase comes from a callback (a prompt, or VaultPassphraseEnv), asked for at most once per process
// while it keeps working. A missing file is an empty vault; the first Set creates it with the passphrase
// given then. Writes replace the file atomically (temp file in the same directory, fsync, rename) under an
// advisory lock on PATH.lock, so concurrent patchbay processes never lose each other's updates.
type Vault struct {
	path       string
	passphrase func() (string, error)
	workFactor int

	// mu serialises this process's operations (and its passphrase prompts); the file lock covers other
	// processes.
	mu   sync.Mutex
	pass string // the passphrase once it has opened or created the vault
	// Last ciphertext seen and its contents: when the file has not changed, reads skip the (deliberately
	// slow) scrypt decryption. Entries are never mutated in place.
	lastCipher  []byte
	lastEntries map[string]string
}

var (
	_ Store  = (*Vault)(nil)
	_ Lister = (*Vault)(nil)
)

// vaultFile is the decrypted content of the vault file.
type vaultFile struct {
	Version int               `json:"version"`
	Secrets map[string]string `json:"secrets"`
}

// NewVault returns the vault stored at path. It does no I/O: the file is read on first use and created by the
// first Set. passphrase is called when the passphrase is first needed and again only after a wrong one.
func NewVault(path string, passphrase func() (string, error), opts ...VaultOptions) *Vault {
	var o VaultOptions
	if len(opts) > 0 {
		o = opts[len(opts)-1]
	}
	wf := o.WorkFactor
	if wf <= 0 {
		wf = DefaultVaultWorkFactor
	}
	wf = min(wf, 30)
	if abs, err := filepath.Abs(path); err == nil && path != "" {
		path = abs
	}
	return &Vault{path: path, passphrase: passphrase, workFactor: wf}
}

// Backend reports "vault" and the file's path.
func (v *Vault) Backend() Info {
	return Info{Name: BackendVault, Detail: v.path}
}

// Path is the vault file.
func (v *Vault) Path() string { return v.path }

// Exists reports whether the vault file has been created, so that the command layer can ask for a new
// passphrase twice (to confirm it) but for an existing one only once.
func (v *Vault) Exists() (bool, error) {
	_, err := os.Stat(v.path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// Get returns the secret stored under account.
func (v *Vault) Get(ctx context.Context, account string) (string, error) {
	if err := checkCall(ctx, account); err != nil {
		return "", err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	entries, err := v.load()
	if err != nil {
		return "", err
	}
	s, ok := entries[account]
	if !ok {
		return "", ErrNotFound
	}
	return s, nil
}

// List returns the vault's accounts starting with prefix, sorted.
func (v *Vault) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	entries, err := v.load()
	if err != nil {
		return nil, err
	}
	return listPrefix(entries, prefix), nil
}

// Set stores secret under account, creating the vault if it does not exist yet.
func (v *Vault) Set(ctx context.Context, account, secret string) error {
	if err := checkCall(ctx, account); err != nil {
		return err
	}
	if secret == "" {
		return ErrEmptySecret
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.update(ctx, func(entries map[string]string) error {
		entries[account] = secret
		return nil
	})
}

// Delete removes account from the vault.
func (v *Vault) Delete(ctx context.Context, account string) error {
	if err := checkCall(ctx, account); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	// Nothing to delete from a vault that does not exist; do not ask for a passphrase for that.
	if _, err := os.Stat(v.path); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return v.update(ctx, func(entries map[string]string) error {
		if _, ok := entries[account]; !ok {
			return ErrNotFound
		}
		delete(entries, account)
		return nil
	})
}

// load reads and decrypts the vault; a missing file is an empty vault. Caller holds v.mu.
// Move moves the value of from to to in one atomic rewrite of the file.
func (v *Vault) Move(ctx context.Context, from, to string) error {
	if err := checkCall(ctx, from); err != nil {
		return err
	}
	if err := validAccount(to); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, err := os.Stat(v.path); errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return v.update(ctx, func(entries map[string]string) error {
		val, ok := entries[from]
		if !ok {
			return ErrNotFound
		}
		entries[to] = val
		delete(entries, from)
		return nil
	})
}

func (v *Vault) load() (map[string]string, error) {
	if v.path == "" {
		return nil, &storeError{kind: ErrUnavailable, msg: "no vault file was configured"}
	}
	data, err := os.ReadFile(v.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, &storeError{kind: ErrUnavailable, cause: err, msg: "cannot read the secret vault: " + err.Error()}
	}
	if v.lastCipher != nil && bytes.Equal(data, v.lastCipher) {
		return v.lastEntries, nil
	}
	pass, err := v.obtainPassphrase()
	if err != nil {
		return nil, err
	}
	return v.decrypt(data, pass)
}

// update runs a locked read-modify-write of the vault. The passphrase is obtained before the file lock is
// taken so that a slow prompt never blocks other processes. Caller holds v.mu.
func (v *Vault) update(ctx context.Context, change func(map[string]string) error) error {
	if v.path == "" {
		return &storeError{kind: ErrUnavailable, msg: "no vault file was configured"}
	}
	pass, err := v.obtainPassphrase()
	if err != nil {
		return err
	}
	// 0700: only its owner may list or replace files next to the vault. An existing directory is left as the
	// admin set it.
	if err := os.MkdirAll(filepath.Dir(v.path), 0o700); err != nil {
		return &storeError{kind: ErrUnavailable, cause: err, msg: "cannot create the vault's directory: " + err.Error()}
	}
	unlock, err := lockPath(ctx, v.path+".lock")
	if err != nil {
		return err
	}
	defer unlock()

	entries := map[string]string{}
	data, err := os.ReadFile(v.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A new vault: the passphrase given now becomes its passphrase.
	case err != nil:
		return &storeError{kind: ErrUnavailable, cause: err, msg: "cannot read the secret vault: " + err.Error()}
	case v.lastCipher != nil && bytes.Equal(data, v.lastCipher) && pass == v.pass:
		entries = maps.Clone(v.lastEntries)
	default:
		current, err := v.decrypt(data, pass)
		if err != nil {
			return err
		}
		entries = maps.Clone(current)
	}
	if err := change(entries); err != nil {
		return err
	}
	return v.write(entries, pass)
}

// obtainPassphrase returns the remembered passphrase or asks the callback. Caller holds v.mu.
func (v *Vault) obtainPassphrase() (string, error) {
	if v.pass != "" {
		return v.pass, nil
	}
	if v.passphrase == nil {
		return "", &storeError{kind: ErrBadPassphrase, msg: "no way to ask for the vault passphrase was configured"}
	}
	p, err := v.passphrase()
	if err != nil {
		return "", fmt.Errorf("reading the vault passphrase: %w", err)
	}
	if p == "" {
		return "", &storeError{kind: ErrBadPassphrase, msg: "the vault passphrase must not be empty"}
	}
	return p, nil
}

// decrypt opens data with pass and remembers both on success. Caller holds v.mu.
func (v *Vault) decrypt(data []byte, pass string) (map[string]string, error) {
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, &storeError{kind: ErrBadPassphrase, cause: err, msg: "the vault passphrase must not be empty"}
	}
	id.SetMaxWorkFactor(max(ageMaxWorkFactor, v.workFactor))
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) && slices.Contains(noMatch.StanzaTypes, "scrypt") {
			// Forget a remembered passphrase that stopped working (the vault was re-created meanwhile) so the
			// next call asks again.
			v.pass = ""
			return nil, &storeError{kind: ErrBadPassphrase, msg: fmt.Sprintf("the vault passphrase is wrong: it "+
				"does not open %s (if it comes from %s, check that variable); nothing was changed",
				v.path, VaultPassphraseEnv)}
		}
		return nil, v.corrupt("it is not a passphrase-encrypted patchbay vault", err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxVaultPlaintext+1))
	if err != nil {
		return nil, v.corrupt("its encrypted content is damaged", err)
	}
	if len(plain) > maxVaultPlaintext {
		return nil, v.corrupt("it is far larger than any patchbay vault", nil)
	}
	var f vaultFile
	if err := json.Unmarshal(plain, &f); err != nil {
		return nil, v.corrupt("its decrypted content is not a patchbay vault", nil)
	}
	switch {
	case f.Version > vaultFormatVersion:
		return nil, v.corrupt(fmt.Sprintf("it was written by a newer patchbay (format %d, this one reads %d)",
			f.Version, vaultFormatVersion), nil)
	case f.Version < 1:
		return nil, v.corrupt("its decrypted content has no format version", nil)
	}
	if f.Secrets == nil {
		f.Secrets = map[string]string{}
	}
	v.pass = pass
	v.lastCipher = data
	v.lastEntries = f.Secrets
	return f.Secrets, nil
}

func (v *Vault) corrupt(why string, cause error) error {
	msg := fmt.Sprintf("cannot use the secret vault %s: %s", v.path, why)
	if cause != nil {
		// age's errors describe the file's structure, never its plaintext.
		msg += " (" + cause.Error() + ")"
	}
	return &storeError{kind: ErrCorrupt, cause: cause, msg: msg}
}

// write encrypts entries with pass and atomically replaces the vault file. Caller holds v.mu and the file lock.
func (v *Vault) write(entries map[string]string, pass string) error {
	rcp, err := age.NewScryptRecipient(pass)
	if err != nil {
		return &storeError{kind: ErrBadPassphrase, cause: err, msg: "the vault passphrase must not be empty"}
	}
	rcp.SetWorkFactor(v.workFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcp)
	if err != nil {
		return fmt.Errorf("encrypting the secret vault: %w", err)
	}
	if err := json.NewEncoder(w).Encode(vaultFile{Version: vaultFormatVersion, Secrets: entries}); err != nil {
		return fmt.Errorf("encrypting the secret vault: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypting the secret vault: %w", err)
	}
	if err := writeFileAtomic(v.path, buf.Bytes()); err != nil {
		return &storeError{kind: ErrUnavailable, cause: err, msg: "cannot write the secret vault: " + err.Error()}
	}
	v.pass = pass
	v.lastCipher = buf.Bytes()
	v.lastEntries = entries
	return nil
}

// writeFileAtomic replaces path with data so that readers see the old or the new file, never a mix, and a
// crash leaves one of the two on disk.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	// CreateTemp makes the file 0600, so the ciphertext is private from its first byte.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable.
	return syncDir(dir)
}

// lockPath takes an exclusive advisory lock on the file at path, waiting while another process holds it,
// until ctx ends. The lock file stays in place: removing it would race with the next process taking it.
func lockPath(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &storeError{kind: ErrUnavailable, cause: err, msg: "cannot lock the secret vault: " + err.Error()}
	}
	for {
		busy, err := tryLock(f)
		if err != nil {
			_ = f.Close()
			return nil, &storeError{kind: ErrUnavailable, cause: err, msg: "cannot lock the secret vault: " + err.Error()}
		}
		if !busy {
			return func() {
				_ = unlockFile(f)
				_ = f.Close()
			}, nil
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("waiting for another patchbay to finish writing the secret vault: %w", ctx.Err())
		case <-time.After(lockRetry):
		}
	}
}
