package tui

import (
	"sync"
	"testing"

	"github.com/patchbay/patchbay/internal/steps"
)

// Huh evaluates a DescriptionFunc inside a command, on another goroutine,
// while the UI goroutine flips toggles: the rules must read them safely
// (run with -race).
func TestOptionRulesReadTogglesSafely(t *testing.T) {
	in, _ := steps.Lookup(steps.IntegrationChartHopLever)
	st, _ := in.Step("charthop-options")
	prior := steps.Answers{"charthop-source": {"source": steps.TruthChartHop}}
	rules := rulesFor(st, prior)
	if rules == nil || rules.source != steps.TruthChartHop {
		t.Fatalf("rules = %+v", rules)
	}
	vals := newFormValues(formSpec{step: st, rules: rules})
	linkToggles(vals)
	f, _ := st.Field(steps.OptReverseSync)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			_ = rules.describe(f, vals)
		}
	}()
	for i := 0; i < 200; i++ {
		boolAccessor{vals[2]}.Set(i%2 == 0)
	}
	wg.Wait()
}

func TestFormValuesPrefill(t *testing.T) {
	in, _ := steps.Lookup(steps.IntegrationChartHopLever)
	opts, _ := in.Step("charthop-options")
	key, _ := in.Step("lever-key")

	// First run of the options step: what the chosen flow asks for.
	vals := newFormValues(formSpec{step: opts, rules: &optionRules{source: steps.TruthLever}})
	got := togglesOn(vals)
	want := steps.RecommendedOptions(steps.TruthLever)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	// Defaults the backend fills in for a step never done do not count as
	// answers.
	vals = newFormValues(formSpec{step: opts, rules: &optionRules{source: steps.TruthLever}, fresh: true,
		answers: map[string]string{steps.OptReverseSync: "false", steps.OptRunDaily: "false"}})
	if got := togglesOn(vals); !got[steps.OptReverseSync] || !got[steps.OptRunDaily] {
		t.Errorf("fresh options step = %v, want the inbound recommendation", got)
	}
	// A recorded answer wins over the recommendation.
	vals = newFormValues(formSpec{step: opts, rules: &optionRules{source: steps.TruthLever},
		answers: map[string]string{steps.OptRunDaily: "false"}})
	if togglesOn(vals)[steps.OptRunDaily] {
		t.Error("recorded Run Daily=false was overridden")
	}

	// A stored secret means "keep current"; a recorded checklist comes back ticked.
	vals = newFormValues(formSpec{step: key, stored: map[string]bool{"api_key": true},
		answers: map[string]string{"write_permissions": "create_requisitions,update_posting"}})
	for _, v := range vals {
		switch v.field.Key {
		case "api_key":
			if v.keep != keepStored || v.checkValue("") != nil {
				t.Errorf("empty secret with one stored: keep=%v err=%v", v.keep, v.checkValue(""))
			}
		case "write_permissions":
			if v.encode() != "create_requisitions,update_posting" {
				t.Errorf("checklist = %q", v.encode())
			}
		}
	}
	// With nothing stored, an empty secret is refused.
	vals = newFormValues(formSpec{step: key})
	for _, v := range vals {
		if v.field.Key == "api_key" && v.checkValue("") == nil {
			t.Error("empty secret accepted with nothing stored")
		}
	}
}
