package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// stepScenario is one row of internal/app/testdata/step_scenarios.json,
// the table every front end runs (cmd/patchbay runs it scripted).
type stepScenario struct {
	Name        string            `json:"name"`
	Integration string            `json:"integration"`
	Step        string            `json:"step"`
	Before      []scenarioStep    `json:"before"`
	Values      map[string]string `json:"values"`
	Secrets     map[string]string `json:"secrets"`
	Vendor      string            `json:"vendor"`
	Want        struct {
		Result  string `json:"result"`
		Proof   string `json:"proof"`
		Detail  string `json:"detail"`
		Advice  string `json:"advice"`
		Refused string `json:"refused"`
		Handoff string `json:"handoff"`
	} `json:"want"`
}

type scenarioStep struct {
	Step    string            `json:"step"`
	Values  map[string]string `json:"values"`
	Secrets map[string]string `json:"secrets"`
}

func loadStepScenarios(t *testing.T) []stepScenario {
	t.Helper()
	b, err := os.ReadFile("../app/testdata/step_scenarios.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Scenarios []stepScenario `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Scenarios
}

// scenarioService is the real service on a temp database, an in-memory
// secrets store and the stand-ins, with the scenario's earlier steps done;
// with the vendor down, nothing answers at the vendors' addresses.
func scenarioService(t *testing.T, sc stepScenario) *app.Service {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "patchbay.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	svc := &app.Service{DB: db, Secrets: secrets.NewMemory(), Profile: "acme",
		Vendors: &app.Vendors{Timeout: 5 * time.Second, URLs: &app.URLs{
			Lever: srv.LeverURL, Certn: srv.CertnURL, Vetty: srv.VettyURL, ChartHop: srv.ChartHopURL}}}
	for _, b := range sc.Before {
		sub := app.Submission{Integration: sc.Integration, Step: b.Step, Values: b.Values, Secrets: b.Secrets}
		out, err := svc.Check(ctx, sub)
		if err != nil || !out.OK {
			t.Fatalf("before %s: %v %+v", b.Step, err, out)
		}
		if err := svc.Complete(ctx, sub, out); err != nil {
			t.Fatalf("before %s: %v", b.Step, err)
		}
	}
	if sc.Vendor == "down" {
		dead := httptest.NewServer(nil)
		dead.Close()
		svc.Vendors = &app.Vendors{Timeout: 2 * time.Second, URLs: &app.URLs{Lever: dead.URL, Certn: dead.URL, Vetty: dead.URL, ChartHop: dead.URL}}
	}
	return svc
}

// The scenario table through the full-screen step screen (issue 12 item 6).
func TestStepScenariosFullScreen(t *testing.T) {
	for _, sc := range loadStepScenarios(t) {
		t.Run(sc.Name, func(t *testing.T) {
			fb := newFakeBackend(app.Overview{})
			fb.real = scenarioService(t, sc)
			h := newHarness(t, fb, 250, 80, withMode(ModeRunStep, sc.Integration, sc.Step))
			h.press("enter") // instructions → form
			for _, v := range h.m.step.vals {
				answerField(h, v, sc)
			}
			st := h.m.step
			if st.phase == phaseFailed && sc.Want.Result == "done" && sc.Want.Proof == string(steps.ProofUnverified) {
				h.press("u")
			}
			run, want := st.run, sc.Want
			var shown []string
			switch want.Result {
			case "done":
				if st.phase != phaseDone || string(run.Outcome().Proof) != want.Proof {
					t.Fatalf("phase %v proof %q, want done %s:\n%s", st.phase, run.Outcome().Proof, want.Proof, h.view())
				}
				shown = []string{run.Outcome().Detail, run.Handoff()}
			case "failed":
				if st.phase != phaseFailed {
					t.Fatalf("phase %v, want a failed check:\n%s", st.phase, h.view())
				}
				f := run.Failure()
				shown = []string{f.Detail, f.Fix}
			case "refused":
				if st.phase != phaseForm || len(fb.checks) != 0 {
					t.Fatalf("phase %v, %d checks; want the answer refused:\n%s", st.phase, len(fb.checks), h.view())
				}
				shown = []string{st.formErr + " " + h.view()}
			}
			for _, s := range []string{want.Detail, want.Advice, want.Refused, want.Handoff} {
				if s != "" && !strings.Contains(strings.Join(shown, "\n"), s) {
					t.Errorf("the admin is not shown %q:\n%s", s, strings.Join(shown, "\n"))
				}
			}
		})
	}
}

// answerField answers one field of the open form with the scenario's
// answer, or keeps the pre-filled one.
func answerField(h *harness, v *formValue, sc stepScenario) {
	h.t.Helper()
	f := v.field
	val, given := sc.Values[f.Key]
	switch {
	case f.IsSecret():
		h.typeText(sc.Secrets[f.Key])
		h.press("enter")
	case f.Kind == steps.KindToggle || f.Kind == steps.KindConfirm:
		if given && val == "true" {
			h.press("y")
		} else if given {
			h.press("n")
		} else {
			h.press("enter")
		}
	case v.plan.Choice && f.Kind == steps.KindSelect:
		if given {
			for range v.plan.Options {
				h.press("up")
			}
			i := slices.IndexFunc(v.plan.Options, func(o steps.Option) bool { return o.Value == val })
			for range i {
				h.press("down")
			}
		}
		h.press("enter")
	default:
		if given {
			h.press("ctrl+u")
			h.typeText(val)
		}
		h.press("enter")
	}
}

