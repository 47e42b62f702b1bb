//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
)

// paused is a patchbay process held at a point of its secret write.
type paused struct {
	t    *testing.T
	dir  string
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

// startPaused runs the binary until it reaches point, and returns it
// there, waiting.
func (b *binary) startPaused(db, stdin, point string, args ...string) *paused {
	b.t.Helper()
	p := &paused{t: b.t, dir: b.t.TempDir(), done: make(chan error, 1)}
	p.cmd = exec.Command(b.path, append([]string{"--db", db}, args...)...)
	p.cmd.Env = append(slices.Clone(b.env), pauseAtEnv+"="+point, pauseDirEnv+"="+p.dir)
	p.cmd.Stdin = strings.NewReader(stdin)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(p.dir, "paused")); err == nil {
			return p
		}
		select {
		case err := <-p.done:
			b.t.Fatalf("%v ended (%v) before reaching %s:\n%s", args, err, point, p.out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			b.t.Fatalf("%v did not reach %s within 30s", args, point)
		}
	}
}

// resume lets the process go on and returns its exit code and output.
func (p *paused) resume() (int, string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, "resume"), nil, 0o600); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.cmd.Process.Kill()
		p.t.Fatal("the resumed process did not finish within 60s")
	}
	return p.cmd.ProcessState.ExitCode(), p.out.String()
}

// One change of a secret at a time, across processes: while one rotation
// is between its plan and its commit, a second rotation, a re-run that
// writes the secret and a reset that removes it are refused before they
// touch the store; and a rotation planned before another one finished
// never loses that one's kept previous value.
func TestOneChangeOfASecretAtATime(t *testing.T) {
	b := buildBinary(t)
	template := filepath.Join(t.TempDir(), "template", "patchbay.db")
	b.must(template, cliLeverKey1, "--secrets", "vault", "run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-")
	fresh := func(t *testing.T) string {
		db := filepath.Join(t.TempDir(), "state", "patchbay.db")
		copyDir(t, filepath.Dir(template), filepath.Dir(db))
		return db
	}
	const account = "default/certn-lever/api_key"
	const key3 = "lever-key-cli-third-0000-cc33"

	t.Run("in flight", func(t *testing.T) {
		db := fresh(t)
		first := b.startPaused(db, cliLeverKey2, app.PointStaged, "rotate", "certn-lever/api_key", "--set", "api_key=@-")
		vaultBefore, err := os.ReadFile(vaultPath(db))
		if err != nil {
			t.Fatal(err)
		}
		for _, second := range []struct {
			stdin string
			args  []string
		}{
			{key3, []string{"rotate", "certn-lever/api_key", "--set", "api_key=@-"}},
			{key3, []string{"run", "certn-lever/lever-key", "--set", "region=us", "--set", "api_key=@-"}},
			{"", []string{"reset", "certn-lever", "--remove-secrets", "--yes"}},
			{"", []string{"rotate", "--revoked", "certn-lever/api_key"}},
		} {
			r := b.run(db, second.stdin, nil, second.args...)
			if r.code == 0 || !strings.Contains(r.err, "another change of certn-lever/api_key is in progress") {
				t.Errorf("%v while a rotation is in flight: exit %d\n%s%s", second.args, r.code, r.out, r.err)
			}
		}
		if after, _ := os.ReadFile(vaultPath(db)); !bytes.Equal(vaultBefore, after) {
			t.Error("a refused change touched the secrets store")
		}
		if code, out := first.resume(); code != 0 {
			t.Fatalf("the first rotation, resumed: exit %d\n%s", code, out)
		}
		if e := vaultEntries(t, db); e[account] != cliLeverKey2 || e[account+".previous"] != cliLeverKey1 {
			t.Errorf("vault after the rotation: new current %v, old kept %v", e[account] == cliLeverKey2, e[account+".previous"] == cliLeverKey1)
		}
	})

	t.Run("planned before the other finished", func(t *testing.T) {
		db := fresh(t)
		late := b.startPaused(db, key3, app.PointPlanned, "rotate", "certn-lever/api_key", "--set", "api_key=@-")
		b.must(db, cliLeverKey2, "rotate", "certn-lever/api_key", "--set", "api_key=@-")
		code, out := late.resume()
		if code == 0 || !strings.Contains(out, "rotated certn-lever/api_key meanwhile") {
			t.Errorf("the late rotation: exit %d\n%s", code, out)
		}
		e := vaultEntries(t, db)
		if e[account] != cliLeverKey2 {
			t.Errorf("current value: the winner's %v, the loser's %v", e[account] == cliLeverKey2, e[account] == key3)
		}
		if e[account+".previous"] != cliLeverKey1 {
			t.Errorf("the winner's kept previous value is gone or replaced (present %v)", e[account+".previous"] != "")
		}
		if _, ok := e[account+".staging"]; ok {
			t.Error("the loser left a staging entry")
		}
		if r := b.run(db, "", nil, "doctor", "--offline"); r.code != 0 {
			t.Errorf("doctor after the race: exit %d\n%s", r.code, r.out)
		}
	})
}
