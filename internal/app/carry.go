package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// CarriedVersion is the version of the carried-setup format export writes
// and apply reads.
const CarriedVersion = 1

// Carried is a profile's setup as it is carried to another customer: the
// non-secret answers of every done step that is not attested (one
// customer's confirmations are never another's), except the answers that
// are each customer's own (steps.PerCustomerAnswers), and, for each secret
// field, a reference saying where apply finds the value — never the value.
type Carried struct {
	Version int
	Steps   []CarriedStep // in catalog order
}

// CarriedStep is one step's answers: field key → value or secret reference.
type CarriedStep struct {
	Integration string
	Step        string
	Values      map[string]string
	// Left are the step's per-customer answers export left out, so the
	// file can say so; a file read back has none.
	Left []steps.PerCustomer
}

// Secret references name where a secret's value comes from when a carried
// setup is applied. Literal values are refused: a file that travels between
// customers must not hold one.
const (
	SecretRefEnv  = "env:"
	SecretRefFile = "file:"
)

// SecretEnvPrefix begins every variable an env: reference may name.
const SecretEnvPrefix = "PATCHBAY_SECRET_"

// SecretEnvName is the environment variable export names for a secret:
// PATCHBAY_SECRET_<INTEGRATION>_<KEY>, upper case, '-' as '_'.
func SecretEnvName(integration, key string) string {
	up := strings.ToUpper(strings.ReplaceAll(integration+"_"+key, "-", "_"))
	return SecretEnvPrefix + up
}

// ErrLiteralSecret is apply's refusal of a secret written into the file.
var ErrLiteralSecret = errors.New("a secret is written literally in the file")

// ErrCarried marks a carried file that does not fit the catalog.
var ErrCarried = errors.New("the carried setup does not fit")

// Export carries the profile's done, non-attested steps.
func (s *Service) Export(ctx context.Context) (Carried, error) {
	all, err := s.DB.AllStepStates(ctx, s.Profile)
	if err != nil {
		return Carried{}, err
	}
	c := Carried{Version: CarriedVersion}
	for _, in := range steps.Catalog() {
		for _, st := range in.Steps {
			rec, ok := all[in.ID][st.ID]
			if !ok || steps.Status(rec.Status) != steps.StatusDone || st.Proof == steps.ProofAttested {
				continue
			}
			cs := CarriedStep{Integration: in.ID, Step: st.ID, Values: map[string]string{}}
			for _, f := range st.Fields {
				if p, ok := steps.PerCustomerField(in.ID, st.ID, f.Key); ok {
					// Another customer's would be wrong there: apply
					// asks each customer for its own.
					cs.Left = append(cs.Left, p)
					continue
				}
				switch {
				case f.IsSecret():
					cs.Values[f.Key] = SecretRefEnv + SecretEnvName(in.ID, f.Key)
				case f.Kind == steps.KindConfirm:
					// A confirmation is the admin's, for this customer only.
				default:
					if v, ok := rec.Values[f.Key]; ok {
						cs.Values[f.Key] = v
					}
				}
			}
			c.Steps = append(c.Steps, cs)
		}
	}
	return c, nil
}

// ApplyAction is what apply does with one step.
type ApplyAction string

const (
	ApplyRun       ApplyAction = "run"       // answers differ from what is recorded: run it with its checks
	ApplyUnchanged ApplyAction = "unchanged" // recorded with the same answers: nothing to do
	ApplyManual    ApplyAction = "manual"    // attested: the admin does it in the vendor's UI
	ApplyAnswer    ApplyAction = "answer"    // needs this customer's own answers (apply --set)
	ApplyWaits     ApplyAction = "waits"     // after a step that needs them: runs once they are given
)

