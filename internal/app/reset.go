package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// ErrNothingToDisconnect: the integration holds neither progress nor a secret.
var ErrNothingToDisconnect = errors.New("nothing to disconnect")

// ErrCannotDisconnect: the integration has no disconnect path.
var ErrCannotDisconnect = errors.New("no disconnect path")

// disconnectable names the integrations that can be disconnected and the
// secret whose deletion in the vendor's UI ends the connection (PRODUCT 1.1:
// Vetty's key; deleting it in Vetty stops Chattr from ordering checks).
var disconnectable = map[string]struct {
	Key   string
	Where string
}{
	steps.IntegrationVettyChattr: {Key: "api_key", Where: "Vetty › Settings › API Management"},
}

// DisconnectGuidance says what the admin does in the vendor's UI before a
// disconnect, and false when the integration has no disconnect path.
func DisconnectGuidance(integration string) (string, bool) {
	d, ok := disconnectable[integration]
	if !ok {
		return "", false
	}
	return fmt.Sprintf("delete the key in %s; patchbay then removes its copy and forgets the integration's progress", d.Where), true
}

// ResetPlan is what a reset would touch, for the admin to confirm.
type ResetPlan struct {
	Integration steps.Integration
	Step        string // "" for the whole integration
	// Steps are the steps with recorded progress that would be forgotten.
	Steps []string
	// Secrets are the stored secrets created by the steps being reset. A
	// reset keeps them unless the admin explicitly agrees to remove them.
	Secrets []SecretView
}

// ResetRequest is one reset.
type ResetRequest struct {
	Integration string
	Step        string // "" resets every step of the integration
	// RemoveSecrets removes the secrets the reset steps created from the
	// secrets store (current and any kept previous value). Only set it with
	// the admin's explicit consent.
	RemoveSecrets bool
}

// ResetResult says what a reset or disconnect did.
type ResetResult struct {
	Steps   []string        // steps whose progress was forgotten
	Removed []RemovedSecret // secrets removed from the secrets store
	Kept    []string        // secrets of the reset steps left in the store
}

// RemovedSecret is one secret a reset removed.
type RemovedSecret struct {
	Key      string
	Last4    string
	Backend  string
	Previous bool // a kept previous value was removed too
}

// PlanReset says what Reset would forget and which secrets it would ask
// about. It reads SQLite only.
func (s *Service) PlanReset(ctx context.Context, integration, step string) (ResetPlan, error) {
	in, _, err := lookup(integration, step)
	if err != nil {
		return ResetPlan{}, err
	}
	plan := ResetPlan{Integration: in, Step: step}
	states, err := s.DB.StepStates(ctx, s.Profile, in.ID)
	if err != nil {
		return ResetPlan{}, err
	}
	for _, st := range in.Steps {
		if step != "" && st.ID != step {
			continue
		}
		if _, ok := states[st.ID]; ok {
			plan.Steps = append(plan.Steps, st.ID)
		}
		for _, key := range st.Creates {
			meta, err := s.DB.Secret(ctx, s.Profile, in.ID, key)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return ResetPlan{}, err
			}
			plan.Secrets = append(plan.Secrets, SecretView{Key: key, Backend: meta.Backend, Last4: meta.Last4,
				CreatedAt: meta.CreatedAt, ExpiresAt: meta.ExpiresAt, HasPrevious: meta.Previous != nil})
		}
	}
	return plan, nil
}

// Reset forgets the progress of one step, or of every step of the
// integration. The secrets those steps created stay in the secrets store
// unless req.RemoveSecrets; each removal is recorded in the history.
func (s *Service) Reset(ctx context.Context, req ResetRequest) (ResetResult, error) {
	plan, err := s.PlanReset(ctx, req.Integration, req.Step)
	if err != nil {
		return ResetResult{}, err
	}
	return s.reset(ctx, plan, req.RemoveSecrets, "reset", nil)
}

// Disconnect ends an integration for good (PRODUCT 1.1, vetty-chattr): the
// admin has deleted the key in the vendor's UI, and confirms it by calling
// this. patchbay removes its copy from the secrets store, forgets the
// integration's progress and checks, and records the disconnection.
func (s *Service) Disconnect(ctx context.Context, integration string) (ResetResult, error) {
	d, ok := disconnectable[integration]
	if !ok {
		var names []string
		for id := range disconnectable {
			names = append(names, id)
		}
		slices.Sort(names)
		return ResetResult{}, fmt.Errorf("%w for %s: only %s can be disconnected; use patchbay reset %s to forget its progress",
			ErrCannotDisconnect, integration, strings.Join(names, ", "), integration)
	}
	plan, err := s.PlanReset(ctx, integration, "")
	if err != nil {
		return ResetResult{}, err
	}
	if len(plan.Steps) == 0 && len(plan.Secrets) == 0 {
		return ResetResult{}, fmt.Errorf("%w: %s has no progress and no stored key", ErrNothingToDisconnect, integration)
	}
	last4, summary := "", fmt.Sprintf("Disconnected %s (no key was stored)", plan.Integration.Name)
	for _, sv := range plan.Secrets {
		if sv.Key == d.Key {
			last4 = sv.Last4
			summary = fmt.Sprintf("Disconnected %s: the key %s was deleted in %s (confirmed by you)", plan.Integration.Name, Ending(last4), d.Where)
		}
	}
	ev := store.Event{Kind: store.EventDisconnect, Summary: summary, Detail: map[string]string{"secret": d.Key, "last4": last4}}
	return s.reset(ctx, plan, true, "disconnect", &ev)
}

