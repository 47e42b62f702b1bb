package app

import (
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
)

// loadedRun starts a run of one step, loaded with l, as a front end would.
func loadedRun(t *testing.T, integration, step string, was StepView, l StepLoad) *StepRun {
	t.Helper()
	in, _ := steps.Lookup(integration)
	iv := IntegrationView{Integration: in}
	for _, st := range in.Steps {
		sv := StepView{Step: st, Status: steps.StatusDone}
		if st.ID == step {
			sv = was
			sv.Step = st
		}
		iv.Steps = append(iv.Steps, sv)
	}
	run, err := NewStepRun(iv, step, false)
	if err != nil {
		t.Fatal(err)
	}
	if l.Input.Values == nil {
		l.Input.Values = map[string]string{}
	}
	run.Loaded(l, nil)
	return run
}

func planOf(run *StepRun, key string) FieldPlan {
	for _, p := range run.Fields() {
		if p.Field.Key == key {
			return p
		}
	}
	return FieldPlan{}
}

func TestStepRunPrefill(t *testing.T) {
	// First run of the options step: what the chosen flow asks for, even
	// over the defaults the backend fills in for a step never done.
	l := StepLoad{Prior: steps.Answers{"charthop-source": {"source": steps.TruthLever}},
		Input: StepInput{Values: map[string]string{steps.OptReverseSync: "false", steps.OptRunDaily: "false"}}}
	run := loadedRun(t, steps.IntegrationChartHopLever, "charthop-options", StepView{}, l)
	for k, want := range steps.RecommendedOptions(steps.TruthLever) {
		if got := planOf(run, k).Value == "true"; got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	// A recorded answer of a step done wins over the recommendation.
	l.Input.Values = map[string]string{steps.OptRunDaily: "false", steps.OptReverseSync: "true"}
	run = loadedRun(t, steps.IntegrationChartHopLever, "charthop-options", StepView{Status: steps.StatusDone}, l)
	if planOf(run, steps.OptRunDaily).Value != "false" {
		t.Error("recorded Run Daily=false was overridden")
	}

	// A stored secret means "keep current"; a recorded checklist comes back ticked.
	run = loadedRun(t, steps.IntegrationChartHopLever, "lever-key", StepView{}, StepLoad{Input: StepInput{
		Values:        map[string]string{"write_permissions": "create_requisitions,update_posting"},
		StoredSecrets: map[string]bool{"api_key": true}}})
	if p := planOf(run, "api_key"); p.Keep != KeepStored || run.CheckField("api_key", "") != nil {
		t.Errorf("empty secret with one stored: keep=%v err=%v", p.Keep, run.CheckField("api_key", ""))
	}
	if v := planOf(run, "write_permissions").Value; v != "create_requisitions,update_posting" {
		t.Errorf("checklist = %q", v)
	}
	// With nothing stored, an empty secret is refused, by its title.
	run = loadedRun(t, steps.IntegrationChartHopLever, "lever-key", StepView{}, StepLoad{})
	if err := run.CheckField("api_key", ""); err == nil || !strings.HasPrefix(err.Error(), "Lever API key") {
		t.Errorf("empty secret with nothing stored: %v", err)
	}
}

// Issue 12: a refused answer is never offered as a default.
func TestStepRunRefusedAnswerIsNotTheDefault(t *testing.T) {
	run := loadedRun(t, steps.IntegrationVettyChattr, "vetty-key", StepView{}, StepLoad{
		Input: StepInput{Values: map[string]string{"user": "ops@acme.test", "ip_allowlist": "203.0.113.0/24", "expiry_months": "24"}}})
	p := run.Submit(map[string]string{"ip_allowlist": "300.1.1.1/8"}, map[string]string{"api_key": "vk_live_7Qm2ZpXs81tRwLc4"})
	if p == nil || p.Field != "ip_allowlist" || !strings.HasPrefix(p.Message, "IP range") {
		t.Fatalf("problem = %+v, want the IP range refused by its title", p)
	}
	if v := planOf(run, "ip_allowlist").Value; v != "203.0.113.0/24" {
		t.Errorf("next default = %q, want the recorded range, not the refused one", v)
	}
}

// Issue 13.2: a package Vetty does not list is refused with the list; with
// Vetty unreachable the mapping is accepted (the check makes it unverified).
func TestStepRunVettyPackages(t *testing.T) {
	listed := []steps.Option{{Value: "Basic"}, {Value: "Driver (MVR)"}}
	run := loadedRun(t, steps.IntegrationVettyChattr, "chattr-packages", StepView{}, StepLoad{
		Options: map[string][]steps.Option{"packages": listed}})
	err := run.CheckField("packages", "Driver=Basic Criminal")
	if err == nil || !strings.Contains(err.Error(), `"Basic Criminal"`) || !strings.Contains(err.Error(), "Basic, Driver (MVR)") {
		t.Fatalf("err = %v, want the package refused with Vetty's list", err)
	}
	if p := run.Submit(map[string]string{"packages": "Driver=driver (mvr)"}, nil); p != nil {
		t.Fatalf("a listed package was refused: %v", p)
	}
	if got := run.Submission().Values["packages"]; got != "Driver=Driver (MVR)" {
		t.Errorf("packages = %q, want Vetty's spelling", got)
	}
	if d := planOf(run, "packages").Description; !strings.Contains(d, "Warehouse Associate=Basic") {
		t.Errorf("the example does not use Vetty's names: %q", d)
	}
	if got := run.Completions("packages", "Warehouse=Basic;Driver=dr"); len(got) != 1 || got[0] != "Warehouse=Basic;Driver=Driver (MVR)" {
		t.Errorf("completions = %q, want the package completed after '='", got)
	}
	if p := planOf(run, "packages"); !p.Completes || strings.Contains(p.Description, "ctrl+e") {
		// The key is the full-screen form's to name: the accessible prompts have none.
		t.Errorf("completes = %v, description = %q", p.Completes, p.Description)
	}

	offline := loadedRun(t, steps.IntegrationVettyChattr, "chattr-packages", StepView{}, StepLoad{
		OptErr: map[string]error{"packages": ErrNoOptions}})
	if err := offline.CheckField("packages", "Driver=Basic Criminal"); err != nil {
		t.Errorf("offline, the mapping was refused: %v", err)
	}
	if planOf(offline, "packages").Completes {
		t.Error("offline, completion is offered with nothing to complete from")
	}
}

// Issue 13.3: re-running vetty-key with the key kept and a new expiry
// moves the countdown.
func TestRerunKeptKeyTakesNewExpiry(t *testing.T) {
	e := newTestEnv(t)
	const in = "vetty-chattr"
	values := map[string]string{"user": "ops@acme.test", "ip_allowlist": "203.0.113.0/24", "expiry_months": "24"}
	e.run(t, in, "vetty-key", values, map[string]string{"api_key": "vk_live_7Qm2ZpXs81tRwLc4"})
	created := e.now
	e.now = e.now.Add(48 * time.Hour)
	values["expiry_months"] = "1"
	e.run(t, in, "vetty-key", values, nil)
	iv := e.integration(t, in)
	if len(iv.Secrets) != 1 {
		t.Fatalf("secrets = %+v", iv.Secrets)
	}
	if got, want := iv.Secrets[0].ExpiresAt, created.AddDate(0, 1, 0); !got.Equal(want) {
		t.Errorf("expires %s, want %s (one month after the key was created)", got, want)
	}
}
