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
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
)

// VaultPassphraseEnv names the environment variable scripts use to hand the vault passphrase to patchbay
// (read by the command layer, which passes it to NewVault as the passphrase callback).
const VaultPassphraseEnv = "PATCHBAY_VAULT_PASSPHRASE"

// DefaultVaultWorkFactor is the scrypt cost (log2 of N) of wrapping the vault's identity: age's own default,
// about a second and 256 MiB per derivation, which is what makes guessing passphrases expensive.
const DefaultVaultWorkFactor = 18

// ageMaxWorkFactor is age's default ceiling for files it is asked to decrypt.
const ageMaxWorkFactor = 22

const (
	vaultFormat        = "patchbay-vault"
	vaultFormatVersion = 2
	// maxVaultFile caps what a vault file may hold; a real vault holds a few dozen short secrets.
	maxVaultFile = 16 << 20
	lockRetry    = 20 * time.Millisecond
)

// VaultOptions tunes NewVault.
type VaultOptions struct {
	// WorkFactor is the scrypt cost (log2 N, 1–30) used when wrapping the identity; 0 means
	// DefaultVaultWorkFactor. Only tests should lower it.
	WorkFactor int
	// LegacyPath is a vault written by patchbay versions before database identities (one passphrase-encrypted
	// file, shared by every database of its folder) whose entries this vault takes over; "" when none.
	LegacyPath string
}

// Vault keeps secrets in one file holding an age X25519 identity, encrypted with the passphrase (scrypt),
// its recipient, and each secret encrypted to that recipient.
//
// Reading secrets unwraps the identity once per process: one key derivation however many secrets are read.
// Writing needs no derivation at all (a secret is encrypted to the recipient, a move or delete touches no
// ciphertext); only creating the vault and changing its passphrase wrap the identity. The passphrase comes
// from a callback (a prompt, or VaultPassphraseEnv), asked for at most once per process while it keeps
// working. A missing file is an empty vault; the first Set creates it. Writes replace the file atomically
// (temp file in the same directory, fsync, rename) under an advisory lock on PATH.lock, so concurrent patchbay
// processes never lose each other's updates. Account names are visible in the file, as they are in the
// database beside it; values are not.
type Vault struct {
	path       string
	legacyPath string
	passphrase func() (string, error)
	workFactor int

	// mu serialises this process's operations (and its passphrase prompts); the file lock covers other
	// processes.
	mu       sync.Mutex
	pass     string              // the passphrase once it has opened the vault or was chosen for a new one
	identity *age.X25519Identity // unwrapped identity, once the passphrase opened it
	// Last file content read and its parsed form.
	lastData []byte
	lastFile *vaultFile
	// The legacy vault's content, once decrypted.
	legacy map[string]string
}

var (
	_ Store  = (*Vault)(nil)
	_ Lister = (*Vault)(nil)
	_ Mover  = (*Vault)(nil)
	_ Legacy = (*Vault)(nil)
)

// vaultFile is the vault file. Identity and each secret are age files (binary, base64 in JSON).
type vaultFile struct {
	Format    string            `json:"format"`
	Version   int               `json:"version"`
	Recipient string            `json:"recipient"`
	Identity  []byte            `json:"identity"`
	Secrets   map[string][]byte `json:"secrets"`
}

// legacyVaultFile is the decrypted content of a vault of earlier versions.
type legacyVaultFile struct {
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
	legacy := o.LegacyPath
	if abs, err := filepath.Abs(legacy); err == nil && legacy != "" {
		legacy = abs
	}
	return &Vault{path: path, legacyPath: legacy, passphrase: passphrase, workFactor: wf}
}

// Backend reports "vault" and the file's path.
func (v *Vault) Backend() Info {
	return Info{Name: BackendVault, Detail: v.path}
}

// Path is the vault file.
func (v *Vault) Path() string { return v.path }

// Exists reports whether the vault file has been created.
func (v *Vault) Exists() (bool, error) { return fileExists(v.path) }

