// Package secretstest runs tests against a real OS keyring without touching the developer's own: it starts a
// private D-Bus session bus and a gnome-keyring Secret Service on it, with a throwaway home directory, and
// points the test process at that bus.
package secretstest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// RequireEnv, set to "1", turns "keyring programs not installed" from a skip into a failure, so CI that is
// supposed to exercise the real keyring cannot silently stop doing so.
const RequireEnv = "PATCHBAY_REQUIRE_KEYRING"

const (
	busAddressEnv    = "DBUS_SESSION_BUS_ADDRESS"
	secretsName      = "org.freedesktop.secrets"
	secretsPath      = "/org/freedesktop/secrets"
	loginCollection  = "/org/freedesktop/secrets/collection/login"
	startupDeadline  = 15 * time.Second
	shutdownDeadline = 5 * time.Second
)

// Session is a private D-Bus session started for one test.
type Session struct {
	// Address is the bus address the process now uses (DBUS_SESSION_BUS_ADDRESS).
	Address string
	// Password unlocks the private login keyring (empty for PrivateBus).
	Password string

	dir    string
	daemon []*daemon // started in order, stopped in reverse
}

// PrivateKeyring starts a private session bus with an unlocked gnome-keyring on it and points this process at
// it (DBUS_SESSION_BUS_ADDRESS), so secrets.NewKeyring talks to it. Everything is stopped and removed when the
// test ends, and the environment restored. It uses t.Setenv, so the test must not call t.Parallel.
//
// Without dbus-daemon and gnome-keyring-daemon the test is skipped, or fails when RequireEnv is "1".
func PrivateKeyring(t testing.TB) *Session {
	t.Helper()
	s := newSession(t, "dbus-daemon", "gnome-keyring-daemon")
	s.Password = "patchbay-test-login"
	s.startKeyring(t)
	s.waitReady(t, loginUnlocked)
	return s
}

// LockedKeyring is PrivateKeyring with a keyring that stays locked: no login keyring has been unlocked and no
// prompter can be shown on the private bus, so every unlock attempt fails at once. It stands for a keyring
// that the admin has locked and cannot unlock from this session.
func LockedKeyring(t testing.TB) *Session {
	t.Helper()
	s := newSession(t, "dbus-daemon", "gnome-keyring-daemon")
	s.startKeyring(t)
	s.waitReady(t, serviceOnBus)
	return s
}

// PrivateBus starts a private session bus with no Secret Service on it and points this process at it: the
// situation of a server that has D-Bus but no keyring. Same rules as PrivateKeyring.
func PrivateBus(t testing.TB) *Session {
	t.Helper()
	return newSession(t, "dbus-daemon")
}

// Available reports whether the programs PrivateKeyring needs are installed, and if not, why.
func Available() (bool, string) {
	for _, prog := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(prog); err != nil {
			return false, prog + " is not installed"
		}
	}
	return true, ""
}

func newSession(t testing.TB, programs ...string) *Session {
	t.Helper()
	for _, prog := range programs {
		if _, err := exec.LookPath(prog); err != nil {
			msg := fmt.Sprintf("real keyring test needs %s (from the dbus / gnome-keyring packages): %v", prog, err)
			if os.Getenv(RequireEnv) == "1" {
				t.Fatalf("%s; %s=1 requires it", msg, RequireEnv)
			}
			t.Skipf("%s; skipping (set %s=1 to make this a failure)", msg, RequireEnv)
		}
	}
	// Registers the restore of the caller's value (and refuses parallel tests) before our cleanup, so that
	// cleanup still sees the private address while it shuts the bus down.
	t.Setenv(busAddressEnv, os.Getenv(busAddressEnv))

	// Unix socket paths are limited to ~108 bytes and t.TempDir() paths grow with the test's name.
	dir, err := os.MkdirTemp(shortTempRoot(), "pbkr-")
	if err != nil {
		t.Fatalf("private keyring: %v", err)
	}
	s := &Session{dir: dir}
	t.Cleanup(func() { s.stop(t) })

	for _, sub := range []string{"home", "data", "config", "cache", "run"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatalf("private keyring: %v", err)
		}
	}
	s.startBus(t)
	if err := os.Setenv(busAddressEnv, s.Address); err != nil {
		t.Fatalf("private keyring: %v", err)
	}
	return s
}

func shortTempRoot() string {
	if d := os.TempDir(); len(d) <= 40 {
		return d
	}
	return "/tmp"
}

// busConfig is a session bus that allows everything but has no service directories: nothing can be
// auto-started on it, so the user's own gnome-keyring (or any prompter) can never be activated by a test.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func (s *Session) startBus(t testing.TB) {
	t.Helper()
	conf := filepath.Join(s.dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, s.dir), 0o600); err != nil {
		t.Fatalf("private keyring: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("private keyring: %v", err)
	}
	defer r.Close()
	// The bus writes its address on fd 3, a pipe only we hold, then stays in the foreground as our child.
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=3")
	cmd.ExtraFiles = []*os.File{w}
	d, err := s.start(cmd, "dbus-daemon")
	w.Close()
	if err != nil {
		t.Fatalf("private keyring: %v", err)
	}
	_ = r.SetReadDeadline(time.Now().Add(startupDeadline))
	line, err := bufio.NewReader(r).ReadString('\n')
	addr := strings.TrimSpace(line)
	if err != nil || addr == "" {
		t.Fatalf("private keyring: dbus-daemon gave no address: %v%s", err, d.output())
	}
	s.Address = addr
}

