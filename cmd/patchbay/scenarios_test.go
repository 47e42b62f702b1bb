package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
)

// stepScenario is one row of internal/app/testdata/step_scenarios.json,
// the table every front end runs.
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
	b, err := os.ReadFile("../../internal/app/testdata/step_scenarios.json")
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

// setArgs turns answers into `run` arguments: values as --set KEY=VALUE, the
// one secret from standard input.
func setArgs(values, secrets map[string]string) (args []string, stdin string) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--set", k+"="+values[k])
	}
	for k, v := range secrets {
		args = append(args, "--set", k+"=@-")
		stdin = v
	}
	return args, stdin
}

// The scenario table through scripted `run` (issue 12 item 6).
func TestStepScenariosScripted(t *testing.T) {
	for _, sc := range loadStepScenarios(t) {
		t.Run(sc.Name, func(t *testing.T) {
			c := newCLI(t)
			c.withStandins()
			c.withVault()
			for i, b := range sc.Before {
				args, stdin := setArgs(b.Values, b.Secrets)
				if i == 0 {
					args = append([]string{"--secrets", "vault"}, append([]string{"run", sc.Integration + "/" + b.Step}, args...)...)
				} else {
					args = append([]string{"run", sc.Integration + "/" + b.Step}, args...)
				}
				c.must(stdin, args...)
			}
			if sc.Vendor == "down" {
				dead := httptest.NewServer(nil)
				dead.Close()
				for _, v := range []string{"LEVER", "CERTN", "VETTY", "CHARTHOP"} {
					c.env["PATCHBAY_"+v+"_URL"] = dead.URL
				}
			}
			args, stdin := setArgs(sc.Values, sc.Secrets)
			args = append([]string{"run", sc.Integration + "/" + sc.Step}, args...)
			if len(sc.Before) == 0 {
				args = append([]string{"--secrets", "vault"}, args...)
			}
			r := c.run(stdin, args...)
			all := r.out + r.err
			want := sc.Want
			switch want.Result {
			case "done":
				if r.code != 0 {
					t.Fatalf("exit %d, want 0:\n%s", r.code, all)
				}
				mark := "done — " + want.Proof
				if want.Proof == "unverified" {
					mark = "done, unverified"
				}
				if !strings.Contains(r.out, mark) {
					t.Errorf("output lacks %q:\n%s", mark, all)
				}
			case "refused":
				if r.code != exitUsage {
					t.Fatalf("exit %d, want 2:\n%s", r.code, all)
				}
			case "failed":
				if r.code != exitError || !strings.Contains(r.out, "check failed") {
					t.Fatalf("exit %d, want 1 and a failed check:\n%s", r.code, all)
				}
			}
			for _, s := range []string{want.Detail, want.Advice, want.Refused, want.Handoff} {
				if s != "" && !strings.Contains(all, s) {
					t.Errorf("output lacks %q:\n%s", s, all)
				}
			}
		})
	}
}

// Issue 13.12: a scripted run suggests the scripted next command, not setup.
func TestScriptedRunSuggestsScriptedNext(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	r := c.must(cliVettyKey1, "--secrets", "vault", "run", "vetty-chattr/vetty-key", "--set", "user=ops@acme.test", "--set", "api_key=@-")
	if want := "next: patchbay run vetty-chattr/vetty-webhook --set confirmed=true"; !strings.Contains(r.out, want) {
		t.Errorf("output lacks %q:\n%s", want, r.out)
	}
	if strings.Contains(r.out, "patchbay setup") {
		t.Errorf("a scripted run suggests setup:\n%s", r.out)
	}
}

// Issue 12: scripted defaults equal the form's: a first run of the options
// step starts from what the chosen flow recommends, not from all off.
func TestScriptedOptionsDefaultToTheFlowsRecommendation(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.must("", "--secrets", "vault", "run", "charthop-lever/charthop-source", "--set", "source=charthop")
	r := c.must("", "run", "charthop-lever/charthop-options", "--set", "remote_location_default=false")
	if strings.Contains(r.out, "is required") || strings.Contains(r.out, "is recommended") {
		t.Errorf("the recommended options were not the defaults:\n%s", r.out)
	}
	db, err := store.Open(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	states, err := db.StepStates(context.Background(), "default", "charthop-lever")
	if err != nil {
		t.Fatal(err)
	}
	got := states["charthop-options"].Values
	for k, want := range steps.RecommendedOptions(steps.TruthChartHop) {
		if (got[k] == "true") != want {
			t.Errorf("%s = %q, want %v (the form's pre-fill)", k, got[k], want)
		}
	}
}

// Issue 13.3: a re-run of vetty-key that keeps the key and sets a new
// expiry moves the countdown in status --json (and after a live refresh).
func TestRerunKeptKeyNewExpiryInStatus(t *testing.T) {
	c := newCLI(t)
	c.withStandins()
	c.withVault()
	c.must(cliVettyKey1, "--secrets", "vault", "run", "vetty-chattr/vetty-key", "--set", "user=ops@acme.test", "--set", "expiry_months=24", "--set", "api_key=@-")
	c.must("", "run", "vetty-chattr/vetty-key", "--set", "expiry_months=1")
	for _, args := range [][]string{{"status", "--json"}, {"status", "--live", "--json"}} {
		r := c.run("", args...)
		var st struct {
			Integrations []struct {
				ID      string `json:"id"`
				Secrets []struct {
					Key       string `json:"key"`
					CreatedAt string `json:"created_at"`
					ExpiresAt string `json:"expires_at"`
				} `json:"secrets"`
			} `json:"integrations"`
		}
		if err := json.Unmarshal([]byte(r.out), &st); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, r.out)
		}
		found := false
		for _, in := range st.Integrations {
			for _, s := range in.Secrets {
				if in.ID != "vetty-chattr" || s.Key != "api_key" {
					continue
				}
				found = true
				created, err1 := time.Parse(time.RFC3339, s.CreatedAt)
				expires, err2 := time.Parse(time.RFC3339, s.ExpiresAt)
				if err1 != nil || err2 != nil {
					t.Fatalf("%v: times %q %q", args, s.CreatedAt, s.ExpiresAt)
				}
				if want := created.AddDate(0, 1, 0); !expires.Equal(want) {
					t.Errorf("%v: expires %s, want %s (one month after creation)", args, expires, want)
				}
			}
		}
		if !found {
			t.Fatalf("%v: no vetty-chattr api_key in:\n%s", args, r.out)
		}
	}
}
