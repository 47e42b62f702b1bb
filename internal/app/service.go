package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// ExpiryWarning is how long before a secret's expiry patchbay starts warning.
const ExpiryWarning = 30 * 24 * time.Hour

// Service runs patchbay's use cases for one profile.
type Service struct {
	DB      *store.DB
	Secrets secrets.Store
	Vendors Checker
	Profile string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Phase, when set, is called at each point of a two-phase secret write
	// (see secretwrite.go). Crash tests use it to stop the process there.
	Phase func(name string)

	fpMu  sync.Mutex
	fpKey []byte // the fingerprint key, once read from Secrets
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func lookup(integration, step string) (steps.Integration, steps.Step, error) {
	in, ok := steps.Lookup(integration)
	if !ok {
		return steps.Integration{}, steps.Step{}, fmt.Errorf("%w %q", steps.ErrUnknownIntegration, integration)
	}
	if step == "" {
		return in, steps.Step{}, nil
	}
	st, ok := in.Step(step)
	if !ok {
		return in, steps.Step{}, fmt.Errorf("%w %q in %s", steps.ErrUnknownStep, step, integration)
	}
	return in, st, nil
}

// records turns the store's step states into the domain's records.
func records(states map[string]store.StepState) map[string]steps.StepRecord {
	out := make(map[string]steps.StepRecord, len(states))
	for id, st := range states {
		out[id] = steps.StepRecord{
			StepID:      id,
			Status:      steps.Status(st.Status),
			Proof:       steps.Proof(st.Proof),
			Values:      st.Values,
			CompletedAt: st.CompletedAt,
		}
	}
	return out
}

// Overview gathers what the store knows of every integration of the profile.
// It reads SQLite only: no keyring or vendor call.
func (s *Service) Overview(ctx context.Context) (Overview, error) {
	return s.overview(ctx, 50)
}

func (s *Service) overview(ctx context.Context, events int) (Overview, error) {
	return s.overviewOf(ctx, s.Profile, events)
}

// overviewOf is the overview of any profile of the database; the secrets
// store is the service's own profile's.
func (s *Service) overviewOf(ctx context.Context, profile string, events int) (Overview, error) {
	// One read transaction: a consistent snapshot that never waits for a writer.
	var (
		prof   store.Profile
		all    map[string]map[string]store.StepState
		metas  []store.SecretMeta
		checks []store.CheckResult
		evs    []store.Event
	)
	err := s.DB.Read(ctx, func(tx *store.Tx) error {
		var err error
		prof, err = tx.GetProfile(ctx, profile)
		if errors.Is(err, store.ErrNotFound) {
			// Nothing recorded yet: an empty overview; reading creates nothing.
			prof, err = store.Profile{Name: profile}, nil
		}
		if err != nil {
			return err
		}
		if all, err = tx.AllStepStates(ctx, profile); err != nil {
			return err
		}
		if metas, err = tx.Secrets(ctx, profile, ""); err != nil {
			return err
		}
		if checks, err = tx.Checks(ctx, profile, ""); err != nil {
			return err
		}
		if events > 0 {
			evs, err = tx.Events(ctx, store.EventFilter{Profile: profile, Limit: events})
		}
		return err
	})
	if err != nil {
		return Overview{}, err
	}
	backend := prof.SecretsBackend
	if backend == "" && s.Secrets != nil && profile == s.Profile {
		backend = s.Secrets.Backend().Name
	}
	ov := Overview{Profile: profile, SecretsBackend: backend}
	now := s.now()
	for _, in := range steps.Catalog() {
		ov.Integrations = append(ov.Integrations, s.integrationView(in, all[in.ID], metas, checks, now))
	}
	for _, e := range evs {
		// Stored text may hold a vendor's name as an earlier version kept
		// it: one line each, whatever it holds.
		ov.Events = append(ov.Events, EventView{At: e.At, Integration: e.Integration, Step: e.Step, Kind: e.Kind, Summary: termsafe.Line(e.Summary)})
	}
	return ov, nil
}

// holdsInMemory reports whether this process's secrets store is the
// in-memory one, which holds what it recorded as held in memory.
func (s *Service) holdsInMemory() bool {
	return s.Secrets != nil && s.Secrets.Backend().Name == secrets.BackendMemory
}

func (s *Service) integrationView(in steps.Integration, states map[string]store.StepState, metas []store.SecretMeta, checks []store.CheckResult, now time.Time) IntegrationView {
	if st, ok := recorded(states, "lever-key"); ok {
		in = in.ForLeverRegion(st.Values["region"])
	}
	iv := IntegrationView{Integration: in}
	// A secret an earlier demo held in memory is gone, whatever its last
	// checks said (ForgetMemoryHeld clears it when the demo reopens the
	// database): its checks are not shown as if they were about a key.
	gone := map[string]bool{}
	for _, m := range metas {
		if m.Integration == in.ID && m.Backend == secrets.BackendMemory && !s.holdsInMemory() {
			gone[m.Key] = true
		}
	}
	live := map[string]string{}
	for _, c := range checks {
		if c.Integration != in.ID {
			continue
		}
		if key, ok := secretOfCheck(c.Name); ok && gone[key] {
			continue
		}
		if key, ok := strings.CutPrefix(c.Name, expiryCheckPrefix); ok && gone[key] {
			continue
		}
		iv.Checks = append(iv.Checks, CheckView{Name: c.Name, Result: c.Result, Detail: termsafe.Line(c.Detail), CheckedAt: c.CheckedAt, Counts: c.Counts})
		if key, ok := secretOfCheck(c.Name); ok {
			live[key] = c.Result
		}
	}
	sort.Slice(iv.Checks, func(i, j int) bool { return iv.Checks[i].Name < iv.Checks[j].Name })
	var attention []string
	for _, m := range metas {
		if m.Integration != in.ID {
			continue
		}
		sv := SecretView{
			Key: m.Key, Backend: m.Backend, Last4: m.Last4, CreatedAt: m.CreatedAt,
			ExpiresAt: m.ExpiresAt, LastVerifiedAt: m.LastVerifiedAt, Live: live[m.Key],
			HasPrevious: m.Previous != nil,
		}
		if sv.Live == "" {
			sv.Live = ResultUnknown
		}
		if gone[m.Key] {
			attention = append(attention, fmt.Sprintf("secret %s %s was held in memory by an earlier patchbay demo and is gone: open this database with patchbay demo --db, which forgets it and marks its steps for a re-run", m.Key, Ending(m.Last4)))
		}
		if left, ok := sv.ExpiresIn(now); ok && left <= 0 {
			attention = append(attention, fmt.Sprintf("secret %s expired on %s: rotate it (patchbay rotate %s/%s)", m.Key, m.ExpiresAt.Format("2006-01-02"), in.ID, m.Key))
		}
		iv.Secrets = append(iv.Secrets, sv)
	}
	for _, c := range iv.Checks {
		if strings.HasPrefix(c.Name, expiryCheckPrefix) {
			// Expiry is judged from the metadata above, always current;
			// the stored countdown check would say it a second time.
			continue
		}
		if checkNeedsAttention(c.Result, c.Detail) {
			attention = append(attention, fmt.Sprintf("%s: %s", c.Name, c.Detail))
		}
		if couldNotCheck(c.Result, c.Detail) {
			iv.Unchecked = append(iv.Unchecked, c)
		}
	}
	p := steps.Evaluate(in, records(states), attention)
	iv.State, iv.Done, iv.Total, iv.NextStep, iv.Attention = p.State, p.Done, p.Total, p.Next, p.Attention
	for _, sp := range p.Steps {
		st, _ := in.Step(sp.StepID)
		iv.Steps = append(iv.Steps, StepView{Step: st, Status: sp.Status, Proof: sp.Proof, CompletedAt: sp.CompletedAt})
	}
	return iv
}

// StepInput returns the prior answers of a step (or its defaults) and which
// of its secrets are already stored. It reads SQLite only.
func (s *Service) StepInput(ctx context.Context, integration, step string) (StepInput, error) {
	_, st, err := lookup(integration, step)
	if err != nil {
		return StepInput{}, err
	}
	states, err := s.DB.StepStates(ctx, s.Profile, integration)
	if err != nil {
		return StepInput{}, err
	}
	in := StepInput{Values: map[string]string{}, StoredSecrets: map[string]bool{}}
	prior := states[step].Values
	for _, f := range st.Fields {
		if f.IsSecret() {
			continue
		}
		if v, ok := prior[f.Key]; ok {
			in.Values[f.Key] = v
		} else if f.Default != "" {
			in.Values[f.Key] = f.Default
		}
	}
	for _, key := range st.Creates {
		if _, err := s.DB.Secret(ctx, s.Profile, integration, key); err == nil {
			in.StoredSecrets[key] = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return StepInput{}, err
		}
	}
	return in, nil
}

// Secret reads a stored secret, for copying it to the clipboard.
func (s *Service) Secret(ctx context.Context, integration, key string) (string, error) {
	in, _, err := lookup(integration, "")
	if err != nil {
		return "", err
	}
	if _, ok := in.SecretField(key); !ok {
		return "", fmt.Errorf("%s has no secret %q", integration, key)
	}
	v, err := s.Secrets.Get(ctx, secrets.Account(s.Profile, integration, key))
	if errors.Is(err, secrets.ErrNotFound) {
		st, _ := in.StepCreating(key)
		return "", fmt.Errorf("no %s is stored for %s yet: run step %s first: %w", key, integration, st.ID, err)
	}
	return v, err
}

// Options loads a dynamic list of choices from the vendor, using the
// integration's stored credentials. An error means the admin types the
// value by hand.
func (s *Service) Options(ctx context.Context, integration string, src steps.OptionSource) ([]steps.Option, error) {
	if s.Vendors == nil {
		return nil, errors.New("no vendor clients")
	}
	switch src {
	case steps.SourceLeverStages:
		region, key, err := s.leverCredentials(ctx, integration, nil, nil)
		if err != nil {
			return nil, err
		}
		names, err := s.Vendors.LeverStages(ctx, region, key)
		if err != nil {
			return nil, err
		}
		return optionsOf(names), nil
	case steps.SourceVettyPackages:
		key, err := s.secretFor(ctx, integration, "api_key", nil)
		if err != nil {
			return nil, err
		}
		names, err := s.Vendors.VettyPackages(ctx, key)
		if err != nil {
			return nil, err
		}
		return optionsOf(names), nil
	default:
		return nil, fmt.Errorf("no option source %q", src)
	}
}

func optionsOf(names []string) []steps.Option {
	out := make([]steps.Option, len(names))
	for i, n := range names {
		out[i] = steps.Option{Value: n, Label: n}
	}
	return out
}

// secretFor returns the secret given in this submission, else the stored one.
func (s *Service) secretFor(ctx context.Context, integration, key string, given map[string]string) (string, error) {
	if v, ok := given[key]; ok && v != "" {
		return v, nil
	}
	return s.Secret(ctx, integration, key)
}

// leverCredentials finds the region and key of an integration's Lever key:
// from this submission when it is the lever-key step, else as recorded.
func (s *Service) leverCredentials(ctx context.Context, integration string, values, given map[string]string) (region, key string, err error) {
	region = values["region"]
	if region == "" {
		states, err := s.DB.StepStates(ctx, s.Profile, integration)
		if err != nil {
			return "", "", err
		}
		region = states["lever-key"].Values["region"]
	}
	if region == "" {
		return "", "", fmt.Errorf("the Lever region is not known yet: run %s/lever-key first", integration)
	}
	key, err = s.secretFor(ctx, integration, "api_key", given)
	return region, key, err
}

// Handoff words the step's ready-to-send message (for Chattr's account
// manager, Lever's team) from its answers and the integration's recorded
// ones; "" when the step has none.
func (s *Service) Handoff(ctx context.Context, integration, step string, values map[string]string) (string, error) {
	_, st, err := lookup(integration, step)
	if err != nil || st.Handoff == nil {
		return "", err
	}
	states, err := s.DB.StepStates(ctx, s.Profile, integration)
	if err != nil {
		return "", err
	}
	return st.Handoff(values, steps.AnswersFromRecords(records(states))), nil
}
