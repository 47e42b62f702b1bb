package tui

import (
	"context"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// BenchmarkDashboardPageDuringRefresh runs the real refresher against the
// stand-ins answering after 300 ms, on a profile with its three
// integrations set up (10 checks a refresh), and feeds everything it
// reports (check starts and results, the call log, the overview reload) to
// the dashboard page of the TUI root as Bubble Tea would, with a j and a k
// keypress after each batch. Each Update and each View is timed: the
// dashboard must stay responsive while checks are in flight. Reported:
// median and worst of Update, of View, and of a keypress's Update+View,
// in wall-clock time and (on Linux, "-cpu" metrics) in the CPU time of the
// thread running them, which a machine busy with other work does not
// inflate.
func BenchmarkDashboardPageDuringRefresh(b *testing.B) {
	runtime.LockOSThread() // the thread's CPU clock then follows Update and View
	defer runtime.UnlockOSThread()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, srv := liveBenchService(b)
	srv.SetLatency(300 * time.Millisecond)
	r := app.NewRefresher(svc, app.RefreshOptions{Interval: time.Hour})
	svc.Vendors.(*app.Vendors).OnCall = r.RecordCall

	c := newCommon(ctx, Options{Backend: svc, Profile: "acme", Width: 160, Height: 48, NoColor: true}, true)
	screen := newRootModel(c, ModeDashboard, "", "")
	screen.attachLive(r)
	var updates, views, keys, cpuUpdates, cpuViews, cpuKeys []time.Duration
	var feed func(msg tea.Msg)
	run := func(cmd tea.Cmd) {
		if cmd == nil || timerCmd(cmd) || strings.Contains(funcName(cmd), "listenLive") {
			return // the loop below listens itself
		}
		msg := cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				if c != nil && !timerCmd(c) && !strings.Contains(funcName(c), "listenLive") {
					feed(c())
				}
			}
			return
		}
		if msg != nil {
			feed(msg)
		}
	}
	feed = func(msg tea.Msg) {
		cpu0, _ := threadCPU()
		start := time.Now()
		_, cmd := screen.Update(msg)
		updates = append(updates, time.Since(start))
		cpu1, _ := threadCPU()
		start = time.Now()
		_ = screen.View()
		views = append(views, time.Since(start))
		cpu2, _ := threadCPU()
		cpuUpdates, cpuViews = append(cpuUpdates, cpu1-cpu0), append(cpuViews, cpu2-cpu1)
		run(cmd)
	}
	feed(tea.WindowSizeMsg{Width: 160, Height: 48})
	run(screen.Init()) // starts the refresher: its first refresh begins at once

	// refreshOnce feeds updates until a refresh has ended.
	refreshOnce := func() int {
		checks := 0
		for {
			msg := listenLive(screen.home.dash.ch)()
			batch := msg.(liveBatchMsg)
			feed(batch)
			for _, k := range []string{"j", "k"} {
				n := len(updates)
				feed(keyMsg(k))
				keys = append(keys, updates[n]+views[n])
				cpuKeys = append(cpuKeys, cpuUpdates[n]+cpuViews[n])
			}
			for _, u := range batch.updates {
				switch u.Kind {
				case app.UpdateCheckDone:
					checks++
				case app.UpdateRefreshDone:
					if u.Summary.Attention() != 0 || len(u.Summary.Results) == 0 {
						b.Fatalf("refresh: %+v", u.Summary)
					}
					return checks
				}
			}
			if batch.closed {
				b.Fatal("the refresher stopped")
			}
		}
	}
	refreshOnce()
	updates, views, keys = updates[:0], views[:0], keys[:0]
	cpuUpdates, cpuViews, cpuKeys = cpuUpdates[:0], cpuViews[:0], cpuKeys[:0]
	checks := 0
	b.ResetTimer()
	for b.Loop() {
		r.Trigger()
		checks = refreshOnce()
	}
	b.StopTimer()
	report := func(ds []time.Duration, name string) {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms-"+name+"-median")
		b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "ms-"+name+"-max")
	}
	report(updates, "update")
	report(views, "view")
	report(keys, "key")
	if _, ok := threadCPU(); ok {
		report(cpuUpdates, "update-cpu")
		report(cpuViews, "view-cpu")
		report(cpuKeys, "key-cpu")
	}
	b.ReportMetric(float64(checks), "checks")
}

