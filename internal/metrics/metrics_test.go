package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func sample() []app.StatusReport {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	expires := now.Add(20 * 24 * time.Hour)
	return []app.StatusReport{
		{
			Profile: "acme", SecretsBackend: "keyring", GeneratedAt: now,
			Integrations: []app.IntegrationStatus{{
				ID: "vetty-chattr", State: steps.StateNeedsAttention, StepsDone: 4, StepsTotal: 4,
				Attention: []string{"Vetty no longer lists Driver (MVR)"},
				Secrets:   []app.SecretStatus{{Key: "api_key", CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: &expires}},
				Checks:    []app.CheckStatus{{Name: "vetty.package_mapping", Result: app.ResultDrift, AgeSeconds: 42}},
			}},
		},
		{
			Profile: "globex \"west\"", SecretsBackend: "vault", GeneratedAt: now,
			Integrations: []app.IntegrationStatus{{
				ID: "certn-lever", State: steps.StateComplete, StepsDone: 6, StepsTotal: 6,
				Checks: []app.CheckStatus{{
					Name: "lever.certn_tags", Result: app.ResultValid, AgeSeconds: 7,
					Counts: map[string]int{"CERTN - Submitted": 3, "CERTN - Complete (Clear)": 11},
				}},
			}},
		},
	}
}

// The output is the Prometheus text format: the Prometheus library's own
// parser reads it back, family by family, with the labels and values given.
func TestWriteParsesBackWithPrometheusParser(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	value := func(family string, labels map[string]string) (float64, bool) {
		f, ok := fams[family]
		if !ok {
			t.Fatalf("no family %s in\n%s", family, buf.String())
		}
		if f.GetType() != dto.MetricType_GAUGE || f.GetHelp() == "" {
			t.Errorf("%s: type %v, help %q", family, f.GetType(), f.GetHelp())
		}
	next:
		for _, m := range f.Metric {
			got := map[string]string{}
			for _, l := range m.Label {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return m.GetGauge().GetValue(), true
		}
		return 0, false
	}
	want := []struct {
		family string
		labels map[string]string
		value  float64
	}{
		{FamilyStepsDone, map[string]string{"profile": "acme", "integration": "vetty-chattr"}, 4},
		{FamilyStepsTotal, map[string]string{"profile": "globex \"west\"", "integration": "certn-lever"}, 6},
		{FamilyState, map[string]string{"profile": "acme", "integration": "vetty-chattr", "state": "needs_attention"}, 1},
		{FamilyState, map[string]string{"profile": "acme", "integration": "vetty-chattr", "state": "complete"}, 0},
		{FamilyAttention, map[string]string{"profile": "acme", "integration": "vetty-chattr"}, 1},
		{FamilyCheckResult, map[string]string{"profile": "acme", "check": "vetty.package_mapping", "result": "drift"}, 1},
		{FamilyCheckResult, map[string]string{"profile": "acme", "check": "vetty.package_mapping", "result": "valid"}, 0},
		{FamilyCheckAge, map[string]string{"profile": "acme", "check": "vetty.package_mapping"}, 42},
		{FamilySecretExpiry, map[string]string{"profile": "acme", "integration": "vetty-chattr", "key": "api_key"}, float64(time.Date(2026, 12, 21, 9, 0, 0, 0, time.UTC).Unix())},
		{FamilyCertnTags, map[string]string{"profile": "globex \"west\"", "tag": "CERTN - Complete (Clear)"}, 11},
		{FamilyCertnTags, map[string]string{"profile": "globex \"west\"", "tag": "CERTN - Submitted"}, 3},
		{FamilyNeedsAttention, map[string]string{"profile": "acme"}, 1},
		{FamilyNeedsAttention, map[string]string{"profile": "globex \"west\""}, 0},
		{FamilyUnchecked, map[string]string{"profile": "acme"}, 0},
	}
	for _, w := range want {
		got, ok := value(w.family, w.labels)
		if !ok || got != w.value {
			t.Errorf("%s%v = %v (found %v), want %v", w.family, w.labels, got, ok, w.value)
		}
	}
	// A secret without an expiry has no expiry series at all.
	if _, ok := value(FamilySecretExpiry, map[string]string{"profile": "globex \"west\""}); ok {
		t.Error("an expiry series for a profile whose secrets do not expire")
	}
}

func TestWriteNoProfilesIsEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, nil); err != nil || buf.Len() != 0 {
		t.Fatalf("%v %q", err, buf.String())
	}
}