// ApplyStep is one step of an apply plan. Sub holds the resolved answers of
// a step to run; its secrets never leave the process.
type ApplyStep struct {
	Integration string
	Step        string
	Title       string
	Action      ApplyAction
	Reason      string
	Sub         Submission
	// Refs are the secret fields' references (field key → env:… or
	// file:…), shown in the plan so the admin sees what is read; never
	// the values.
	Refs map[string]string
	// Missing are the per-customer answers the step still needs from
	// this customer (ApplyAnswer); Given the ones apply --set gave;
	// Ignored the ones the file held, which are not used: they are the
	// customer's the file came from.
	Missing, Given, Ignored []steps.PerCustomer
}

// ApplyPlan is every step apply would touch, in catalog order.
type ApplyPlan struct {
	Steps []ApplyStep
}

// Count returns how many steps take the action.
func (p ApplyPlan) Count(a ApplyAction) int {
	n := 0
	for _, st := range p.Steps {
		if st.Action == a {
			n++
		}
	}
	return n
}

// SecretResolver reads a secret reference (env:NAME or file:PATH).
type SecretResolver func(ref string) (string, error)

// OwnAnswers are the per-customer answers given to apply, by
// INTEGRATION/STEP.FIELD (steps.PerCustomer.Ref), normalized.
type OwnAnswers map[string]string

// ErrOwnAnswer marks an apply --set that is not a per-customer answer or
// whose value is refused.
var ErrOwnAnswer = errors.New("apply --set")

// ParseOwnAnswers reads apply's --set INTEGRATION/STEP.FIELD=VALUE flags:
// each must be a per-customer answer (steps.PerCustomerAnswers), its value
// checked as the step would check it. Every other answer comes from the
// file, secrets through their references. A flag that names no field of
// the catalog is not repeated (it may be a secret given by mistake).
func ParseOwnAnswers(sets []string) (OwnAnswers, error) {
	own := OwnAnswers{}
	for i, set := range sets {
		ref, value, hasValue := strings.Cut(set, "=")
		integ, rest, _ := strings.Cut(ref, "/")
		stepID, key, _ := strings.Cut(rest, ".")
		p, ok := steps.PerCustomerField(integ, stepID, key)
		if !ok {
			return nil, notOwnAnswer(i+1, integ, stepID, key, hasValue)
		}
		if _, dup := own[p.Ref()]; dup {
			return nil, fmt.Errorf("%w %s: given twice", ErrOwnAnswer, p.Ref())
		}
		_, st, _ := lookup(integ, stepID)
		f, _ := st.Field(key)
		n, _, err := f.Check(value)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrOwnAnswer, p.Ref(), err)
		}
		own[p.Ref()] = n
	}
	return own, nil
}

// notOwnAnswer words an apply --set that is not a per-customer answer.
func notOwnAnswer(n int, integ, stepID, key string, hasValue bool) error {
	list := "--set takes only each customer's own answers: " + ownRefs()
	_, st, err := lookup(integ, stepID)
	f, known := st.Field(key)
	switch {
	case !hasValue || err != nil || !known:
		return fmt.Errorf("%w #%d is not INTEGRATION/STEP.FIELD=VALUE naming an answer of the catalog (not repeated here, in case it was a secret); %s",
			ErrOwnAnswer, n, list)
	case f.IsSecret():
		return fmt.Errorf("%w %s/%s.%s: a secret comes from its reference in the file (env:… or file:…), never from the command line; %s",
			ErrOwnAnswer, integ, stepID, key, list)
	}
	return fmt.Errorf("%w %s/%s.%s: the file carries it (edit it there); %s", ErrOwnAnswer, integ, stepID, key, list)
}

func ownRefs() string {
	var refs []string
	for _, p := range steps.PerCustomerAnswers() {
		refs = append(refs, p.Ref())
	}
	return strings.Join(refs, ", ")
}