func (s *Session) startKeyring(t testing.TB) {
	t.Helper()
	args := []string{"--foreground", "--components=secrets", "--control-directory=" + filepath.Join(s.dir, "run", "keyring")}
	if s.Password != "" {
		// The login keyring is created in the throwaway home with Password, read from stdin.
		args = append(args, "--unlock")
	}
	cmd := exec.Command("gnome-keyring-daemon", args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"LANG=C",
		"HOME=" + filepath.Join(s.dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(s.dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(s.dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(s.dir, "cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(s.dir, "run"),
		busAddressEnv + "=" + s.Address,
	}
	cmd.Stdin = strings.NewReader(s.Password)
	if _, err := s.start(cmd, "gnome-keyring-daemon"); err != nil {
		t.Fatalf("private keyring: %v", err)
	}
}

// waitReady polls ready until it succeeds: the Secret Service is on the bus (and, for PrivateKeyring, its login
// collection, which go-keyring looks for first, is unlocked).
func (s *Session) waitReady(t testing.TB, ready func(*dbus.Conn) error) {
	t.Helper()
	conn, err := dbus.Connect(s.Address)
	if err != nil {
		t.Fatalf("private keyring: connecting to the private bus: %v", err)
	}
	defer conn.Close()
	keyringDaemon := s.daemon[len(s.daemon)-1]
	deadline := time.Now().Add(startupDeadline)
	var last error
	for time.Now().Before(deadline) {
		if keyringDaemon.hasExited() {
			t.Fatalf("private keyring: gnome-keyring-daemon exited early%s", keyringDaemon.output())
		}
		if last = ready(conn); last == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("private keyring: the Secret Service did not become ready within %s: %v", startupDeadline, last)
}

func serviceOnBus(conn *dbus.Conn) error {
	_, err := conn.Object(secretsName, secretsPath).GetProperty("org.freedesktop.Secret.Service.Collections")
	return err
}

func loginUnlocked(conn *dbus.Conn) error {
	v, err := conn.Object(secretsName, secretsPath).GetProperty("org.freedesktop.Secret.Service.Collections")
	if err != nil {
		return err
	}
	paths, _ := v.Value().([]dbus.ObjectPath)
	if !slices.Contains(paths, dbus.ObjectPath(loginCollection)) {
		return fmt.Errorf("no login collection yet (have %v)", paths)
	}
	locked, err := conn.Object(secretsName, loginCollection).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return err
	}
	if l, _ := locked.Value().(bool); l {
		return errors.New("login collection is still locked")
	}
	return nil
}

// stop ends the daemons (newest first), waits until go-keyring's shared connection has noticed, and removes
// the session's files.
func (s *Session) stop(t testing.TB) {
	for i := len(s.daemon) - 1; i >= 0; i-- {
		if err := s.daemon[i].stop(); err != nil {
			t.Errorf("private keyring: %v", err)
		}
	}
	if s.Address != "" {
		waitSharedBusGone()
	}
	if err := os.RemoveAll(s.dir); err != nil {
		t.Errorf("private keyring: %v", err)
	}
}

// waitSharedBusGone: go-keyring uses godbus's process-wide shared session connection, which reconnects only
// once it has seen its bus close. Wait for that, so the next test's private bus is not shadowed by a stale
// connection. With DBUS_SESSION_BUS_ADDRESS still naming the dead bus, a reconnect attempt fails at once.
func waitSharedBusGone() {
	deadline := time.Now().Add(shutdownDeadline)
	for time.Now().Before(deadline) {
		if _, err := dbus.SessionBus(); err != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// daemon is one child process we started and must stop.
type daemon struct {
	name   string
	cmd    *exec.Cmd
	out    *bytes.Buffer // stdout+stderr; read only after exited is closed
	exited chan struct{}
}

func (s *Session) start(cmd *exec.Cmd, name string) (*daemon, error) {
	d := &daemon{name: name, cmd: cmd, out: &bytes.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout = d.out
	cmd.Stderr = d.out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	s.daemon = append(s.daemon, d)
	go func() {
		_ = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

func (d *daemon) hasExited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// output is the daemon's own words, for failure messages, once it has exited.
func (d *daemon) output() string {
	if !d.hasExited() {
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	if out := strings.TrimSpace(d.out.String()); out != "" {
		return "\n" + d.name + " said:\n" + out
	}
	return ""
}

// stop asks the daemon to end, then kills it if it does not, and reaps it either way.
func (d *daemon) stop() error {
	if d.hasExited() {
		return nil
	}
	_ = d.cmd.Process.Signal(terminate)
	select {
	case <-d.exited:
		return nil
	case <-time.After(shutdownDeadline):
	}
	_ = d.cmd.Process.Kill()
	select {
	case <-d.exited:
		return fmt.Errorf("%s ignored SIGTERM and was killed", d.name)
	case <-time.After(shutdownDeadline):
		return fmt.Errorf("%s (pid %d) could not be stopped", d.name, d.cmd.Process.Pid)
	}
}

var terminate os.Signal = syscall.SIGTERM