// reset applies a plan. Removing secrets follows the same discipline as
// writing them: one transaction forgets the steps, the metadata and the
// checks, records the events and a pending delete per secret; only then
// are the store entries deleted and the pending deletes cleared. A crash in
// between leaves pending deletes that Recover finishes.
func (s *Service) reset(ctx context.Context, plan ResetPlan, removeSecrets bool, reason string, extra *store.Event) (ResetResult, error) {
	in := plan.Integration
	res := ResetResult{Steps: plan.Steps}
	var stepIDs []string // nil: every step
	if plan.Step != "" {
		stepIDs = []string{plan.Step}
	}
	if !removeSecrets {
		for _, sv := range plan.Secrets {
			res.Kept = append(res.Kept, sv.Key)
		}
	}
	now := s.now()
	ops := map[string]int64{}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if extra != nil {
			e := *extra
			e.Profile, e.Integration, e.At = s.Profile, in.ID, now
			if err := tx.AddEvent(ctx, e); err != nil {
				return err
			}
		}
		if err := tx.ResetSteps(ctx, s.Profile, in.ID, stepIDs); err != nil {
			return err
		}
		if plan.Step == "" || (removeSecrets && len(plan.Secrets) > 0) {
			// Old live results would describe what is no longer set up.
			if err := tx.DeleteChecks(ctx, s.Profile, in.ID); err != nil {
				return err
			}
		}
		if !removeSecrets {
			return nil
		}
		for _, sv := range plan.Secrets {
			id, err := tx.AddPendingOp(ctx, store.PendingOp{
				Profile: s.Profile, Integration: in.ID, Key: sv.Key, Op: store.OpDelete,
				Phase: PhaseCommitted, Meta: ownedMeta(map[string]string{"reason": reason, "last4": sv.Last4}),
			})
			if err != nil {
				return secretBusy(in.ID, sv.Key, err)
			}
			ops[sv.Key] = id
			if err := tx.DeleteSecretMeta(ctx, s.Profile, in.ID, sv.Key); err != nil {
				return err
			}
			what := Ending(sv.Last4)
			if sv.HasPrevious {
				what += " and its previous value"
			}
			if err := tx.AddEvent(ctx, store.Event{
				At: now, Profile: s.Profile, Integration: in.ID, Kind: store.EventSecretRemoved,
				Summary: fmt.Sprintf("Removed %s %s from the %s (%s, with your consent)", sv.Key, what, sv.Backend, reason),
				Detail:  map[string]string{"secret": sv.Key, "last4": sv.Last4, "reason": reason},
			}); err != nil {
				return err
			}
			res.Removed = append(res.Removed, RemovedSecret{Key: sv.Key, Last4: sv.Last4, Backend: sv.Backend, Previous: sv.HasPrevious})
		}
		return nil
	})
	if err != nil {
		return ResetResult{}, err
	}
	if len(ops) == 0 {
		return res, nil
	}
	s.phase(PointCommitted)
	// Committed: finish even if the caller gives up.
	dctx := context.WithoutCancel(ctx)
	for _, sv := range plan.Secrets {
		if err := s.removeEntries(dctx, in.ID, sv.Key); err != nil {
			return res, fmt.Errorf("%s is forgotten but could not be deleted from the %s (patchbay finishes this at its next start, or run patchbay doctor): %w", sv.Key, s.Secrets.Backend().Name, err)
		}
		if err := s.DB.DeletePendingOp(dctx, ops[sv.Key]); err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
	}
	return res, nil
}

// removeEntries deletes every store entry of one secret: the current value,
// a kept previous value and any staging leftover.
func (s *Service) removeEntries(ctx context.Context, integration, key string) error {
	account := secrets.Account(s.Profile, integration, key)
	for _, a := range []string{account, previousAccount(account), stagingAccount(account)} {
		if err := s.Secrets.Delete(ctx, a); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return err
		}
	}
	return nil
}

// finishRemoval completes a pending delete that a crash interrupted; the
// database already forgot the secret, so recovery always rolls forward.
func (s *Service) finishRemoval(ctx context.Context, op store.PendingOp) (Recovery, error) {
	r := Recovery{Integration: op.Integration, Key: op.Key, Action: "finished",
		Detail: "the removal you agreed to was completed: the secret is deleted from the " + s.Secrets.Backend().Name}
	if err := s.removeEntries(ctx, op.Integration, op.Key); err != nil {
		return r, fmt.Errorf("finishing the removal of %s/%s: %w", op.Integration, op.Key, err)
	}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.DeletePendingOp(ctx, op.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.AddEvent(ctx, store.Event{
			Profile: op.Profile, Integration: op.Integration, Kind: EventRecovery,
			Summary: fmt.Sprintf("interrupted removal of %s finished", op.Key),
			Detail:  map[string]string{"secret": op.Key, "op": op.Op, "phase": op.Phase},
		})
	})
	return r, err
}

// EventRecovery is the history kind of a finished or rolled back
// interrupted write.
const EventRecovery = "recovery"
