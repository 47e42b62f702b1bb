package secrets

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"github.com/patchbay/patchbay/internal/store/secrets/secretstest"
)

func TestKeyringContract(t *testing.T) {
	secretstest.PrivateKeyring(t)
	testContract(t, func(*testing.T) Store { return NewKeyring(Options{DatabaseID: testDatabaseID}) })

	// What other tools see in the keyring: service "patchbay", user = DBID/account, attributes for the
	// database, profile, integration and key, and a label a person can read.
	t.Run("entry shape", func(t *testing.T) {
		k := NewKeyring(Options{DatabaseID: testDatabaseID})
		a := Account("shape", "vetty-chattr", "api_key")
		mustSet(t, k, a, "vk_shape")
		got, err := keyring.Get(Service, testDatabaseID+"/"+a)
		if err != nil || got != "vk_shape" {
			t.Fatalf("go-keyring Get(%q, %q) = %q, %v; want the secret", Service, testDatabaseID+"/"+a, got, err)
		}
		if _, err := keyring.Get(Service, a); err == nil {
			t.Fatal("the entry is also reachable without the database identity")
		}
		if tool, err := exec.LookPath("secret-tool"); err == nil {
			out, err := exec.Command(tool, "search", "--all", "service", Service, "database", testDatabaseID,
				"profile", "shape", "integration", "vetty-chattr", "key", "api_key").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "label = patchbay shape/vetty-chattr/api_key") {
				t.Fatalf("secret-tool search: %v\n%s", err, out)
			}
		}
		if err := k.Delete(t.Context(), a); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	})
}

func TestKeyringBackend(t *testing.T) {
	info := NewKeyring(Options{DatabaseID: testDatabaseID}).Backend()
	if info.Name != BackendKeyring || !strings.Contains(info.Detail, `service "patchbay"`) {
		t.Fatalf("Backend() = %+v", info)
	}
}

// TestKeyringLocked: a keyring that cannot be unlocked from this session answers with ErrLocked at once.
func TestKeyringLocked(t *testing.T) {
	secretstest.LockedKeyring(t)
	k := NewKeyring(Options{DatabaseID: testDatabaseID, Timeout: 10 * time.Second})
	a := Account("locked", "vetty-chattr", "api_key")
	err := k.Set(t.Context(), a, "vk_locked_secret")
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Set on a locked keyring: err = %v, want ErrLocked", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "unlock it") || !strings.Contains(msg, "--secrets vault") ||
		strings.Contains(msg, "vk_locked_secret") {
		t.Fatalf("message %q should say what to do and never show the secret", msg)
	}
	if _, err := k.Get(t.Context(), a); !errors.Is(err, ErrLocked) {
		t.Fatalf("Get on a locked keyring: err = %v, want ErrLocked", err)
	}
}

// The no-keyring cases run with a timeout far above any plausible answer time: a wrong mapping or a hang shows
// up as ErrTimeout rather than as a flaky timing assertion. The measured latency is logged.
func TestKeyringUnavailable(t *testing.T) {
	noBusFile := func() bool {
		u, err := user.Current()
		if err != nil {
			return true
		}
		for _, name := range []string{"bus", "dbus-session"} {
			if _, err := os.Stat(filepath.Join("/run/user", u.Uid, name)); err == nil {
				return false
			}
		}
		return true
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T)
		wantMsg string
	}{
		{
			name:    "bus address points nowhere",
			setup:   func(t *testing.T) { t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent") },
			wantMsg: "cannot connect to the D-Bus session bus",
		},
		{
			name: "no bus address at all",
			setup: func(t *testing.T) {
				if !noBusFile() {
					t.Skip("this machine has a session bus in /run/user, which godbus would find")
				}
				t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
			},
			wantMsg: "there is no D-Bus session bus",
		},
		{
			name:    "bus without a Secret Service",
			setup:   func(t *testing.T) { secretstest.PrivateBus(t) },
			wantMsg: "no Secret Service",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			k := NewKeyring(Options{DatabaseID: testDatabaseID, Timeout: 20 * time.Second})
			a := Account("unavailable", "vetty-chattr", "api_key")
			start := time.Now()
			err := k.Set(t.Context(), a, "vk_unavailable_secret")
			t.Logf("ErrUnavailable after %v", time.Since(start))
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Set: err = %v, want ErrUnavailable", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantMsg) || !strings.Contains(msg, "--secrets vault") {
				t.Fatalf("message %q should contain %q and suggest the vault", msg, tt.wantMsg)
			}
			if strings.Contains(msg, "vk_unavailable_secret") {
				t.Fatalf("message %q shows the secret", msg)
			}
			for name, err := range map[string]error{"Get": probeGet(k, a), "Delete": k.Delete(t.Context(), a),
				"Probe": Probe(t.Context(), k)} {
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("%s: err = %v, want ErrUnavailable", name, err)
				}
			}
		})
	}
}

func probeGet(s Store, account string) error {
	_, err := s.Get(context.Background(), account)
	return err
}