// IsNew reports whether opening the vault will choose a new passphrase: neither the vault nor a legacy vault
// it takes over exists. The command layer then asks for the passphrase twice, to confirm it.
func (v *Vault) IsNew() (bool, error) {
	exists, err := fileExists(v.path)
	if err != nil || exists || v.legacyPath == "" {
		return !exists, err
	}
	legacy, err := fileExists(v.legacyPath)
	return !legacy, err
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// Unlock obtains the passphrase and proves it now, so that a wrong one fails before anything else happens:
// it unwraps the identity of an existing vault (the process's one key derivation), or opens the legacy vault
// being taken over; for a new vault it only obtains the passphrase, which the first Set uses. The memory of
// the derivation is given back to the OS at once.
func (v *Vault) Unlock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	f, err := v.load()
	if err != nil {
		return err
	}
	if f != nil {
		_, err := v.unwrap(f)
		return err
	}
	if v.legacyPath != "" {
		if exists, err := fileExists(v.legacyPath); err != nil || exists {
			if err != nil {
				return err
			}
			_, err := v.loadLegacy()
			return err
		}
	}
	pass, err := v.obtainPassphrase()
	if err != nil {
		return err
	}
	v.pass = pass
	return nil
}

// Get returns the secret stored under account.
func (v *Vault) Get(ctx context.Context, account string) (string, error) {
	if err := checkCall(ctx, account); err != nil {
		return "", err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	f, err := v.load()
	if err != nil {
		return "", err
	}
	if f == nil {
		return "", ErrNotFound
	}
	ct, ok := f.Secrets[account]
	if !ok {
		return "", ErrNotFound
	}
	id, err := v.unwrap(f)
	if err != nil {
		return "", err
	}
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		return "", v.corrupt("the entry "+account+" cannot be decrypted", err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxVaultFile))
	if err != nil {
		return "", v.corrupt("the entry "+account+" is damaged", err)
	}
	return string(plain), nil
}

