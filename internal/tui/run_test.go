package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// syncBuffer is an io.Writer the program writes from its own goroutine while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.Strip(s.b.String())
}

// waitFor polls the program's output for text. The deadline only guards
// against a hang; the test never depends on how fast the program is.
func waitFor(t *testing.T, out *syncBuffer, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("output never showed %q:\n%s", text, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunEndToEnd(t *testing.T) {
	fb := newFakeBackend(fixture(3))
	fb.inCmd.Store(true) // a real program runs commands on its own goroutines
	inR, inW := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{
			Backend: fb, Profile: "acme", Mode: ModeRunStep,
			StartIntegration: "vetty-chattr", StartStep: "vetty-webhook",
			In: inR, Out: out, Width: 80, Height: 24, NoColor: true,
		})
	}()
	waitFor(t, out, "Web hook URL")
	_, _ = inW.Write([]byte("\r"))
	waitFor(t, out, "Yes, done")
	_, _ = inW.Write([]byte("y"))
	waitFor(t, out, "done ✓")
	_, _ = inW.Write([]byte("q"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after q")
	}
	_ = inW.Close()
	if len(fb.completes) != 1 || fb.completes[0].sub.Values["confirmed"] != "true" {
		t.Errorf("completes = %+v", fb.completes)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	fb := newFakeBackend(fixture(0))
	fb.inCmd.Store(true)
	inR, inW := io.Pipe()
	defer inW.Close()
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Backend: fb, In: inR, Out: out, Width: 80, Height: 24, NoColor: true})
	}()
	waitFor(t, out, "Integrations")
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop when its context was cancelled")
	}
}

func TestRunNeedsBackend(t *testing.T) {
	if err := Run(context.Background(), Options{}); !errors.Is(err, ErrNoBackend) {
		t.Errorf("Run = %v", err)
	}
	if err := RunAccessible(context.Background(), Options{}, nil, nil); !errors.Is(err, ErrNoBackend) {
		t.Errorf("RunAccessible = %v", err)
	}
}
