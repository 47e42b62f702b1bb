package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// testEnv is a Service on a real SQLite database in a temp dir, an
// in-memory secrets store and the vendor stand-ins.
type testEnv struct {
	svc *Service
	db  *store.DB
	mem *secrets.Memory
	srv *standin.Servers
	now time.Time
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "patchbay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := standin.Start(standin.Options{PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	env := &testEnv{db: db, mem: secrets.NewMemory(), srv: srv, now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	env.svc = &Service{
		DB: db, Secrets: env.mem, Profile: "acme",
		Vendors: &Vendors{Timeout: 5 * time.Second, URLs: &URLs{
			Lever: srv.LeverURL, Certn: srv.CertnURL, Vetty: srv.VettyURL, ChartHop: srv.ChartHopURL,
		}},
		Now: func() time.Time { return env.now },
	}
	return env
}

// run checks and completes one step, failing the test on any error or
// failed check.
func (e *testEnv) run(t *testing.T, integration, step string, values, secrets map[string]string) Outcome {
	t.Helper()
	ctx := context.Background()
	sub := Submission{Integration: integration, Step: step, Values: values, Secrets: secrets}
	out, err := e.svc.Check(ctx, sub)
	if err != nil {
		t.Fatalf("%s/%s: check: %v", integration, step, err)
	}
	if !out.OK {
		t.Fatalf("%s/%s: check failed: %s (%s)", integration, step, out.Detail, out.Fix)
	}
	if err := e.svc.Complete(ctx, sub, out); err != nil {
		t.Fatalf("%s/%s: complete: %v", integration, step, err)
	}
	return out
}

func (e *testEnv) integration(t *testing.T, id string) IntegrationView {
	t.Helper()
	ov, err := e.svc.Overview(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range ov.Integrations {
		if iv.Integration.ID == id {
			return iv
		}
	}
	t.Fatalf("no integration %s", id)
	return IntegrationView{}
}

// completeCertnLever walks certn-lever from the first step to the last.
func (e *testEnv) completeCertnLever(t *testing.T, leverKey string) {
	t.Helper()
	const in = "certn-lever"
	e.run(t, in, "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": leverKey})
	e.run(t, in, "lever-signing-token", nil, map[string]string{"signing_token": "sig-token-0123456789abcdef"})
	e.run(t, in, "certn-packages", map[string]string{"packages": "Standard:criminal+identity;Plus:criminal+credit", "default_package": "Standard"}, nil)
	e.run(t, in, "certn-credentials", map[string]string{"confirmed": "true"}, nil)
	e.run(t, in, "certn-enable", map[string]string{"webhook_url": "https://api.certn.co/lever/webhook/abc123"}, nil)
	e.run(t, in, "lever-trigger-stage", map[string]string{"stage": "Background Check"}, nil)
}
