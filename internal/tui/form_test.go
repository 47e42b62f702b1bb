package tui

import (
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// newRun starts a loaded run of one step, for form tests.
func newRun(t *testing.T, integration, step string, l app.StepLoad) *app.StepRun {
	t.Helper()
	in, _ := steps.Lookup(integration)
	run, err := app.NewStepRun(app.IntegrationView{Integration: in}, step, false)
	if err != nil {
		t.Fatal(err)
	}
	if l.Input.Values == nil {
		l.Input.Values = map[string]string{}
	}
	run.Loaded(l, nil)
	return run
}

// Huh evaluates a DescriptionFunc inside a command, on another goroutine,
// while the UI goroutine flips toggles: the rules must read them safely
// (run with -race).
func TestOptionRulesReadTogglesSafely(t *testing.T) {
	run := newRun(t, steps.IntegrationChartHopLever, "charthop-options",
		app.StepLoad{Prior: steps.Answers{"charthop-source": {"source": steps.TruthChartHop}}})
	rules := run.Rules()
	if rules == nil || rules.Source != steps.TruthChartHop {
		t.Fatalf("rules = %+v", rules)
	}
	vals := newFormValues(run.Fields())
	linkToggles(vals)
	f := vals[2].field

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			_ = rules.Describe(f, togglesOn(vals))
		}
	}()
	for i := 0; i < 200; i++ {
		boolAccessor{v: vals[2], all: vals, rules: rules}.Set(i%2 == 0)
	}
	wg.Wait()
}

// An unavailable toggle cannot be switched on from the form (issue 13.5).
func TestUnavailableToggleStaysOff(t *testing.T) {
	run := newRun(t, steps.IntegrationChartHopLever, "charthop-options",
		app.StepLoad{Prior: steps.Answers{"charthop-source": {"source": steps.TruthChartHop}}})
	vals := newFormValues(run.Fields())
	linkToggles(vals)
	for _, v := range vals {
		if v.field.Key == steps.OptReverseSync {
			boolAccessor{v: v, all: vals, rules: run.Rules()}.Set(true)
			if v.on.Load() {
				t.Fatal("Reverse Sync switched on although ChartHop is the source of truth")
			}
		}
	}
}
