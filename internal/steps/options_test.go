package steps

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// oracle is PRODUCT.md 1.3 written a second time, as plain conditions,
// without the rule table: what is blocking, what is recommended, and which
// toggles are available, for one source and one set of toggles.
type oracleResult struct {
	violations      []string // "kind:option" sorted
	recommendations []string
	available       map[string]bool
}

func oracle(source string, rd, soc, rs, rec, rld bool) oracleResult {
	_ = rld // free in both flows: appears in no rule
	var r oracleResult
	if soc && rs {
		r.violations = append(r.violations, "excludes:sync_on_change+reverse_sync")
	}
	if rec && rs {
		r.violations = append(r.violations, "excludes:reconciliation+reverse_sync")
	}
	outbound, inbound := source == "charthop", source == "lever"
	if outbound {
		if rs {
			r.violations = append(r.violations, "unavailable:reverse_sync")
		}
		if !soc {
			r.violations = append(r.violations, "requires:sync_on_change")
		}
		if !rec {
			r.recommendations = append(r.recommendations, "recommends:reconciliation")
		}
		if !rd {
			r.recommendations = append(r.recommendations, "recommends:run_daily")
		}
	}
	if inbound {
		if soc {
			r.violations = append(r.violations, "unavailable:sync_on_change")
		}
		if rec {
			r.violations = append(r.violations, "unavailable:reconciliation")
		}
		if !rs {
			r.violations = append(r.violations, "requires:reverse_sync")
		}
		if !rd {
			r.recommendations = append(r.recommendations, "recommends:run_daily")
		}
	}
	slices.Sort(r.violations)
	slices.Sort(r.recommendations)
	r.available = map[string]bool{
		"run_daily":               true,
		"remote_location_default": true,
		"sync_on_change":          !inbound && !rs,
		"reconciliation":          !inbound && !rs,
		"reverse_sync":            !outbound && !soc && !rec,
	}
	return r
}

