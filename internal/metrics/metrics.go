// Package metrics turns status reports into the Prometheus text exposition
// format, for node_exporter's textfile collector or any scraper. The
// families are built as the Prometheus data model and written by the
// Prometheus project's own encoder, never formatted by hand.
package metrics

import (
	"io"
	"sort"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// Family names, one place: alert rules and dashboards depend on them.
const (
	FamilyStepsDone      = "patchbay_steps_done"
	FamilyStepsTotal     = "patchbay_steps_total"
	FamilyState          = "patchbay_integration_state"
	FamilyAttention      = "patchbay_attention_items"
	FamilyCheckResult    = "patchbay_check_result"
	FamilyCheckAge       = "patchbay_check_age_seconds"
	FamilySecretExpiry   = "patchbay_secret_expiry_timestamp_seconds"
	FamilySecretCreated  = "patchbay_secret_created_timestamp_seconds"
	FamilyCertnTags      = "patchbay_certn_tag_candidates"
	FamilyReportTime     = "patchbay_report_generated_timestamp_seconds"
	FamilyNeedsAttention = "patchbay_profile_needs_attention"
	FamilyUnchecked      = "patchbay_profile_unchecked_checks"
)

// States and results are written as one series per possible value (1 for
// the current one, 0 for the others), so an alert can match on a label and
// a value that disappears never leaves a stale 1 behind.
var (
	allStates = []steps.State{steps.StateNotStarted, steps.StateInProgress, steps.StateComplete, steps.StateNeedsAttention}
	// allResults are the live check results PRODUCT.md lists.
	allResults = []string{
		app.ResultValid, app.ResultUnauthorized, app.ResultForbidden, app.ResultUnreachable,
		app.ResultRateLimited, app.ResultDrift, app.ResultUnknown,
	}
)

// Families builds every metric family of the given reports, sorted by name.
func Families(reports []app.StatusReport) []*dto.MetricFamily {
	fams := map[string]*dto.MetricFamily{}
	add := func(name, help string, typ dto.MetricType, value float64, labels ...string) {
		f, ok := fams[name]
		if !ok {
			f = &dto.MetricFamily{Name: proto.String(name), Help: proto.String(help), Type: typ.Enum()}
			fams[name] = f
		}
		m := &dto.Metric{}
		for i := 0; i+1 < len(labels); i += 2 {
			m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(labels[i]), Value: proto.String(labels[i+1])})
		}
		m.Gauge = &dto.Gauge{Value: proto.Float64(value)}
		f.Metric = append(f.Metric, m)
	}
	gauge := dto.MetricType_GAUGE
	for _, r := range reports {
		add(FamilyReportTime, "When patchbay built this profile's report (Unix seconds).", gauge,
			unix(r.GeneratedAt), "profile", r.Profile)
		add(FamilyNeedsAttention, "1 while anything of the profile needs the admin.", gauge,
			boolf(!r.Healthy()), "profile", r.Profile)
		add(FamilyUnchecked, "Checks of the profile that could not run (vendor unreachable, rate limited, no answer): their verdict is unknown.", gauge,
			float64(r.Unchecked()), "profile", r.Profile)
		for _, in := range r.Integrations {
			p, i := r.Profile, in.ID
			add(FamilyStepsDone, "Steps of the integration that are done.", gauge, float64(in.StepsDone), "profile", p, "integration", i)
			add(FamilyStepsTotal, "Steps the integration has.", gauge, float64(in.StepsTotal), "profile", p, "integration", i)
			for _, s := range allStates {
				add(FamilyState, "1 for the integration's current state, 0 for the others.", gauge, boolf(in.State == s),
					"profile", p, "integration", i, "state", string(s))
			}
			add(FamilyAttention, "How many things of the integration need the admin.", gauge, float64(len(in.Attention)),
				"profile", p, "integration", i)
			for _, c := range in.Checks {
				for _, res := range allResults {
					add(FamilyCheckResult, "1 for the live check's last result, 0 for the others.", gauge, boolf(c.Result == res),
						"profile", p, "integration", i, "check", c.Name, "result", res)
				}
				add(FamilyCheckAge, "Seconds since the live check last ran.", gauge, float64(c.AgeSeconds),
					"profile", p, "integration", i, "check", c.Name)
				for _, tag := range sortedKeys(c.Counts) {
					add(FamilyCertnTags, "Candidates in Lever carrying each CERTN status tag, at the last live check.", gauge,
						float64(c.Counts[tag]), "profile", p, "integration", i, "check", c.Name, "tag", tag)
				}
			}
			for _, sec := range in.Secrets {
				add(FamilySecretCreated, "When the secret was stored (Unix seconds).", gauge, unix(sec.CreatedAt),
					"profile", p, "integration", i, "key", sec.Key)
				if sec.ExpiresAt != nil {
					add(FamilySecretExpiry, "When the secret expires (Unix seconds); alert on it minus time().", gauge,
						unix(*sec.ExpiresAt), "profile", p, "integration", i, "key", sec.Key)
				}
			}
		}
	}
	out := make([]*dto.MetricFamily, 0, len(fams))
	for _, name := range sortedKeys(fams) {
		out = append(out, fams[name])
	}
	return out
}

// Write writes the reports in the Prometheus text exposition format.
func Write(w io.Writer, reports []app.StatusReport) error {
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range Families(reports) {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

func unix(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
