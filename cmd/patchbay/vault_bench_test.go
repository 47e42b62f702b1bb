//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/store/secrets/secretstest"
)

const benchVaultPW = "bench vault passphrase words"

// secretsBench is one release binary, the stand-ins, and two databases set
// up alike: one keeping its secrets in a private keyring, one in a vault at
// the release work factor.
type secretsBench struct {
	b       *testing.B
	bin     string
	srv     *standin.Servers
	keyring string // database paths
	vault   string
}

func newSecretsBench(b *testing.B, latency time.Duration) *secretsBench {
	secretstest.PrivateKeyring(b)
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	dir := b.TempDir()
	s := &secretsBench{b: b, bin: releaseBinary(b), srv: srv,
		keyring: filepath.Join(dir, "keyring", "patchbay.db"), vault: filepath.Join(dir, "vault", "patchbay.db")}
	for _, db := range []string{s.keyring, s.vault} {
		backend := map[bool]string{true: "vault", false: "keyring"}[db == s.vault]
		s.mustRun(db, "lever-key-bench-0000-0000", "--secrets", backend, "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
		s.mustRun(db, "bench-signing-token-00000000", "run", "certn-lever/lever-signing-token", "--set", "signing_token=@-")
		s.mustRun(db, "vetty-key-bench-0000-0000", "run", "vetty-chattr/vetty-key", "--set", "user=ops@acme.test", "--set", "expiry_months=24", "--set", "api_key=@-")
	}
	srv.SetLatency(latency)
	return s
}

// env is the process environment for db: the private keyring's bus for the
// keyring database, no bus at all and the passphrase for the vault one.
func (s *secretsBench) env(db string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Dir(db)}
	if db == s.vault {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(filepath.Dir(db), "no-bus"),
			secrets.VaultPassphraseEnv+"="+benchVaultPW)
	} else {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS="+os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	}
	return append(env, s.srv.Env()...)
}

// run runs the binary once and returns its wall time, peak RSS (MiB) and
// CPU time (user + system), which the machine's load does not inflate.
func (s *secretsBench) run(db, stdin string, args ...string) (time.Duration, float64, time.Duration) {
	cmd := exec.Command(s.bin, append([]string{"--db", db}, args...)...)
	cmd.Env = s.env(db)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	code := 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			s.b.Fatalf("%v: %v", args, err)
		}
	}
	if code != 0 {
		s.b.Fatalf("%v on %s: exit %d\n%s", args, db, code, out.String())
	}
	rss := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return took, rss, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func (s *secretsBench) mustRun(db, stdin string, args ...string) {
	s.run(db, stdin, args...)
}

// BenchmarkNewSecretStepProcess: one process of the real (release) binary
// running the step that stores a new Lever key (`run certn-lever/lever-key`
// with a new value each time), on a vault at the release work factor and
// on the keyring, alternately. Reported: each one's median wall time and
// their ratio, median CPU time (user + system: on a loaded machine the
// wall time mostly measures waiting for a core), and median peak RSS.
func BenchmarkNewSecretStepProcess(b *testing.B) {
	s := newSecretsBench(b, 0)
	var vt, kt, vc, kc []time.Duration
	var vr, kr []float64
	i := 0
	for b.Loop() {
		i++
		key := fmt.Sprintf("lever-key-new-%04d-0000", i)
		d, rss, cpu := s.run(s.vault, key, "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
		vt, vr, vc = append(vt, d), append(vr, rss), append(vc, cpu)
		d, rss, cpu = s.run(s.keyring, key, "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
		kt, kr, kc = append(kt, d), append(kr, rss), append(kc, cpu)
	}
	b.ReportMetric(ms(median(vt)), "ms-median-vault")
	b.ReportMetric(ms(median(kt)), "ms-median-keyring")
	b.ReportMetric(float64(median(vt))/float64(median(kt)), "ratio")
	b.ReportMetric(ms(median(vc)), "cpu-ms-median-vault")
	b.ReportMetric(ms(median(kc)), "cpu-ms-median-keyring")
	b.ReportMetric(medianFloat(vr), "peak-MiB-vault")
	b.ReportMetric(medianFloat(kr), "peak-MiB-keyring")
}

// BenchmarkStatusLive300msProcess: one process of `status --live --json`
// with every stand-in answer delayed 300 ms, on the vault and on the
// keyring database alternately (each with the Lever key, the signing
// token and the Vetty key stored). Reported as above.
func BenchmarkStatusLive300msProcess(b *testing.B) {
	s := newSecretsBench(b, 300*time.Millisecond)
	var vt, kt, vc, kc []time.Duration
	var vr, kr []float64
	for b.Loop() {
		d, rss, cpu := s.run(s.vault, "", "status", "--live", "--json")
		vt, vr, vc = append(vt, d), append(vr, rss), append(vc, cpu)
		d, rss, cpu = s.run(s.keyring, "", "status", "--live", "--json")
		kt, kr, kc = append(kt, d), append(kr, rss), append(kc, cpu)
	}
	b.ReportMetric(ms(median(vt)), "ms-median-vault")
	b.ReportMetric(ms(median(kt)), "ms-median-keyring")
	b.ReportMetric(float64(median(vt))/float64(median(kt)), "ratio")
	b.ReportMetric(ms(median(vc)), "cpu-ms-median-vault")
	b.ReportMetric(ms(median(kc)), "cpu-ms-median-keyring")
	b.ReportMetric(medianFloat(vr), "peak-MiB-vault")
	b.ReportMetric(medianFloat(kr), "peak-MiB-keyring")
}

// BenchmarkDashboardVaultRSSAfterThreeRefreshes: the dashboard of the real
// binary on a vault profile (release work factor) in a terminal; after its
// first refresh at start, r three times, each waited for; then the
// process's resident memory (VmRSS) and its peak (VmHWM, the unlock's
// scrypt included). Reported: medians over the runs.
func BenchmarkDashboardVaultRSSAfterThreeRefreshes(b *testing.B) {
	s := newSecretsBench(b, 100*time.Millisecond)
	var rss, hwm []float64
	for b.Loop() {
		var env []string
		for _, kv := range s.env(s.vault) {
			env = append(env, "'"+strings.ReplaceAll(kv, "'", `'\''`)+"'")
		}
		term := newTerminal(b, "exec env -i "+strings.Join(env, " ")+" "+s.bin+" --db "+s.vault+" dashboard")
		term.waitFor("last run")
		for range 3 {
			term.keys("r")
			term.waitFor("checking")
			term.waitFor("last run")
		}
		pid := strings.TrimSpace(term.tmux("list-panes", "-F", "#{pane_pid}"))
		status, err := os.ReadFile("/proc/" + pid + "/status")
		if err != nil {
			b.Fatal(err)
		}
		rss = append(rss, procKiB(b, status, "VmRSS:")/1024)
		hwm = append(hwm, procKiB(b, status, "VmHWM:")/1024)
		term.close()
	}
	b.ReportMetric(medianFloat(rss), "RSS-MiB")
	b.ReportMetric(medianFloat(hwm), "peak-MiB")
}

func procKiB(b *testing.B, status []byte, field string) float64 {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc status", field)
	return 0
}

func medianFloat(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