// PlanApply compares a carried setup with the profile. It checks the file's
// shape against the catalog and resolves every secret reference before
// anything runs, so a bad file changes nothing. Secrets are compared with
// the stored ones in constant time, never shown. A per-customer answer is
// taken from own, else kept as the profile recorded it; one the file holds
// is not used.
func (s *Service) PlanApply(ctx context.Context, c Carried, own OwnAnswers, resolve SecretResolver) (ApplyPlan, error) {
	given, integrations, err := CheckCarried(c, own)
	if err != nil {
		return ApplyPlan{}, err
	}
	all, err := s.DB.AllStepStates(ctx, s.Profile)
	if err != nil {
		return ApplyPlan{}, err
	}
	return s.planApply(ctx, all, given, integrations, own, resolve)
}

// CheckCarried checks a carried setup against the catalog, nothing opened:
// the version, every step and field, no attested step, no secret written
// literally, and that every answer of own is for a step the apply takes.
// It returns the steps by INTEGRATION/STEP and the integrations.
func CheckCarried(c Carried, own OwnAnswers) (map[string]CarriedStep, map[string]bool, error) {
	if c.Version != CarriedVersion {
		return nil, nil, fmt.Errorf("%w: version %d; this patchbay reads version %d", ErrCarried, c.Version, CarriedVersion)
	}
	given := map[string]CarriedStep{}
	integrations := map[string]bool{}
	var problems []string
	for _, cs := range c.Steps {
		in, st, err := lookup(cs.Integration, cs.Step)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		ref := in.ID + "/" + st.ID
		if st.Proof == steps.ProofAttested {
			problems = append(problems, fmt.Sprintf("%s is attested: only the admin can confirm it, for each customer in the vendor's UI; remove it from the file", ref))
			continue
		}
		if _, dup := given[ref]; dup {
			problems = append(problems, ref+" appears twice")
			continue
		}
		for k, v := range cs.Values {
			f, ok := st.Field(k)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s has no field %q (fields: %s)", ref, k, strings.Join(st.FieldKeys(), ", ")))
				continue
			}
			if !f.IsSecret() {
				continue
			}
			switch {
			case strings.HasPrefix(v, SecretRefEnv):
				// Only patchbay's own variables: a file from elsewhere must
				// not be able to send, say, a cloud credential to a vendor.
				if name := strings.TrimPrefix(v, SecretRefEnv); !strings.HasPrefix(name, SecretEnvPrefix) {
					problems = append(problems, fmt.Sprintf("%s field %s: env:%s: secret references read only PATCHBAY_SECRET_… variables", ref, f.Key, name))
				}
			case strings.HasPrefix(v, SecretRefFile):
			default:
				// The value itself is never repeated: it may be the secret.
				return nil, nil, fmt.Errorf("%w: %s field %s must be a reference such as %s%s or %s/path/to/file",
					ErrLiteralSecret, ref, f.Key, SecretRefEnv, SecretEnvName(in.ID, f.Key), SecretRefFile)
			}
		}
		given[ref] = cs
		integrations[in.ID] = true
	}
	for _, p := range steps.PerCustomerAnswers() {
		if _, ok := own[p.Ref()]; !ok {
			continue
		}
		in, st, _ := lookup(p.Integration, p.Step)
		if _, ok := given[p.Integration+"/"+p.Step]; ok || (integrations[in.ID] && onlyOwnAnswers(in, st)) {
			continue
		}
		run := "patchbay run " + p.Integration + "/" + p.Step
		if onlyOwnAnswers(in, st) {
			f, _ := st.Field(p.Field)
			run += " --set " + p.Field + "=" + OwnPlaceholder(f)
		}
		problems = append(problems, fmt.Sprintf("--set %s: the file carries no %s/%s to apply it to; run the step itself: %s",
			p.Ref(), p.Integration, p.Step, run))
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrCarried, problemList(problems))
	}
	return given, integrations, nil
}