// The scenario table through accessible mode (issue 12 item 6).
func TestStepScenariosAccessible(t *testing.T) {
	for _, sc := range loadStepScenarios(t) {
		t.Run(sc.Name, func(t *testing.T) {
			svc := scenarioService(t, sc)
			fb := newFakeBackend(app.Overview{})
			fb.real = svc
			fb.inCmd.Store(true) // no Bubble Tea loop here: direct calls are the design
			var lines []string
			in, _ := steps.Lookup(sc.Integration)
			st, _ := in.Step(sc.Step)
			for _, it := range st.Copy {
				if it.Secret != "" {
					lines = append(lines, "n") // no copy to the clipboard
				}
			}
			for _, f := range st.Fields {
				val, given := sc.Values[f.Key]
				switch {
				case f.IsSecret():
					lines = append(lines, sc.Secrets[f.Key])
				case !given:
					lines = append(lines, "")
				case f.Kind == steps.KindToggle || f.Kind == steps.KindConfirm:
					lines = append(lines, map[bool]string{true: "y", false: "n"}[val == "true"])
				case f.Kind == steps.KindSelect && len(f.Options) > 0:
					i := slices.IndexFunc(f.Options, func(o steps.Option) bool { return o.Value == val })
					lines = append(lines, strconv.Itoa(i+1))
				default:
					lines = append(lines, val)
				}
			}
			lines = append(lines, "3", "n") // after a failed check: stop (or complete unverified); no hand-off copy
			var out bytes.Buffer
			err := RunAccessible(context.Background(), Options{Backend: fb, Profile: "acme", Mode: ModeRunStep,
				StartIntegration: sc.Integration, StartStep: sc.Step}, strings.NewReader(strings.Join(lines, "\n")+"\n"), &out)
			text, want := out.String(), sc.Want
			switch want.Result {
			case "done":
				if err != nil || !strings.Contains(text, "done ✓ proof: "+want.Proof) {
					t.Fatalf("err %v, want done %s:\n%s", err, want.Proof, text)
				}
			case "failed":
				// Stopped there, the run fails as the scripted one does.
				if !errors.Is(err, app.ErrCheckFailed) || !strings.Contains(text, "The check failed. Nothing was saved.") {
					t.Fatalf("err %v, want a failed check:\n%s", err, text)
				}
			case "refused":
				if !errors.Is(err, ErrInputEnded) || len(fb.checks) != 0 {
					t.Fatalf("err %v, %d checks; want the answer refused until the input ended:\n%s", err, len(fb.checks), text)
				}
			}
			for _, s := range []string{want.Detail, want.Advice, want.Refused, want.Handoff} {
				if s != "" && !strings.Contains(text, s) {
					t.Errorf("output lacks %q:\n%s", s, text)
				}
			}
		})
	}
}

// Issue 13.6: the hire webhook in the right order: the secret is taken
// first and stored, then offered for Lever from the store, then confirmed.
func TestHireWebhookSecretFirstThenCopyThenConfirm(t *testing.T) {
	fb := newFakeBackend(app.Overview{})
	fb.real = scenarioService(t, stepScenario{Integration: steps.IntegrationChartHopLever, Before: []scenarioStep{
		{Step: "lever-key", Values: map[string]string{"region": "us", "write_permissions": "create_requisitions,delete_requisitions,update_posting,update_requisition_fields"},
			Secrets: map[string]string{"api_key": "lever-key-charthop-0000-aa11"}},
		{Step: "charthop-install", Values: map[string]string{"confirmed": "true"}},
		{Step: "charthop-connect", Values: map[string]string{"confirmed": "true"}},
		{Step: "charthop-source", Values: map[string]string{"source": "charthop"}},
		{Step: "charthop-options", Values: map[string]string{"run_daily": "true", "sync_on_change": "true", "reconciliation": "true"}},
	}})
	h := newHarness(t, fb, 120, 40, withMode(ModeSetup, steps.IntegrationChartHopLever, ""))
	h.mustSee("Store ChartHop's webhook secret key")
	h.press("enter")
	h.typeText("chwh_secret_0123456789abcdef")
	h.press("enter")
	h.mustSee("done ✓", "enter: next step — Send new hires from Lever to ChartHop")
	h.press("enter")
	h.mustSee("Send new hires from Lever to ChartHop", "[1] ChartHop webhook secret key")
	h.press("c")
	h.mustSee("copied ✓ (value hidden): ChartHop webhook secret key")
	if len(h.osc52) != 1 || h.osc52[0] != "chwh_secret_0123456789abcdef" {
		t.Fatalf("the stored secret was not offered for Lever: %d copies", len(h.osc52))
	}
	h.press("enter", "y")
	h.mustSee("done ✓ proof: attested")
}
