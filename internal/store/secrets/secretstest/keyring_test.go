//go:build unix

package secretstest

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"
)

func TestPrivateKeyringLeavesNothingBehind(t *testing.T) {
	before := os.Getenv(busAddressEnv)
	var pids []int
	var dir string
	t.Run("session", func(t *testing.T) {
		s := PrivateKeyring(t)
		if got := os.Getenv(busAddressEnv); got != s.Address || !strings.HasPrefix(got, "unix:path=") {
			t.Fatalf("%s = %q, want the private bus %q", busAddressEnv, got, s.Address)
		}
		conn, err := dbus.Connect(s.Address)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := loginUnlocked(conn); err != nil {
			t.Fatalf("private keyring not ready: %v", err)
		}
		for _, d := range s.daemon {
			pids = append(pids, d.cmd.Process.Pid)
		}
		dir = s.dir
	})
	if len(pids) != 2 {
		t.Fatalf("started %d daemons, want dbus-daemon and gnome-keyring-daemon", len(pids))
	}
	for _, pid := range pids {
		// The daemons were reaped, so their pids no longer exist.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("daemon %d still exists after the test: %v", pid, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("session directory %s left behind: %v", dir, err)
	}
	if got := os.Getenv(busAddressEnv); got != before {
		t.Errorf("%s = %q after the test, want it restored to %q", busAddressEnv, got, before)
	}
}

// Back-to-back sessions in one process each get a working keyring, despite godbus's shared connection.
func TestPrivateKeyringTwiceInOneProcess(t *testing.T) {
	for i := range 2 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := PrivateKeyring(t)
			conn, err := dbus.SessionBus()
			if err != nil {
				t.Fatal(err)
			}
			var owned bool
			if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil || !owned {
				t.Fatalf("shared connection does not see the Secret Service of %s: owned=%v err=%v", s.Address, owned, err)
			}
		})
	}
}

// recordingTB stops like testing.T on Skip and Fatal, but records which one happened.
type recordingTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestMissingProgramsSkipOrFail(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing to run in there
	for _, require := range []string{"", "1"} {
		t.Run("require="+require, func(t *testing.T) {
			t.Setenv(RequireEnv, require)
			r := &recordingTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				PrivateKeyring(r)
			}()
			<-done
			if require == "1" && !r.failed || require == "" && !r.skipped {
				t.Fatalf("skipped=%v failed=%v, want %s", r.skipped, r.failed, map[string]string{"": "a skip", "1": "a failure"}[require])
			}
			if !strings.Contains(r.msg, "dbus-daemon") || !strings.Contains(r.msg, RequireEnv) {
				t.Fatalf("message %q should name the missing program and %s", r.msg, RequireEnv)
			}
		})
	}
	if ok, why := Available(); ok || !strings.Contains(why, "not installed") {
		t.Fatalf("Available() = %v, %q with an empty PATH", ok, why)
	}
}