func findingKeys(fs []OptionFinding) []string {
	var keys []string
	for _, f := range fs {
		k := string(f.Rule.Kind) + ":" + f.Rule.Option
		if f.Rule.Kind == RuleExcludes {
			k += "+" + f.Rule.Other
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestEvaluateOptionsAllCombinations(t *testing.T) {
	combos := 0
	for _, source := range []string{TruthChartHop, TruthLever} {
		for mask := range 32 {
			combos++
			rd, soc, rs, rec, rld := mask&1 != 0, mask&2 != 0, mask&4 != 0, mask&8 != 0, mask&16 != 0
			on := map[string]bool{"run_daily": rd, "sync_on_change": soc, "reverse_sync": rs, "reconciliation": rec, "remote_location_default": rld}
			name := fmt.Sprintf("%s/rd=%v,soc=%v,rs=%v,rec=%v,rld=%v", source, rd, soc, rs, rec, rld)
			want := oracle(source, rd, soc, rs, rec, rld)
			ev := EvaluateOptions(source, on)

			if got := findingKeys(ev.Violations); !slices.Equal(got, want.violations) {
				t.Errorf("%s: violations %v, want %v", name, got, want.violations)
			}
			if got := findingKeys(ev.Recommendations); !slices.Equal(got, want.recommendations) {
				t.Errorf("%s: recommendations %v, want %v", name, got, want.recommendations)
			}
			if ev.OK() != (len(want.violations) == 0) || (ev.Err() == nil) != ev.OK() {
				t.Errorf("%s: OK=%v Err=%v with %d violations", name, ev.OK(), ev.Err(), len(want.violations))
			}
			if !slices.Equal(toggleKeys(ev.Toggles), OptionKeys()) {
				t.Errorf("%s: toggles %v", name, toggleKeys(ev.Toggles))
			}
			for _, tg := range ev.Toggles {
				if tg.On != on[tg.Key] {
					t.Errorf("%s: %s On=%v", name, tg.Key, tg.On)
				}
				if tg.Available != want.available[tg.Key] {
					t.Errorf("%s: %s available=%v, want %v", name, tg.Key, tg.Available, want.available[tg.Key])
				}
				if tg.Available != (tg.Reason == "") {
					t.Errorf("%s: %s available=%v but reason %q", name, tg.Key, tg.Available, tg.Reason)
				}
				if !tg.Available && !validReason(tg, source, on) {
					t.Errorf("%s: %s reason %q does not name the cause", name, tg.Key, tg.Reason)
				}
			}

			// The step's validator agrees with the evaluation.
			values := map[string]string{}
			for k, v := range on {
				values[k] = fmt.Sprint(v)
			}
			warns, err := ValidateOptions(source, values)
			if (err == nil) != (len(want.violations) == 0) {
				t.Errorf("%s: ValidateOptions err = %v, want violations %v", name, err, want.violations)
			}
			if err != nil && !errors.Is(err, ErrOptionRules) {
				t.Errorf("%s: ValidateOptions err %v does not wrap ErrOptionRules", name, err)
			}
			if len(warns) != len(want.recommendations) {
				t.Errorf("%s: %d warnings, want %d", name, len(warns), len(want.recommendations))
			}
		}
	}
	if combos != 64 {
		t.Fatalf("covered %d combinations, want 64", combos)
	}
}

func toggleKeys(ts []ToggleEval) []string {
	var ks []string
	for _, t := range ts {
		ks = append(ks, t.Key)
	}
	return ks
}

// validReason: an unavailable toggle's reason names the source, or a toggle
// that is on and excludes it ("off because Reverse Sync is on").
func validReason(tg ToggleEval, source string, on map[string]bool) bool {
	if strings.HasPrefix(tg.Reason, "off because the source of truth is ") {
		return (source == TruthLever && (tg.Key == OptSyncOnChange || tg.Key == OptReconciliation)) ||
			(source == TruthChartHop && tg.Key == OptReverseSync)
	}
	excluders := map[string][]string{
		OptSyncOnChange:   {OptReverseSync},
		OptReconciliation: {OptReverseSync},
		OptReverseSync:    {OptSyncOnChange, OptReconciliation},
	}
	for _, other := range excluders[tg.Key] {
		if on[other] && tg.Reason == "off because "+optionLabel(other)+" is on" {
			return true
		}
	}
	return false
}

func TestOptionRulesTable(t *testing.T) {
	rules := optionRules
	if len(rules) != 10 {
		t.Errorf("%d rules, want 10", len(rules))
	}
	keys := OptionKeys()
	for _, r := range rules {
		if !slices.Contains(keys, r.Option) || r.Reason == "" {
			t.Errorf("rule %+v: unknown option or no reason", r)
		}
		switch r.Kind {
		case RuleExcludes:
			if !slices.Contains(keys, r.Other) || r.Source != "" || r.OurReading {
				t.Errorf("exclusion %+v must name another toggle, no source, and be the article's", r)
			}
		case RuleUnavailable:
			if r.Source == "" || r.OurReading {
				t.Errorf("availability rule %+v must name a source", r)
			}
		case RuleRequires, RuleRecommends:
			if r.Source == "" || !r.OurReading {
				t.Errorf("required/recommended rule %+v must name a source and be marked as our reading", r)
			}
		default:
			t.Errorf("rule %+v: unknown kind", r)
		}
		if r.Option == OptRemoteLocationDefault || r.Other == OptRemoteLocationDefault {
			t.Errorf("rule %+v touches Remote Location As Default, which is free", r)
		}
	}
}

func TestRecommendedOptionsSatisfyTheTable(t *testing.T) {
	for _, src := range []string{TruthChartHop, TruthLever} {
		on := RecommendedOptions(src)
		ev := EvaluateOptions(src, on)
		if !ev.OK() || len(ev.Recommendations) > 0 {
			t.Errorf("%s: recommended options %v give %v / %v", src, on, ev.Violations, ev.Recommendations)
		}
		if len(on) != len(OptionKeys()) {
			t.Errorf("%s: %d toggles, want %d", src, len(on), len(OptionKeys()))
		}
	}
}

func TestReasonsAndNotes(t *testing.T) {
	ev := EvaluateOptions(TruthChartHop, map[string]bool{OptSyncOnChange: true, OptReverseSync: false})
	for _, tg := range ev.Toggles {
		switch tg.Key {
		case OptSyncOnChange:
			if !tg.Required || !strings.Contains(tg.Note, OurReadingNote) {
				t.Errorf("sync_on_change: required=%v note=%q", tg.Required, tg.Note)
			}
		case OptReconciliation, OptRunDaily:
			if !tg.Recommended || !strings.Contains(tg.Note, OurReadingNote) {
				t.Errorf("%s: recommended=%v note=%q", tg.Key, tg.Recommended, tg.Note)
			}
		case OptReverseSync:
			if tg.Available || !strings.Contains(tg.Reason, "ChartHop (outbound)") {
				t.Errorf("reverse_sync: available=%v reason=%q", tg.Available, tg.Reason)
			}
		}
	}
	ev = EvaluateOptions("", map[string]bool{OptReverseSync: true})
	for _, tg := range ev.Toggles {
		if tg.Key == OptSyncOnChange && tg.Reason != "off because Reverse Sync is on" {
			t.Errorf("without a source, sync_on_change reason = %q", tg.Reason)
		}
	}
	if !ev.OK() {
		t.Errorf("without a source only exclusions apply; got %v", ev.Violations)
	}
}

func TestValidateOptionsInputs(t *testing.T) {
	if _, err := ValidateOptions("", nil); !errors.Is(err, ErrPrerequisite) {
		t.Errorf("no source: %v", err)
	}
	if _, err := ValidateOptions("workday", nil); !errors.Is(err, ErrPrerequisite) {
		t.Errorf("bad source: %v", err)
	}
	_, err := ValidateOptions(TruthLever, map[string]string{OptReverseSync: "perhaps"})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != OptReverseSync {
		t.Errorf("bad toggle: %v", err)
	}
	_, err = ValidateOptions(TruthChartHop, map[string]string{OptSyncOnChange: "true", OptReverseSync: "true"})
	for _, want := range []string{"Sync On Change and Reverse Sync cannot both be on", "Reverse Sync is on but unavailable"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// optionLabel returns a toggle's label as ChartHop shows it.
func optionLabel(key string) string {
	for _, t := range optionToggles {
		if t.Key == key {
			return t.Label
		}
	}
	return key
}