// fakeOS stands in for go-keyring. When gate is set every call waits for it to close first.
type fakeOS struct {
	gate chan struct{}

	mu      sync.Mutex
	entries map[string]string
	calls   []string
	err     error
	panics  bool
}

func newFakeOS() *fakeOS { return &fakeOS{entries: map[string]string{}} }

func (f *fakeOS) wait(call string) error {
	if f.gate != nil {
		<-f.gate
	}
	if f.panics {
		panic("interface conversion: interface {} is nil, not bool")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.err
}

func (f *fakeOS) Set(service, user, password string) error {
	if err := f.wait("set " + user + "=" + password); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries[service+"\x00"+user] = password
	return nil
}

func (f *fakeOS) Get(service, user string) (string, error) {
	if err := f.wait("get " + user); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.entries[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeOS) Delete(service, user string) error {
	if err := f.wait("delete " + user); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.entries[service+"\x00"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.entries, service+"\x00"+user)
	return nil
}

func (f *fakeOS) List(service, prefix string) ([]string, error) {
	if err := f.wait("list " + prefix); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for k := range f.entries {
		if svc, user, _ := strings.Cut(k, "\x00"); svc == service && strings.HasPrefix(user, prefix) {
			out = append(out, user)
		}
	}
	return out, nil
}

func (f *fakeOS) history() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// stuckOS returns a fake whose calls block until the test ends, like a keyring waiting on an unlock prompt.
func stuckOS(t *testing.T) *fakeOS {
	f := newFakeOS()
	f.gate = make(chan struct{})
	t.Cleanup(func() { close(f.gate) })
	return f
}

func TestKeyringTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	tests := []struct {
		name    string
		call    func(k *Keyring) error
		wantMsg []string
	}{
		{"get", func(k *Keyring) error { return probeGet(k, Account("p", "vetty-chattr", "api_key")) },
			[]string{"did not answer within 50ms", "locked", "unlock it or use the encrypted vault (--secrets vault)"}},
		{"set", func(k *Keyring) error {
			return k.Set(context.Background(), Account("p", "vetty-chattr", "api_key"), "vk_timeout_secret")
		}, []string{"did not answer within 50ms", "not confirmed as saved"}},
		{"delete", func(k *Keyring) error { return k.Delete(context.Background(), Account("p", "vetty-chattr", "api_key")) },
			[]string{"did not answer within 50ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKeyring(Options{DatabaseID: testDatabaseID, Timeout: timeout}, stuckOS(t))
			start := time.Now()
			err := tt.call(k)
			elapsed := time.Since(start)
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
			// The fake never answers, so any return at all came from the timer; the upper bound only catches
			// a timer that is ignored, and is loose enough for a loaded machine.
			if elapsed < timeout || elapsed > timeout+5*time.Second {
				t.Fatalf("returned after %v, want about %v", elapsed, timeout)
			}
			for _, want := range tt.wantMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "vk_timeout_secret") {
				t.Errorf("message %q shows the secret", err)
			}
		})
	}
}

// A Set that timed out and completes later must not overwrite a newer value: calls stay in order.
func TestKeyringTimedOutSetCannotOverwriteLaterSet(t *testing.T) {
	f := newFakeOS()
	f.gate = make(chan struct{})
	k := newKeyring(Options{DatabaseID: testDatabaseID, Timeout: 30 * time.Millisecond}, f)
	a := Account("order", "vetty-chattr", "api_key")

	if err := k.Set(t.Context(), a, "first"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("first Set: err = %v, want ErrTimeout", err)
	}
	// While the first call is still stuck, later calls queue behind it and time out too.
	if _, err := k.Get(t.Context(), a); !errors.Is(err, ErrTimeout) ||
		!strings.Contains(err.Error(), "an earlier keyring request is still waiting") {
		t.Fatalf("Get behind a stuck call: err = %v, want ErrTimeout saying why", err)
	}

	k2 := newKeyring(Options{DatabaseID: testDatabaseID, Timeout: 10 * time.Second}, f)
	k2.slot = k.slot // the same queue, with a timeout long enough to outlive the release below
	second := make(chan error, 1)
	go func() { second <- k2.Set(context.Background(), a, "second") }()
	time.Sleep(20 * time.Millisecond) // let the second Set queue up
	close(f.gate)                     // the keyring wakes up: the abandoned first Set finishes, then the second runs
	if err := <-second; err != nil {
		t.Fatalf("second Set: %v", err)
	}
	if got := mustGet(t, k2, a); got != "second" {
		t.Fatalf("stored %q, want the newer value", got)
	}
	h := f.history()
	user := scopedUser(testDatabaseID, a)
	if len(h) < 2 || h[0] != "set "+user+"=first" || h[1] != "set "+user+"=second" {
		t.Fatalf("keyring saw %v, want the first Set before the second", h)
	}
}

