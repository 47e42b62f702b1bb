package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// Whole-process benchmarks: the real binary, built as `make build` builds it
// (static, stripped), started as a person or cron would start it. Each
// reports medians (and, where the item is a comparison, the reference
// measured in the same run and the ratio).

// buildFlags are `make build`'s.
var buildFlags = []string{"build", "-trimpath", "-ldflags", "-s -w"}

// buildStatic builds the package in dir (with the module of that dir) to out,
// with cgo off like the release binaries.
func buildStatic(tb testing.TB, dir, out string, env ...string) {
	tb.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go tool on PATH to build the binary")
	}
	cmd := exec.Command(goTool, append(append([]string{}, buildFlags...), "-o", out, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"CGO_ENABLED=0"}, env...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build in %s: %v\n%s", dir, err, b)
	}
}

// releaseBinary builds patchbay once per benchmark into a temp dir.
func releaseBinary(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "patchbay")
	buildStatic(b, ".", bin)
	return bin
}

// bareCobra builds the reference for start-up: a program that does nothing
// but run a cobra root command with a version, against the cobra version
// patchbay uses, with the same toolchain and flags.
func bareCobra(b *testing.B) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/spf13/cobra").Output()
	if err != nil {
		b.Fatalf("go list cobra: %v", err)
	}
	gomod := "module bare\n\ngo 1.26\n\nrequire github.com/spf13/cobra " + strings.TrimSpace(string(out)) + "\n"
	return cobraProgram(b, "bare", gomod, nil)
}

// depsFloor builds the same bare cobra program, but linking every package
// patchbay links except its own, blank-imported: their package
// initialisation and nothing else. What it costs over bareCobra is the
// libraries' share of patchbay's start-up; what patchbay costs over it is
// patchbay's own.
func depsFloor(b *testing.B) string {
	list := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".")
	list.Env = append(os.Environ(), "CGO_ENABLED=0") // as the release is built
	out, err := list.Output()
	if err != nil {
		b.Fatalf("go list -deps: %v", err)
	}
	var imports []string
	for _, p := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(p, "github.com/patchbay/patchbay"),
			p == "unsafe", p == "C", strings.HasPrefix(p, "vendor/"),
			// another module's internal packages cannot be imported; the
			// packages that import them are, which links them.
			strings.Contains("/"+p+"/", "/internal/"):
			continue
		}
		imports = append(imports, p)
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		b.Fatal(err)
	}
	mod := strings.Replace(string(gomod), "module github.com/patchbay/patchbay", "module floor", 1)
	return cobraProgram(b, "floor", mod, imports)
}