// onlyOwnAnswers reports whether every answer of a step that is not
// attested is per-customer (Certn's webhook URL): nothing of it is carried,
// so apply takes it up in every integration the file carries, whether the
// file names it or not, as it lists attested steps.
func onlyOwnAnswers(in steps.Integration, st steps.Step) bool {
	if st.Proof == steps.ProofAttested || len(st.Fields) == 0 {
		return false
	}
	for _, f := range st.Fields {
		if _, ok := steps.PerCustomerField(in.ID, st.ID, f.Key); !ok && f.Kind != steps.KindConfirm {
			return false
		}
	}
	return true
}

// OwnPlaceholder is what a command shown to the admin has in place of an
// answer only the admin knows: URL for a URL, the options for a checklist,
// the field's key in capitals otherwise.
func OwnPlaceholder(f steps.Field) string {
	switch f.Kind {
	case steps.KindURL:
		return "URL"
	case steps.KindMultiSelect:
		vals := make([]string, len(f.Options))
		for i, o := range f.Options {
			vals[i] = o.Value
		}
		return strings.Join(vals, ",")
	}
	return strings.ToUpper(f.Key)
}

func (s *Service) planApply(ctx context.Context, all map[string]map[string]store.StepState, given map[string]CarriedStep, integrations map[string]bool, own OwnAnswers, resolve SecretResolver) (ApplyPlan, error) {
	var plan ApplyPlan
	for _, in := range steps.Catalog() {
		if !integrations[in.ID] {
			continue
		}
		// The first step of the integration that waits for this
		// customer's answers holds back the ones after it that would run:
		// they run in the article's order, and a later one may hand on
		// what it records (Lever is given Certn's webhook URL).
		waitFor := ""
		for _, st := range in.Steps {
			ref := in.ID + "/" + st.ID
			rec, recorded := all[in.ID][st.ID]
			done := recorded && steps.Status(rec.Status) == steps.StatusDone
			ps := ApplyStep{Integration: in.ID, Step: st.ID, Title: st.Title}
			cs, inFile := given[ref]
			switch {
			case st.Proof == steps.ProofAttested:
				if done {
					continue
				}
				ps.Action, ps.Reason = ApplyManual, "confirm it in the vendor's UI: patchbay run "+ref
			case !inFile && !onlyOwnAnswers(in, st):
				continue
			default:
				values := maps.Clone(cs.Values)
				if values == nil {
					values = map[string]string{}
				}
				for _, p := range steps.PerCustomerOf(in.ID, st.ID) {
					if _, ok := values[p.Field]; ok {
						// Another customer's (a file from an earlier
						// version, or edited): never used here.
						delete(values, p.Field)
						ps.Ignored = append(ps.Ignored, p)
					}
					switch v, ok := own[p.Ref()]; {
					case ok:
						values[p.Field] = v
						ps.Given = append(ps.Given, p)
					case recorded && rec.Values[p.Field] != "":
						values[p.Field] = rec.Values[p.Field] // this customer's own, kept
					default:
						ps.Missing = append(ps.Missing, p)
					}
				}
				sub, err := s.carriedSubmission(in, st, CarriedStep{Values: values}, resolve)
				if err != nil {
					return ApplyPlan{}, err
				}
				ps.Sub = sub
				for _, f := range st.Fields {
					if v, ok := values[f.Key]; ok && f.IsSecret() {
						if ps.Refs == nil {
							ps.Refs = map[string]string{}
						}
						ps.Refs[f.Key] = v
					}
				}
				if len(ps.Missing) > 0 {
					keys := make([]string, len(ps.Missing))
					for i, p := range ps.Missing {
						keys[i] = p.Field
					}
					ps.Action, ps.Reason = ApplyAnswer, fmt.Sprintf("needs %s's own %s", s.Profile, strings.Join(keys, " and "))
					break
				}
				// Only a done step is compared: one not done runs anyway,
				// and a profile not made yet has no secrets store to read.
				same := false
				if done {
					if same, err = s.sameAsRecorded(ctx, in, st, rec, sub); err != nil {
						return ApplyPlan{}, err
					}
				}
				switch {
				case done && same:
					ps.Action, ps.Reason = ApplyUnchanged, "already done with these answers"
				case done:
					ps.Action, ps.Reason = ApplyRun, "answers differ from the recorded ones"
				case recorded && steps.Status(rec.Status) == steps.StatusNeedsRerun:
					ps.Action, ps.Reason = ApplyRun, "needs a re-run"
				default:
					ps.Action, ps.Reason = ApplyRun, "not done yet"
				}
			}
			switch {
			case ps.Action == ApplyAnswer && waitFor == "":
				waitFor = ref
			case ps.Action == ApplyRun && waitFor != "":
				ps.Action, ps.Reason = ApplyWaits, "runs after "+waitFor+", which needs "+s.Profile+"'s own answers"
			}
			plan.Steps = append(plan.Steps, ps)
		}
	}
	return plan, nil
}

