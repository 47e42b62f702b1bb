//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runLimited runs the binary under a memory bound (ulimit -v, 2 GiB of
// address space) and a time bound, so a regression that reads /dev/zero
// fails the test instead of the machine. start, when set, runs once the
// process has started.
func (b *binary) runLimited(db string, stdin []byte, start func(p *os.Process), args ...string) exitInfo {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `ulimit -v 2097152 && exec "$0" "$@"`, b.path, "--db", db, "--secrets", "vault"}, args...)...)
	cmd.Env = slices.Clone(b.env)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	if start != nil {
		start(cmd.Process)
	}
	err := cmd.Wait()
	if ctx.Err() != nil {
		b.t.Fatalf("%v: still running after 20s\n%s", args, errOut.String())
	}
	info := exitInfo{out: out.String(), err: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		info.code = ee.ExitCode()
	} else if err != nil {
		b.t.Fatal(err)
	}
	return info
}

// --set KEY=@PATH reads only a regular file or a FIFO, and no more than
// 64 KiB from a file or standard input, with one plain message.
func TestSecretInputIsBounded(t *testing.T) {
	b := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "patchbay.db")
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("k"), 64<<10+1), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		ref   string
		stdin []byte
		want  string
	}{
		{"device", "@/dev/zero", nil, "it is a device, not a regular file or a FIFO"},
		{"directory", "@" + dir, nil, "it is a directory"},
		{"large file", "@" + big, nil, "larger than 64 KiB"},
		{"large input", "@-", bytes.Repeat([]byte("k"), 64<<10+1), "larger than 64 KiB"},
		{"missing file", "@" + filepath.Join(dir, "nosuch"), nil, "no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := b.runLimited(db, tc.stdin, nil, "run", "certn-lever/lever-signing-token", "--set", "signing_token="+tc.ref)
			if r.code != exitUsage || !strings.Contains(r.err, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", r.code, r.err, tc.want)
			}
			if n := strings.Count(r.err, "reading"); n != 1 {
				t.Errorf("the message says reading %d times: %q", n, r.err)
			}
		})
	}
	// Exactly 64 KiB is still read (and then judged by the field's rules).
	ok := filepath.Join(dir, "token")
	if err := os.WriteFile(ok, []byte("sig-token-from-a-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := b.runLimited(db, nil, nil, "run", "certn-lever/lever-signing-token", "--set", "signing_token=@"+ok); r.code != 0 {
		t.Fatalf("a regular file: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

// A FIFO whose writer never closes does not hold patchbay: the first
// Ctrl+C (or SIGTERM) ends the read and the command, exit 130, whether the
// FIFO was named by --set or by an apply file's file: reference.
func TestSecretFIFOStopsOnSignal(t *testing.T) {
	b := buildBinary(t)
	commands := map[string]func(dir, fifo string) []string{
		"run": func(_, fifo string) []string {
			return []string{"run", "certn-lever/lever-signing-token", "--set", "signing_token=@" + fifo}
		},
		"apply": func(dir, _ string) []string {
			file := filepath.Join(dir, "acme.yaml")
			doc := "version: 1\ncertn-lever:\n  lever-signing-token:\n    signing_token: file:fifo\n"
			if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"apply", file}
		},
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for name, args := range commands {
			t.Run(name+"/"+sig.String(), func(t *testing.T) {
				fifoStopsOnSignal(t, b, sig, args)
			})
		}
	}
}

func fifoStopsOnSignal(t *testing.T, b *binary, sig syscall.Signal, args func(dir, fifo string) []string) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var writer *os.File
	defer func() {
		if writer != nil {
			writer.Close()
		}
	}()
	var sent time.Time
	r := b.runLimited(filepath.Join(dir, "patchbay.db"), nil, func(p *os.Process) {
		// Opening for writing waits until patchbay opens the FIFO
		// to read: then it is reading, and gets a part of a secret.
		opened := make(chan *os.File, 1)
		go func() {
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
			}
			opened <- w
		}()
		select {
		case writer = <-opened:
		case <-time.After(10 * time.Second):
			// Release our own open, then give up.
			if r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				defer r.Close()
			}
			writer = <-opened
			t.Error("patchbay never opened the FIFO")
		}
		if writer == nil {
			return
		}
		w := writer
		if _, err := w.WriteString("sig-token-half"); err != nil {
			t.Error(err)
		}
		time.Sleep(100 * time.Millisecond)
		sent = time.Now()
		if err := p.Signal(sig); err != nil {
			t.Error(err)
		}
	}, args(dir, fifo)...)
	if took := time.Since(sent); r.code != exitInterrupted || took > 5*time.Second {
		t.Fatalf("exit %d %s after the signal; want 130 at once\n%s", r.code, took, r.err)
	}
	if strings.Contains(r.out+r.err, "sig-token-half") {
		t.Error("the partial secret was printed")
	}
}

// A FIFO nobody writes to holds an open(2) waiting for a writer; the end
// of the context ends that wait too, leaving no reader behind.
func TestSecretFIFOWithoutWriterStops(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := readSecretFile(ctx, fifo)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting for a writer after the context ended")
	}
	// No reader is left holding the FIFO: a writer finds none.
	deadline := time.Now().Add(5 * time.Second)
	for {
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ENXIO) {
			return
		}
		if err == nil {
			w.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("a reader still holds the FIFO")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