// List returns the vault's accounts starting with prefix, sorted. It needs no passphrase.
func (v *Vault) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	f, err := v.load()
	if err != nil || f == nil {
		return []string{}, err
	}
	out := []string{}
	for a := range f.Secrets {
		if strings.HasPrefix(a, prefix) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Set stores secret under account, creating the vault if it does not exist yet. Encrypting to the vault's
// recipient needs no passphrase.
func (v *Vault) Set(ctx context.Context, account, secret string) error {
	if err := checkCall(ctx, account); err != nil {
		return err
	}
	if secret == "" {
		return ErrEmptySecret
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.update(ctx, true, func(f *vaultFile) error {
		ct, err := v.encryptTo(f, secret)
		if err != nil {
			return err
		}
		f.Secrets[account] = ct
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
	return v.update(ctx, false, func(f *vaultFile) error {
		if _, ok := f.Secrets[account]; !ok {
			return ErrNotFound
		}
		delete(f.Secrets, account)
		return nil
	})
}

// Move moves the value of from to to in one atomic rewrite of the file (the ciphertext moves as it is).
func (v *Vault) Move(ctx context.Context, from, to string) error {
	if err := checkCall(ctx, from); err != nil {
		return err
	}
	if err := validAccount(to); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.update(ctx, false, func(f *vaultFile) error {
		ct, ok := f.Secrets[from]
		if !ok {
			return ErrNotFound
		}
		f.Secrets[to] = ct
		delete(f.Secrets, from)
		return nil
	})
}

// ChangePassphrase re-wraps the vault's identity with a new passphrase; the secrets stay as they are.
func (v *Vault) ChangePassphrase(ctx context.Context, newPass string) error {
	if newPass == "" {
		return &storeError{kind: ErrBadPassphrase, msg: "the vault passphrase must not be empty"}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.update(ctx, false, func(f *vaultFile) error {
		id, err := v.unwrap(f)
		if err != nil {
			return err
		}
		wrapped, err := v.wrap(id, newPass)
		if err != nil {
			return err
		}
		f.Identity = wrapped
		v.pass = newPass
		return nil
	})
}

// LegacyGet reads account from the legacy vault being taken over (its passphrase is this vault's).
func (v *Vault) LegacyGet(ctx context.Context, account string) (string, error) {
	if err := checkCall(ctx, account); err != nil {
		return "", err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	entries, err := v.loadLegacy()
	if err != nil {
		return "", err
	}
	s, ok := entries[account]
	if !ok {
		return "", ErrNotFound
	}
	return s, nil
}

// LegacyDelete removes accounts from the legacy vault, and the file itself once nothing is left in it (other
// databases of the folder may still have entries there).
func (v *Vault) LegacyDelete(ctx context.Context, accounts []string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.legacyPath == "" {
		return nil
	}
	unlock, err := lockPath(ctx, v.legacyPath+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	v.legacy = nil // re-read under the lock
	entries, err := v.loadLegacy()
	if err != nil {
		return err
	}
	left := maps.Clone(entries)
	for _, a := range accounts {
		delete(left, a)
	}
	if len(left) == len(entries) {
		return nil
	}
	if len(left) == 0 {
		if err := os.Remove(v.legacyPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return &storeError{kind: ErrUnavailable, cause: err, msg: "cannot remove the old vault: " + err.Error()}
		}
		return syncDir(filepath.Dir(v.legacyPath))
	}
	rcp, err := age.NewScryptRecipient(v.pass)
	if err != nil {
		return &storeError{kind: ErrBadPassphrase, cause: err, msg: "the vault passphrase must not be empty"}
	}
	rcp.SetWorkFactor(v.workFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcp)
	if err == nil {
		err = json.NewEncoder(w).Encode(legacyVaultFile{Version: 1, Secrets: left})
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return fmt.Errorf("re-encrypting the old vault: %w", err)
	}
	debug.FreeOSMemory()
	if err := writeFileAtomic(v.legacyPath, buf.Bytes()); err != nil {
		return &storeError{kind: ErrUnavailable, cause: err, msg: "cannot write the old vault: " + err.Error()}
	}
	v.legacy = left
	return nil
}

// load reads and parses the vault file; nil when it does not exist. Caller holds v.mu.
func (v *Vault) load() (*vaultFile, error) {
	if v.path == "" {
		return nil, &storeError{kind: ErrUnavailable, msg: "no vault file was configured"}
	}
	data, err := readLimited(v.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &storeError{kind: ErrUnavailable, cause: err, msg: "cannot read the secret vault: " + err.Error()}
	}
	return v.parse(data)
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, maxVaultFile+1))
}

// parse decodes a vault file, reusing the last parse while the bytes are unchanged. Caller holds v.mu.
func (v *Vault) parse(data []byte) (*vaultFile, error) {
	if v.lastFile != nil && bytes.Equal(data, v.lastData) {
		return v.lastFile, nil
	}
	if len(data) > maxVaultFile {
		return nil, v.corrupt("it is far larger than any patchbay vault", nil)
	}
	if bytes.HasPrefix(data, []byte("age-encryption.org/")) {
		return nil, v.corrupt("it is a vault of an earlier patchbay version, which only the database it belongs to takes over", nil)
	}
	var f vaultFile
	if err := json.Unmarshal(data, &f); err != nil || f.Format != vaultFormat {
		return nil, v.corrupt("it is not a patchbay vault", nil)
	}
	switch {
	case f.Version > vaultFormatVersion:
		return nil, v.corrupt(fmt.Sprintf("it was written by a newer patchbay (format %d, this one reads %d)",
			f.Version, vaultFormatVersion), nil)
	case f.Version < vaultFormatVersion:
		return nil, v.corrupt("it has no known format version", nil)
	}
	if _, err := age.ParseX25519Recipient(f.Recipient); err != nil || len(f.Identity) == 0 {
		return nil, v.corrupt("its recipient or identity is missing or damaged", nil)
	}
	if f.Secrets == nil {
		f.Secrets = map[string][]byte{}
	}
	v.lastData, v.lastFile = data, &f
	return &f, nil
}

// update runs a locked read-modify-write of the vault; create says a missing vault is created (else the
// change sees ErrNotFound). Caller holds v.mu.
func (v *Vault) update(ctx context.Context, create bool, change func(*vaultFile) error) error {
	if v.path == "" {
		return &storeError{kind: ErrUnavailable, msg: "no vault file was configured"}
	}
	if exists, err := fileExists(v.path); err == nil && !exists {
		if !create {
			return ErrNotFound
		}
		// The passphrase is obtained before the file lock is taken so that a slow prompt never blocks other
		// processes.
		pass, err := v.obtainPassphrase()
		if err != nil {
			return err
		}
		v.pass = pass
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

	data, err := readLimited(v.path)
	var f *vaultFile
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !create {
			return ErrNotFound
		}
		if f, err = v.create(); err != nil {
			return err
		}
	case err != nil:
		return &storeError{kind: ErrUnavailable, cause: err, msg: "cannot read the secret vault: " + err.Error()}
	default:
		cur, err := v.parse(data)
		if err != nil {
			return err
		}
		f = &vaultFile{Format: cur.Format, Version: cur.Version, Recipient: cur.Recipient, Identity: cur.Identity,
			Secrets: maps.Clone(cur.Secrets)}
	}
	if err := change(f); err != nil {
		return err
	}
	out, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encoding the secret vault: %w", err)
	}
	if err := writeFileAtomic(v.path, out); err != nil {
		return &storeError{kind: ErrUnavailable, cause: err, msg: "cannot write the secret vault: " + err.Error()}
	}
	v.lastData, v.lastFile = out, f
	return nil
}

// create makes a new identity wrapped with the passphrase chosen for the vault. Caller holds v.mu.
func (v *Vault) create() (*vaultFile, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("creating the vault's key: %w", err)
	}
	if v.pass == "" {
		if v.pass, err = v.obtainPassphrase(); err != nil {
			return nil, err
		}
	}
	wrapped, err := v.wrap(id, v.pass)
	if err != nil {
		return nil, err
	}
	v.identity = id
	return &vaultFile{Format: vaultFormat, Version: vaultFormatVersion, Recipient: id.Recipient().String(),
		Identity: wrapped, Secrets: map[string][]byte{}}, nil
}

// encryptTo encrypts secret to the vault's recipient. When this process has unwrapped the identity, the
// recipient must be its own: a file whose recipient was swapped would send new secrets elsewhere.
func (v *Vault) encryptTo(f *vaultFile, secret string) ([]byte, error) {
	rcp, err := age.ParseX25519Recipient(f.Recipient)
	if err != nil {
		return nil, v.corrupt("its recipient is damaged", err)
	}
	if v.identity != nil && v.identity.Recipient().String() != f.Recipient {
		v.identity = nil
		if _, err := v.unwrap(f); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcp)
	if err != nil {
		return nil, fmt.Errorf("encrypting the secret: %w", err)
	}
	if _, err := io.WriteString(w, secret); err != nil {
		return nil, fmt.Errorf("encrypting the secret: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encrypting the secret: %w", err)
	}
	return buf.Bytes(), nil
}

// wrap encrypts the identity with pass: the one scrypt derivation of creating a vault or changing its
// passphrase.
func (v *Vault) wrap(id *age.X25519Identity, pass string) ([]byte, error) {
	rcp, err := age.NewScryptRecipient(pass)
	if err != nil {
		return nil, &storeError{kind: ErrBadPassphrase, cause: err, msg: "the vault passphrase must not be empty"}
	}
	rcp.SetWorkFactor(v.workFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcp)
	if err == nil {
		_, err = io.WriteString(w, id.String())
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("protecting the vault's key: %w", err)
	}
	debug.FreeOSMemory() // give back scrypt's memory (256 MiB at the default work factor)
	return buf.Bytes(), nil
}

// unwrap returns the vault's identity, decrypting it with the passphrase the first time (one derivation per
// process). Caller holds v.mu.
func (v *Vault) unwrap(f *vaultFile) (*age.X25519Identity, error) {
	if v.identity != nil && v.identity.Recipient().String() == f.Recipient {
		return v.identity, nil
	}
	pass, err := v.obtainPassphrase()
	if err != nil {
		return nil, err
	}
	sid, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, &storeError{kind: ErrBadPassphrase, cause: err, msg: "the vault passphrase must not be empty"}
	}
	sid.SetMaxWorkFactor(max(ageMaxWorkFactor, v.workFactor))
	r, err := age.Decrypt(bytes.NewReader(f.Identity), sid)
	defer debug.FreeOSMemory() // give back scrypt's memory (256 MiB at the default work factor)
	if err != nil {
		return nil, v.decryptError(err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return nil, v.corrupt("its key is damaged", err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(plain)))
	if err != nil || id.Recipient().String() != f.Recipient {
		return nil, v.corrupt("its key does not match its recipient", nil)
	}
	v.pass, v.identity = pass, id
	return id, nil
}

func (v *Vault) decryptError(err error) error {
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) && slices.Contains(noMatch.StanzaTypes, "scrypt") {
		// Forget a remembered passphrase that stopped working (the vault was re-created meanwhile) so the
		// next call asks again.
		v.pass = ""
		return &storeError{kind: ErrBadPassphrase, msg: fmt.Sprintf("the vault passphrase is wrong: it "+
			"does not open %s (if it comes from %s, check that variable); nothing was changed",
			v.path, VaultPassphraseEnv)}
	}
	return v.corrupt("it is not a passphrase-protected patchbay vault", err)
}

// loadLegacy decrypts the legacy vault (one derivation, then cached). A missing file holds nothing.
// Caller holds v.mu.
func (v *Vault) loadLegacy() (map[string]string, error) {
	if v.legacy != nil {
		return v.legacy, nil
	}
	if v.legacyPath == "" {
		return map[string]string{}, nil
	}
	data, err := readLimited(v.legacyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, &storeError{kind: ErrUnavailable, cause: err, msg: "cannot read the old vault: " + err.Error()}
	}
	pass, err := v.obtainPassphrase()
	if err != nil {
		return nil, err
	}
	sid, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, &storeError{kind: ErrBadPassphrase, cause: err, msg: "the vault passphrase must not be empty"}
	}
	sid.SetMaxWorkFactor(max(ageMaxWorkFactor, v.workFactor))
	r, err := age.Decrypt(bytes.NewReader(data), sid)
	defer debug.FreeOSMemory()
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) && slices.Contains(noMatch.StanzaTypes, "scrypt") {
			return nil, &storeError{kind: ErrBadPassphrase, msg: fmt.Sprintf("the vault passphrase is wrong: it "+
				"does not open %s, which holds this database's secrets (if it comes from %s, check that "+
				"variable); nothing was changed", v.legacyPath, VaultPassphraseEnv)}
		}
		return nil, &storeError{kind: ErrCorrupt, cause: err, msg: "cannot use the old vault " + v.legacyPath + ": " + err.Error()}
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxVaultFile))
	var f legacyVaultFile
	if err == nil {
		err = json.Unmarshal(plain, &f)
	}
	if err != nil || f.Version != 1 {
		return nil, &storeError{kind: ErrCorrupt, cause: err, msg: "cannot use the old vault " + v.legacyPath +
			": its content is not a patchbay vault"}
	}
	if f.Secrets == nil {
		f.Secrets = map[string]string{}
	}
	v.pass, v.legacy = pass, f.Secrets
	return f.Secrets, nil
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

func (v *Vault) corrupt(why string, cause error) error {
	msg := fmt.Sprintf("cannot use the secret vault %s: %s", v.path, why)
	if cause != nil {
		// age's errors describe the file's structure, never its plaintext.
		msg += " (" + cause.Error() + ")"
	}
	return &storeError{kind: ErrCorrupt, cause: cause, msg: msg}
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
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return nil, &storeError{kind: ErrUnavailable, cause: err, msg: "cannot lock the secret vault: " + err.Error()}
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, &storeError{kind: ErrUnavailable, cause: err, msg: "cannot lock the secret vault: " + path + " is not a regular file"}
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
