package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/steps"
)

// Every check the catalog names is an entry of the live-check table, and a
// step that creates a secret checks that very secret: the dashboard's
// check of a stored secret is the Check of the step creating it.
func TestCatalogChecksAreInTheTable(t *testing.T) {
	for _, in := range steps.Catalog() {
		for _, st := range in.Steps {
			for _, kind := range []steps.CheckKind{st.Check, st.Drift} {
				if _, ok := liveChecks[kind]; kind != steps.CheckNone && !ok {
					t.Errorf("%s/%s names check %q, which the table lacks", in.ID, st.ID, kind)
				}
			}
			if lc, ok := liveChecks[st.Check]; ok && len(st.Creates) > 0 && !slices.Contains(st.Creates, lc.secret) {
				t.Errorf("%s/%s creates %v but its check reads %q", in.ID, st.ID, st.Creates, lc.secret)
			}
			if lc, ok := liveChecks[st.Drift]; ok && lc.row == "" {
				t.Errorf("%s/%s: drift check %q has no dashboard row name", in.ID, st.ID, st.Drift)
			}
		}
		for _, kind := range in.Signals {
			if lc, ok := liveChecks[kind]; !ok || lc.row == "" {
				t.Errorf("%s: signal %q is not a named entry of the table", in.ID, kind)
			}
		}
	}
}

// A step's check and the dashboard read one verdict: re-running the Lever
// key step and refreshing word the same vendor answer alike.
func TestStepAndDashboardWordOneVerdict(t *testing.T) {
	e := newLiveEnv(t)
	liveCertnLever(t, e, liveCertnKey)
	e.srv.Lever.SetFault(standin.Fault{Kind: standin.FaultServerError})
	ctx := context.Background()
	out, err := e.svc.Check(ctx, Submission{Integration: "certn-lever", Step: "lever-key", Values: map[string]string{"region": "us"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.OK || out.Detail == "" {
		t.Fatalf("step outcome %+v, want a failed check", out)
	}
	s, err := NewRefresher(e.svc, RefreshOptions{Interval: time.Hour}).RefreshAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	row := findOutcome(t, s, "certn-lever", SecretCheckName("api_key"))
	if !strings.HasPrefix(row.Detail, out.Detail) {
		t.Errorf("the dashboard says %q, the step %q", row.Detail, out.Detail)
	}
}