// Every OS Keyring in the process queues on one slot: the OS keyring is process-wide.
func TestKeyringsShareTheOSQueue(t *testing.T) {
	if NewKeyring(Options{DatabaseID: testDatabaseID}).slot != NewKeyring(Options{DatabaseID: testDatabaseID, Timeout: time.Second}).slot {
		t.Fatal("two OS keyrings have separate queues; a late call from one could overwrite the other's write")
	}
}

func TestKeyringContextCancel(t *testing.T) {
	k := newKeyring(Options{DatabaseID: testDatabaseID, Timeout: time.Minute}, stuckOS(t))
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := k.Get(ctx, Account("p", "vetty-chattr", "api_key"))
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestKeyringLibraryPanicIsAnError(t *testing.T) {
	f := newFakeOS()
	f.panics = true
	k := newKeyring(Options{DatabaseID: testDatabaseID}, f)
	if _, err := k.Get(t.Context(), Account("p", "vetty-chattr", "api_key")); err == nil {
		t.Fatal("Get: want an error from a panicking keyring library")
	}
	// The slot was given back: the next call is not stuck behind the panicked one.
	f.panics = false
	if _, err := k.Get(t.Context(), Account("p", "vetty-chattr", "api_key")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after a panic: err = %v, want ErrNotFound", err)
	}
}

func TestKeyringErrorMapping(t *testing.T) {
	const secret = "vk_live_SECRET_value"
	tests := []struct {
		name    string
		err     error
		want    error // nil: no sentinel
		wantMsg string
	}{
		{"not found", keyring.ErrNotFound, ErrNotFound, "not found"},
		{"no bus", &noSessionBusError{reason: "there is no D-Bus session bus"}, ErrUnavailable, "no D-Bus session bus"},
		{"dial", &net.OpError{Op: "dial", Net: "unix", Err: os.ErrNotExist}, ErrUnavailable, "cannot connect"},
		{"auth", errors.New("dbus: authentication failed"), ErrUnavailable, "cannot connect"},
		{"closed", dbus.ErrClosed, ErrUnavailable, "cannot connect"},
		{"service unknown", dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown",
			Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}},
			ErrUnavailable, "no Secret Service"},
		{"activation failed", dbus.Error{Name: "org.freedesktop.DBus.Error.Spawn.ChildExited", Body: []any{"exited 1"}},
			ErrUnavailable, "could not be started"},
		{"no reply", dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply", Body: []any{"no reply"}}, ErrTimeout, "did not reply"},
		{"prompt dismissed", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'"),
			ErrLocked, "locked"},
		{"is locked", dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked", Body: []any{"locked"}}, ErrLocked, "locked"},
		{"unsupported platform", keyring.ErrUnsupportedPlatform, ErrUnavailable, "not supported"},
		{"too big", keyring.ErrSetDataTooBig, ErrUnavailable, "too long"},
		{"other, echoing the secret", errors.New("odd failure storing " + secret), nil, "could not save the secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOS()
			f.err = tt.err
			k := newKeyring(Options{DatabaseID: testDatabaseID}, f)
			err := k.Set(t.Context(), Account("p", "vetty-chattr", "api_key"), secret)
			if err == nil {
				t.Fatal("Set: want an error")
			}
			for _, s := range []error{ErrNotFound, ErrUnavailable, ErrTimeout, ErrLocked} {
				if errors.Is(err, s) != (s == tt.want) {
					t.Errorf("errors.Is(%q, %v) = %v, want %v", err, s, !(s == tt.want), s == tt.want)
				}
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message %q lacks %q", err, tt.wantMsg)
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), secret) {
					t.Fatalf("error chain shows the secret: %q", e)
				}
			}
		})
	}
}

// BenchmarkKeyringPrivate measures each operation against a real (private) gnome-keyring.
func BenchmarkKeyringPrivate(b *testing.B) {
	secretstest.PrivateKeyring(b)
	k := NewKeyring(Options{DatabaseID: testDatabaseID})
	ctx := context.Background()
	a := Account("bench", "vetty-chattr", "api_key")
	b.Run("Set", func(b *testing.B) {
		for b.Loop() {
			if err := k.Set(ctx, a, "vk_bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get", func(b *testing.B) {
		for b.Loop() {
			if _, err := k.Get(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetMissing", func(b *testing.B) {
		for b.Loop() {
			if err := Probe(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SetDelete", func(b *testing.B) {
		for b.Loop() {
			if err := k.Set(ctx, a, "vk_bench"); err != nil {
				b.Fatal(err)
			}
			if err := k.Delete(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkKeyringUnavailable measures how fast a missing Secret Service is reported.
func BenchmarkKeyringUnavailable(b *testing.B) {
	b.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	k := NewKeyring(Options{DatabaseID: testDatabaseID})
	ctx := context.Background()
	a := Account("bench", "vetty-chattr", "api_key")
	for b.Loop() {
		if _, err := k.Get(ctx, a); !errors.Is(err, ErrUnavailable) {
			b.Fatal(err)
		}
	}
}

// testDatabaseID is the database identity keyring tests file their entries under.
const testDatabaseID = "0123456789abcdef0123456789abcdef"
