//go:build unix && !darwin

package clipboard

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// installed answers lookPath for the named commands only.
func installed(names ...string) func(string) (string, error) {
	return func(n string) (string, error) {
		for _, m := range names {
			if m == n {
				return "/usr/bin/" + n, nil
			}
		}
		return "", errors.New("not found")
	}
}

func TestFindPicksTheFirstCompleteTool(t *testing.T) {
	cases := []struct {
		name, wayland string
		have          []string
		want          string // the copy command, "" for none
	}{
		{"nothing installed", "", nil, ""},
		{"xclip", "", []string{"xclip", "xsel"}, "xclip"},
		{"xsel only", "", []string{"xsel"}, "xsel"},
		{"wayland first when its session is set", "wayland-0", []string{"xclip", "wl-copy", "wl-paste"}, "wl-copy"},
		{"wayland tools ignored outside a wayland session", "", []string{"wl-copy", "wl-paste"}, ""},
		{"wl-copy without wl-paste cannot read back", "wayland-0", []string{"wl-copy", "xclip"}, "xclip"},
		{"termux needs both commands", "", []string{"termux-clipboard-set"}, ""},
		{"WSL", "", []string{"clip.exe", "powershell.exe"}, "clip.exe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("WAYLAND_DISPLAY", c.wayland)
			got := find(installed(c.have...))
			if c.want == "" {
				if got != nil {
					t.Fatalf("found a clipboard with %v installed", c.have)
				}
				return
			}
			if got == nil || got.copy[0] != c.want {
				t.Fatalf("with %v installed: found %v, want %s", c.have, got, c.want)
			}
		})
	}
}

func TestWriteThenReadThroughTheTool(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "clip")
	tl := tool{
		copy:  []string{script(t, dir, "copy", "cat > "+store)},
		paste: []string{script(t, dir, "paste", "cat "+store)},
	}
	cb := tl.clipboard()
	if err := cb.Write("key with spaces\nand a line"); err != nil {
		t.Fatal(err)
	}
	got, err := cb.Read()
	if err != nil || got != "key with spaces\nand a line" {
		t.Fatalf("Read = %q, %v", got, err)
	}
}

func TestWSLReadDropsTheLineEndingWindowsAdds(t *testing.T) {
	dir := t.TempDir()
	tl := tool{copy: []string{"true"}, paste: []string{script(t, dir, "paste", `printf 'abc\r\n'`)}, trimCRLF: true}
	if got, err := tl.read(); err != nil || got != "abc" {
		t.Fatalf("read = %q, %v", got, err)
	}
}

// xclip and wl-copy leave a process behind to serve the selection; the
// write must not wait for it.
func TestWriteDoesNotWaitForTheToolsServer(t *testing.T) {
	dir := t.TempDir()
	tl := tool{copy: []string{script(t, dir, "copy", "cat >/dev/null; (sleep 20 &); exit 0")}, timeout: 10 * time.Second}
	start := time.Now()
	if err := tl.write("v"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("write took %v: it waited for the server left behind", took)
	}
}

func TestAHangingToolGivesUp(t *testing.T) {
	dir := t.TempDir()
	hang := script(t, dir, "hang", "exec sleep 30")
	tl := tool{copy: []string{hang}, paste: []string{hang}, timeout: 200 * time.Millisecond}
	start := time.Now()
	errW := tl.write("v")
	_, errR := tl.read()
	if errW == nil || errR == nil {
		t.Fatalf("write err %v, read err %v: want both to fail", errW, errR)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("a hanging tool held the caller %v", took)
	}
}

func TestAFailingToolIsAnError(t *testing.T) {
	dir := t.TempDir()
	tl := tool{copy: []string{script(t, dir, "copy", "echo 'Error: Can'\\''t open display' >&2; exit 1")},
		paste: []string{script(t, dir, "paste", "exit 1")}}
	if err := tl.write("v"); err == nil {
		t.Fatal("write to a failing tool succeeded")
	}
	if got, err := tl.read(); err == nil || strings.Contains(got, "v") {
		t.Fatalf("read = %q, %v", got, err)
	}
}
