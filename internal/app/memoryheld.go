package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Demos made by patchbay versions before the demo kept its keys in the vault
// held their secrets in memory ("memory" backend) while recording them in
// the database like any other. Such a database, kept with demo --db and
// opened again, records secrets nothing holds any more.

// MemoryHeld is what ForgetMemoryHeld found and did: the secrets recorded
// as held in memory, now forgotten, and the done steps marked for a re-run.
type MemoryHeld struct {
	Secrets []ForgottenSecret
	Rerun   []RerunStep // in catalog order
}

// ForgottenSecret is one secret recorded as held in memory.
type ForgottenSecret struct {
	Integration string
	Key         string
	Last4       string
}

// RerunStep is a step marked needs re-run, and why.
type RerunStep struct {
	Integration string
	Step        string
	Title       string
	Reason      string
}

// Reasons a step is marked for a re-run when its secret was held in memory.
const (
	ReasonMemoryHeldStored = "its secret was held in memory by an earlier patchbay demo, and is gone"
	ReasonMemoryHeldHanded = "it handed on a secret an earlier patchbay demo held in memory, now gone"
)

// ForgetMemoryHeld forgets the profile's secrets recorded as held in
// memory, which no store holds: their records and check results go, and
// the done steps that stored them or handed them on are marked needs
// re-run, with the reason in the history; all in one transaction. Nothing
// found, nothing changes.
func (s *Service) ForgetMemoryHeld(ctx context.Context) (MemoryHeld, error) {
	var res MemoryHeld
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		res = MemoryHeld{}
		if _, err := tx.GetProfile(ctx, s.Profile); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		metas, err := tx.Secrets(ctx, s.Profile, "")
		if err != nil {
			return err
		}
		stored := map[string][]string{} // integration → steps that stored a forgotten secret
		handed := map[string][]string{} // integration → steps that handed one on
		for _, m := range metas {
			// A copy kept through a rotation was in the same store: it
			// goes with the record.
			if m.Backend != secrets.BackendMemory {
				continue
			}
			if err := tx.DeleteSecretMeta(ctx, s.Profile, m.Integration, m.Key); err != nil {
				return err
			}
			res.Secrets = append(res.Secrets, ForgottenSecret{Integration: m.Integration, Key: m.Key, Last4: m.Last4})
			if err := tx.AddEvent(ctx, store.Event{Profile: s.Profile, Integration: m.Integration, Kind: store.EventSecretRemoved,
				Summary: fmt.Sprintf("Forgot %s %s: an earlier patchbay demo held it in memory, and nothing keeps it", m.Key, Ending(m.Last4)),
				Detail:  map[string]string{"secret": m.Key, "last4": m.Last4, "reason": "held in memory"}}); err != nil {
				return err
			}
			in, ok := steps.Lookup(m.Integration)
			if !ok {
				continue
			}
			if st, ok := in.StepCreating(m.Key); ok {
				stored[in.ID] = appendNew(stored[in.ID], st.ID)
			}
			handed[in.ID] = appendNew(handed[in.ID], steps.RerunAfterRotate(in, m.Key)...)
		}
		if len(res.Secrets) == 0 {
			return nil
		}
		for _, in := range steps.Catalog() {
			if stored[in.ID] == nil && handed[in.ID] == nil {
				continue
			}
			states, err := tx.StepStates(ctx, s.Profile, in.ID)
			if err != nil {
				return err
			}
			// Their results were about the secrets that are gone.
			if err := tx.DeleteChecks(ctx, s.Profile, in.ID); err != nil {
				return err
			}
			handedOnly := slices.DeleteFunc(slices.Clone(handed[in.ID]), func(id string) bool { return slices.Contains(stored[in.ID], id) })
			for _, group := range []struct {
				ids    []string
				reason string
			}{{stored[in.ID], ReasonMemoryHeldStored}, {handedOnly, ReasonMemoryHeldHanded}} {
				if err := tx.MarkNeedsRerun(ctx, s.Profile, in.ID, group.ids, group.reason); err != nil {
					return err
				}
				for _, st := range in.Steps {
					if slices.Contains(group.ids, st.ID) && steps.Status(states[st.ID].Status) == steps.StatusDone {
						res.Rerun = append(res.Rerun, RerunStep{Integration: in.ID, Step: st.ID, Title: st.Title, Reason: group.reason})
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return MemoryHeld{}, fmt.Errorf("forgetting the secrets an earlier demo held in memory: %w", err)
	}
	// In catalog order, as every list of patchbay's.
	slices.SortStableFunc(res.Secrets, func(a, b ForgottenSecret) int {
		return secretPos(a.Integration, a.Key) - secretPos(b.Integration, b.Key)
	})
	slices.SortStableFunc(res.Rerun, func(a, b RerunStep) int {
		return stepPos(a.Integration, a.Step) - stepPos(b.Integration, b.Step)
	})
	return res, nil
}

// secretPos orders secrets as the catalog's steps create them; one the
// catalog does not know comes after.
func secretPos(integration, key string) int {
	n := 0
	for _, in := range steps.Catalog() {
		for _, k := range in.SecretKeys() {
			if in.ID == integration && k == key {
				return n
			}
			n++
		}
	}
	return n
}

// stepPos orders steps as the catalog does.
func stepPos(integration, step string) int {
	n := 0
	for _, in := range steps.Catalog() {
		for _, st := range in.Steps {
			if in.ID == integration && st.ID == step {
				return n
			}
			n++
		}
	}
	return n
}
