package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
)

const (
	benchProfiles = 3
	benchEvents   = 100_000
)

// BenchmarkStatusJSONProcess times whole runs of the real binary, as cron
// or a monitoring system would start it: `patchbay status --json` (no
// --live) on a database with 3 profiles, each with its 3 integrations set
// up and checked, and 100,000 history events. Reported: the median and
// worst wall time of one process, start to exit.
func BenchmarkStatusJSONProcess(b *testing.B) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go tool on PATH to build the binary")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "patchbay")
	// Built as `make build` builds it.
	build := exec.Command(goTool, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "state", "patchbay.db")
	seedStatusBench(b, db)

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "no-bus")}
	run := func() (time.Duration, []byte) {
		cmd := exec.Command(bin, "--db", db, "--profile", "customer-1", "status", "--json")
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if err != nil {
			b.Fatalf("status --json: %v\n%s", err, errOut.String())
		}
		return took, out.Bytes()
	}
	// One run outside the timings: the page cache, not patchbay, pays for
	// the first read of a fresh file.
	_, out := run()
	var report app.StatusReport
	if err := json.Unmarshal(out, &report); err != nil || len(report.Integrations) != 3 || !report.Healthy() {
		b.Fatalf("report: %v\n%s", err, out)
	}
	for _, in := range report.Integrations {
		if in.State != steps.StateComplete || len(in.Checks) == 0 {
			b.Fatalf("%s: %s with %d checks", in.ID, in.State, len(in.Checks))
		}
	}

	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		d, _ := run()
		took = append(took, d)
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "ms-max")
}

// seedStatusBench writes what three customers' fully set-up integrations
// leave in the database, then the history, through the store's own API
// (the events in one transaction, so seeding takes seconds).
func seedStatusBench(b *testing.B, path string) {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now().UTC().Add(-90 * 24 * time.Hour)
	values := map[string]map[string]string{
		"vetty-key":           {"user": "Priya Shah", "ip_allowlist": "203.0.113.0/24", "expiry_months": "24"},
		"chattr-connect":      {"token_status": steps.TokenValid, "confirmed": "true"},
		"chattr-packages":     {"packages": "Warehouse Associate=Basic;Driver=Driver (MVR)"},
		"lever-key":           {"region": "us", "write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"},
		"certn-packages":      {"packages": "Standard:criminal+identity", "default_package": "Standard"},
		"certn-enable":        {"webhook_url": "https://api.certn.co/lever/webhook/abc123"},
		"lever-trigger-stage": {"stage": "Background Check"},
		"charthop-source":     {"source": steps.TruthChartHop},
		"charthop-options":    {"sync_on_change": "true", "reconciliation": "true", "run_daily": "true", "reverse_sync": "false", "remote_location_default": "false"},
	}
	checks := map[string][]string{
		"vetty-chattr":   {"secret.api_key", "expiry.api_key", app.CheckPackageMapping},
		"certn-lever":    {"secret.api_key", "secret.signing_token", app.CheckTriggerStage, app.CheckCertnTags},
		"charthop-lever": {"secret.api_key", "secret.webhook_secret", app.CheckOptionRules},
	}
	for p := 1; p <= benchProfiles; p++ {
		profile := fmt.Sprintf("customer-%d", p)
		for _, in := range steps.Catalog() {
			for i, st := range in.Steps {
				v := map[string]string{}
				for k, val := range values[st.ID] {
					if _, ok := st.Field(k); ok {
						v[k] = val
					}
				}
				if st.Proof == steps.ProofAttested {
					v[steps.FieldConfirmed] = "true"
				}
				at := start.Add(time.Duration(i) * time.Minute)
				commit := store.StepCommit{Profile: profile, Integration: in.ID, StepID: st.ID,
					Proof: string(st.Proof), Values: v, SecretKeys: st.Creates, FinishedAt: at}
				for _, key := range st.Creates {
					meta := store.SecretMeta{Key: key, Backend: "keyring", Last4: "9f3a", CreatedAt: at, LastVerifiedAt: at}
					if exp, ok := st.SecretExpiry(v, at); ok {
						meta.ExpiresAt = exp
					}
					commit.Secrets = append(commit.Secrets, meta)
				}
				if err := db.CommitStep(ctx, commit); err != nil {
					b.Fatalf("%s %s/%s: %v", profile, in.ID, st.ID, err)
				}
			}
			var results []store.CheckResult
			for _, name := range checks[in.ID] {
				results = append(results, store.CheckResult{Integration: in.ID, Name: name, Result: app.ResultValid,
					Detail: "checked by the seed", CheckedAt: time.Now().UTC().Add(-time.Minute)})
			}
			if err := db.SaveChecks(ctx, profile, results); err != nil {
				b.Fatal(err)
			}
		}
	}
	integrations := steps.IntegrationIDs()
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for i := range benchEvents {
			in := integrations[(i/benchProfiles)%len(integrations)]
			err := tx.AddEvent(ctx, store.Event{
				At:      start.Add(time.Duration(i) * time.Minute),
				Profile: fmt.Sprintf("customer-%d", i%benchProfiles+1), Integration: in, Step: "lever-key",
				Kind: store.EventVerification, Summary: fmt.Sprintf("secret.api_key: valid → unauthorized (%d)", i),
				Detail: map[string]string{"check": "secret.api_key"},
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
