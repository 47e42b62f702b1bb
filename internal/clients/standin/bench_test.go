package standin_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/clients/vetty"
)

// BenchmarkConcurrentVerify runs 6 credential checks at once (three each
// for Lever and Vetty, the vendors patchbay calls, each its own credential
// and client, as a dashboard refresh does)
// against stand-ins answering after 300 ms. One op should take about one
// latency, not six: the "xL" metric is op time divided by the latency.
func BenchmarkConcurrentVerify(b *testing.B) {
	const latency = 300 * time.Millisecond
	s, err := standin.Start(standin.Options{Latency: latency})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	hc := httpx.DefaultHTTPClient() // shared, as the app shares one

	type verifier interface{ Verify(context.Context) error }
	build := func() []verifier {
		var vs []verifier
		for range 3 {
			l, err1 := lever.New(hc, s.LeverURL, "lever-key", httpx.Options{})
			v, err2 := vetty.New(hc, s.VettyURL, "vetty-key", httpx.Options{})
			for _, err := range []error{err1, err2} {
				if err != nil {
					b.Fatal(err)
				}
			}
			vs = append(vs, l, v)
		}
		return vs
	}

	b.ResetTimer()
	for b.Loop() {
		vs := build()
		var wg sync.WaitGroup
		for _, v := range vs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := v.Verify(context.Background()); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(latency), "xL")
}