// cobraProgram builds a program that runs a cobra root command with a
// version and nothing else, blank-importing imports, in a module of its
// own (go.mod as given, patchbay's go.sum), from the module cache only.
func cobraProgram(b *testing.B, name, gomod string, imports []string) string {
	dir := b.TempDir()
	sum, err := os.ReadFile("../../go.sum")
	if err != nil {
		b.Fatal(err)
	}
	var blank strings.Builder
	for _, p := range imports {
		if p != "os" && p != "github.com/spf13/cobra" {
			fmt.Fprintf(&blank, "\t_ %q\n", p)
		}
	}
	files := map[string]string{
		"go.mod": gomod,
		"go.sum": string(sum),
		"main.go": `package main

import (
	"os"

	"github.com/spf13/cobra"
` + blank.String() + `)

func main() {
	root := &cobra.Command{Use: "` + name + `", Version: "1.0.0", Run: func(*cobra.Command, []string) {}}
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	bin := filepath.Join(dir, name)
	// From the module cache only: every module is there since patchbay was
	// built.
	buildStatic(b, dir, bin, "GOFLAGS=-mod=mod", "GOPROXY=off")
	return bin
}

// countWriter counts the occurrences of pat in what is written to it,
// across writes, and keeps nothing else: a benchmark reading a large output
// this way stays small itself (see peakRSSKiB).
type countWriter struct {
	pat  []byte
	n    int
	tail []byte
}

func (w *countWriter) Write(p []byte) (int, error) {
	buf := append(w.tail, p...)
	w.n += bytes.Count(buf, w.pat)
	keep := min(len(w.pat)-1, len(buf))
	// A match ending in the kept tail was counted already only if whole;
	// the tail is shorter than pat, so it cannot hold a whole match.
	w.tail = append(w.tail[:0], buf[len(buf)-keep:]...)
	return len(p), nil
}

// procRun is one finished process.
type procRun struct {
	took   time.Duration
	peakKB int64 // peak resident set, KiB (0 where the OS does not say)
	code   int
	out    []byte
}

func runProc(b *testing.B, env []string, bin string, args ...string) procRun {
	var out bytes.Buffer
	r := runProcTo(b, &out, env, bin, args...)
	r.out = out.Bytes()
	return r
}

// runProcTo runs bin with its standard output going to stdout.
func runProcTo(b *testing.B, stdout io.Writer, env []string, bin string, args ...string) procRun {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &errOut
	// The child's peak RSS as Linux reports it includes this process's at
	// the fork: keep it small.
	debug.FreeOSMemory()
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.Fatalf("%s %v: %v", bin, args, err)
	}
	return procRun{took: took, peakKB: peakRSSKiB(cmd.ProcessState), code: code}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchEnv is a clean environment: no keyring (doctor's secrets probe fails
// at once, the same in every run), no vendor reachable.
func benchEnv(dir string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "no-bus")}
}

// seedEventLog makes a database whose profile "default" has n audit events,
// inserted with one SQL statement (seconds for a million) rather than through
// the application.
func seedEventLog(b *testing.B, path string, n int) {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.EnsureProfile(ctx, "default"); err != nil {
		b.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	_, err = raw.Exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
		INSERT INTO events (at, profile, integration, step, kind, summary, detail_json)
		SELECT 1741944413589 + i * 1000, 'default',
			CASE i % 3 WHEN 0 THEN 'certn-lever' WHEN 1 THEN 'vetty-chattr' ELSE 'charthop-lever' END,
			'lever-key', 'verification', 'secret.api_key: valid (' || i || ')', '{"check":"secret.api_key"}'
		FROM c WHERE ? > 0`, n, n)
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkVersionProcess: `patchbay --version` against a bare cobra program
// (same cobra, toolchain and build flags) and against that program linking
// every library patchbay links (depsFloor), run in turn in one loop.
// Reported: each one's median wall time, patchbay's ratio to the bare
// program, the libraries' floor's ratio to it, and patchbay's ratio to the
// floor (its own share).
func BenchmarkVersionProcess(b *testing.B) {
	pb, bare, floor := releaseBinary(b), bareCobra(b), depsFloor(b)
	env := benchEnv(b.TempDir())
	var ours, ref, libs []time.Duration
	for b.Loop() {
		if r := runProc(b, env, pb, "--version"); r.code != 0 || !bytes.HasPrefix(r.out, []byte("patchbay ")) {
			b.Fatalf("patchbay --version: exit %d, %q", r.code, r.out)
		} else {
			ours = append(ours, r.took)
		}
		ref = append(ref, runProc(b, env, bare, "--version").took)
		if r := runProc(b, env, floor, "--version"); r.code != 0 || !bytes.HasPrefix(r.out, []byte("floor version")) {
			b.Fatalf("floor --version: exit %d, %q", r.code, r.out)
		} else {
			libs = append(libs, r.took)
		}
	}
	o, r, l := float64(median(ours)), float64(median(ref)), float64(median(libs))
	b.ReportMetric(ms(median(ours)), "ms-median-patchbay")
	b.ReportMetric(ms(median(ref)), "ms-median-bare-cobra")
	b.ReportMetric(ms(median(libs)), "ms-median-bare-cobra+deps")
	b.ReportMetric(o/r, "ratio")
	b.ReportMetric(l/r, "ratio-deps-to-bare")
	b.ReportMetric(o/l, "ratio-patchbay-to-deps")
}

// BenchmarkDoctorOfflineProcess: `patchbay doctor --offline` on an empty
// audit log and on one of 100,000 events, run alternately. Reported: both
// medians and their ratio (the default check must stay flat).
func BenchmarkDoctorOfflineProcess(b *testing.B) {
	pb := releaseBinary(b)
	dir := b.TempDir()
	env := benchEnv(dir)
	empty, full := filepath.Join(dir, "empty", "patchbay.db"), filepath.Join(dir, "full", "patchbay.db")
	seedEventLog(b, empty, 0)
	seedEventLog(b, full, 100_000)
	var e, f []time.Duration
	for b.Loop() {
		// Exit 1: no keyring here, the same quick failure in both.
		re := runProc(b, env, pb, "--db", empty, "doctor", "--offline")
		rf := runProc(b, env, pb, "--db", full, "doctor", "--offline")
		if !bytes.Contains(rf.out, []byte("ok    integrity")) {
			b.Fatalf("doctor: %s", rf.out)
		}
		e, f = append(e, re.took), append(f, rf.took)
	}
	b.ReportMetric(ms(median(e)), "ms-median-empty")
	b.ReportMetric(ms(median(f)), "ms-median-100k")
	b.ReportMetric(float64(median(f))/float64(median(e)), "ratio")
}

// BenchmarkHistoryAllProcess: `patchbay history --limit 0`, as JSON and as
// the text table, writing out logs of 1,000 and 100,000 events. Reported
// per format and size: the
// median wall time and the largest peak resident set of any run (an upper
// bound: on Linux it includes this benchmark's own resident set at the fork,
// kept to a few MiB).
func BenchmarkHistoryAllProcess(b *testing.B) {
	pb := releaseBinary(b)
	formats := []struct {
		name  string
		flags []string
		each  string // what each event prints once
	}{
		{"json", []string{"--json"}, `"kind": "verification"`},
		{"text", nil, "  verification  "},
	}
	for _, f := range formats {
		for _, n := range []int{1000, 100_000} {
			b.Run(fmt.Sprintf("format=%s/events=%d", f.name, n), func(b *testing.B) {
				dir := b.TempDir()
				db := filepath.Join(dir, "patchbay.db")
				seedEventLog(b, db, n)
				env := benchEnv(dir)
				var took []time.Duration
				var peak int64
				for b.Loop() {
					out := &countWriter{pat: []byte(f.each)}
					args := append([]string{"--db", db, "history", "--limit", "0"}, f.flags...)
					r := runProcTo(b, out, env, pb, args...)
					if r.code != 0 || out.n != n {
						b.Fatalf("history: exit %d, %d events", r.code, out.n)
					}
					took = append(took, r.took)
					peak = max(peak, r.peakKB)
				}
				b.ReportMetric(ms(median(took)), "ms-median")
				b.ReportMetric(float64(peak)/1024, "MiB-peak-RSS")
			})
		}
	}
}