// liveBenchService is a profile with its three integrations set up through
// the application services, against fresh stand-ins.
func liveBenchService(b *testing.B) (*app.Service, *standin.Servers) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "patchbay.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	svc := &app.Service{DB: db, Secrets: secrets.NewMemory(), Profile: "acme", Vendors: &app.Vendors{
		Timeout: 5 * time.Second,
		URLs:    &app.URLs{Lever: srv.LeverURL, Certn: srv.CertnURL, Vetty: srv.VettyURL, ChartHop: srv.ChartHopURL},
	}}
	runs := []struct {
		integration, step string
		values, secrets   map[string]string
	}{
		{"vetty-chattr", "vetty-key", map[string]string{"user": "Priya Shah", "ip_allowlist": "203.0.113.0/24", "expiry_months": "24"}, map[string]string{"api_key": "vetty-key-0123456789abcdef"}},
		{"vetty-chattr", "vetty-webhook", map[string]string{"confirmed": "true"}, nil},
		{"vetty-chattr", "chattr-connect", map[string]string{"token_status": steps.TokenValid, "confirmed": "true"}, nil},
		{"vetty-chattr", "chattr-packages", map[string]string{"packages": "Warehouse Associate=Basic;Driver=Driver (MVR)"}, nil},
		{"certn-lever", "lever-key", map[string]string{"region": "us"}, map[string]string{"api_key": "lever-certn-key-0123456789"}},
		{"certn-lever", "lever-signing-token", nil, map[string]string{"signing_token": "sig-token-0123456789abcdef"}},
		{"certn-lever", "certn-packages", map[string]string{"packages": "Standard:criminal+identity", "default_package": "Standard"}, nil},
		{"certn-lever", "certn-credentials", map[string]string{"confirmed": "true"}, nil},
		{"certn-lever", "certn-enable", map[string]string{"webhook_url": "https://api.certn.co/lever/webhook/abc123"}, nil},
		{"certn-lever", "lever-trigger-stage", map[string]string{"stage": "Background Check"}, nil},
		{"charthop-lever", "lever-key", map[string]string{"region": "us", "write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"}, map[string]string{"api_key": "lever-charthop-key-012345"}},
		{"charthop-lever", "charthop-install", map[string]string{"confirmed": "true"}, nil},
		{"charthop-lever", "charthop-connect", map[string]string{"confirmed": "true"}, nil},
		{"charthop-lever", "charthop-source", map[string]string{"source": steps.TruthChartHop}, nil},
		{"charthop-lever", "charthop-options", map[string]string{"sync_on_change": "true", "reconciliation": "true", "run_daily": "true"}, nil},
		{"charthop-lever", "charthop-webhook-secret", nil, map[string]string{"webhook_secret": "charthop-webhook-secret-0123"}},
		{"charthop-lever", "charthop-hire-webhook", map[string]string{"confirmed": "true"}, nil},
	}
	for _, run := range runs {
		sub := app.Submission{Integration: run.integration, Step: run.step, Values: run.values, Secrets: run.secrets}
		out, err := svc.Check(ctx, sub)
		if err != nil || !out.OK {
			b.Fatalf("%s/%s: %v %+v", run.integration, run.step, err, out)
		}
		if err := svc.Complete(ctx, sub, out); err != nil {
			b.Fatalf("%s/%s: %v", run.integration, run.step, err)
		}
	}
	return svc, srv
}
