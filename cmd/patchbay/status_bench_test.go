package main

import (
	"context"
	"encoding/json"
	"fmt"
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
// up and checked. Status reads no history event; the same state is run
// alternately with an empty audit log and with 100,000 events, to show its
// cost does not grow with the log. Reported: each one's median wall time of
// one process, start to exit, their ratio, and the worst run.
func BenchmarkStatusJSONProcess(b *testing.B) {
	bin := releaseBinary(b)
	dir := b.TempDir()
	noLog, bigLog := filepath.Join(dir, "a", "patchbay.db"), filepath.Join(dir, "b", "patchbay.db")
	seedStatusBench(b, noLog, benchProfiles, 0)
	seedStatusBench(b, bigLog, benchProfiles, benchEvents)
	env := benchEnv(dir)
	run := func(db string) (time.Duration, []byte) {
		r := runProc(b, env, bin, "--db", db, "--profile", "customer-1", "status", "--json")
		if r.code != 0 {
			b.Fatalf("status --json: exit %d\n%s", r.code, r.out)
		}
		return r.took, r.out
	}
	for _, db := range []string{noLog, bigLog} {
		// One run outside the timings: the page cache, not patchbay, pays
		// for the first read of a fresh file.
		_, out := run(db)
		var report app.StatusReport
		if err := json.Unmarshal(out, &report); err != nil || len(report.Integrations) != 3 || !report.Healthy() {
			b.Fatalf("report: %v\n%s", err, out)
		}
		for _, in := range report.Integrations {
			if in.State != steps.StateComplete || len(in.Checks) == 0 {
				b.Fatalf("%s: %s with %d checks", in.ID, in.State, len(in.Checks))
			}
		}
	}

	var empty, full []time.Duration
	for b.Loop() {
		d, _ := run(noLog)
		empty = append(empty, d)
		d, _ = run(bigLog)
		full = append(full, d)
	}
	b.ReportMetric(ms(median(empty)), "ms-median-empty-log")
	b.ReportMetric(ms(median(full)), "ms-median-100k-log")
	b.ReportMetric(float64(median(full))/float64(median(empty)), "ratio")
	b.ReportMetric(ms(max(slices.Max(empty), slices.Max(full))), "ms-max")
}

// seedStatusBench writes what the given number of customers' fully set-up
// integrations leave in the database, then a history of the given length,
// through the store's own API (the events in one transaction, so seeding
// takes seconds).
func seedStatusBench(b *testing.B, path string, profiles, events int) {
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
	for p := 1; p <= profiles; p++ {
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
		for i := range events {
			in := integrations[(i/profiles)%len(integrations)]
			err := tx.AddEvent(ctx, store.Event{
				At:      start.Add(time.Duration(i) * time.Minute),
				Profile: fmt.Sprintf("customer-%d", i%profiles+1), Integration: in, Step: "lever-key",
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

// BenchmarkStatusAllProfilesJSON100ProfilesProcess times whole runs of the
// real binary printing `status --all-profiles --json` for a database of 100
// customers, each with its 3 integrations set up and checked (no --live),
// against `status --json` of one of them in the same run. Reported: both
// medians, their ratio, and the cost per profile.
func BenchmarkStatusAllProfilesJSON100ProfilesProcess(b *testing.B) {
	const profiles = 100
	bin := releaseBinary(b)
	dir := b.TempDir()
	db := filepath.Join(dir, "state", "patchbay.db")
	seedStatusBench(b, db, profiles, 0)
	env := benchEnv(dir)
	all := func() time.Duration {
		r := runProc(b, env, bin, "--db", db, "status", "--all-profiles", "--json")
		if r.code != 0 {
			b.Fatalf("status --all-profiles --json: exit %d\n%s", r.code, r.out)
		}
		var f FleetReport
		if err := json.Unmarshal(r.out, &f); err != nil || len(f.Profiles) != profiles {
			b.Fatalf("report: %v (%d profiles)", err, len(f.Profiles))
		}
		return r.took
	}
	one := func() time.Duration {
		r := runProc(b, env, bin, "--db", db, "--profile", "customer-1", "status", "--json")
		if r.code != 0 {
			b.Fatalf("status --json: exit %d\n%s", r.code, r.out)
		}
		return r.took
	}
	all() // the page cache, not patchbay, pays for the first read
	var allT, oneT []time.Duration
	for b.Loop() {
		allT = append(allT, all())
		oneT = append(oneT, one())
	}
	b.ReportMetric(ms(median(allT)), "ms-median-100-profiles")
	b.ReportMetric(ms(median(oneT)), "ms-median-1-profile")
	b.ReportMetric(float64(median(allT))/float64(median(oneT)), "ratio")
	b.ReportMetric(ms(median(allT)-median(oneT))/(profiles-1), "ms-per-extra-profile")
}