// carriedSubmission turns a carried step into the answers a run takes:
// non-secret values as written, secrets read through their references.
func (s *Service) carriedSubmission(in steps.Integration, st steps.Step, cs CarriedStep, resolve SecretResolver) (Submission, error) {
	ref := in.ID + "/" + st.ID
	sub := Submission{Integration: in.ID, Step: st.ID, Values: map[string]string{}, Secrets: map[string]string{}}
	for _, f := range st.Fields {
		v, ok := cs.Values[f.Key]
		if !ok {
			continue
		}
		if !f.IsSecret() {
			sub.Values[f.Key] = v
			continue
		}
		val, err := resolve(v) // a reference: CheckCarried refused literal values
		if err != nil {
			return Submission{}, fmt.Errorf("%s field %s: %w", ref, f.Key, err)
		}
		sub.Secrets[f.Key] = val
	}
	return sub, nil
}

// sameAsRecorded reports whether a step's carried answers equal what the
// profile recorded: every non-secret answer (normalized as a run would
// store it) and every secret, compared with the stored value.
func (s *Service) sameAsRecorded(ctx context.Context, in steps.Integration, st steps.Step, rec store.StepState, sub Submission) (bool, error) {
	if len(rec.Values) == 0 && len(sub.Values) > 0 {
		return false, nil
	}
	states, err := s.DB.StepStates(ctx, s.Profile, in.ID)
	if err != nil {
		return false, err
	}
	want := maps.Clone(rec.Values)
	for k, v := range sub.Values {
		want[k] = v
	}
	normalized, _, err := st.ValidateAnswers(want, steps.AnswersFromRecords(records(states)))
	if err != nil || !maps.Equal(normalized, rec.Values) {
		// An answer the run would refuse is a change too: the run says why.
		return false, nil
	}
	for key, v := range sub.Secrets {
		stored, err := s.Secret(ctx, in.ID, key)
		if errors.Is(err, secrets.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(stored)), []byte(strings.TrimSpace(v))) != 1 {
			return false, nil
		}
	}
	return true, nil
}

// ErrApplyStopped is returned when a step of an apply was refused: the
// steps before it are recorded, it and the ones after it are not.
var ErrApplyStopped = errors.New("apply stopped")

// maxProblems and maxProblemLen bound what a refusal of a carried file
// says: a file of thousands of wrong fields is refused in a few lines.
const maxProblems, maxProblemLen = 10, 300

// problemList joins the first problems, each cut short, and counts the rest.
func problemList(problems []string) string {
	shown := problems[:min(len(problems), maxProblems)]
	parts := make([]string, 0, len(shown)+1)
	for _, p := range shown {
		parts = append(parts, Shorten(p, maxProblemLen))
	}
	if more := len(problems) - len(shown); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more problem(s)", more))
	}
	return strings.Join(parts, "; ")
}

// Shorten cuts text a file or a vendor chose to at most n bytes, at a rune
// boundary, marking the cut with "…", for a message that repeats it.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
