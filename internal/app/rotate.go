package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Rotation errors. Each is wrapped with the details the admin needs.
var (
	// ErrNothingToRotate: no value of the secret is recorded yet; the step
	// that creates it runs first.
	ErrNothingToRotate = errors.New("nothing to rotate")
	// ErrPreviousKept: the secret was rotated and its previous value awaits
	// the admin's confirmation that it was revoked. patchbay keeps one
	// previous value, so a second rotation waits for that confirmation.
	ErrPreviousKept = errors.New("the previous secret still awaits revocation")
	// ErrNoPrevious: there is no previous value whose revocation to confirm.
	ErrNoPrevious = errors.New("no previous secret awaits revocation")
	// ErrSameSecret: the "new" secret is the one already stored.
	ErrSameSecret = errors.New("the new secret is the one already stored")
	// ErrNotVerified: the vendor could not be reached to verify the new
	// secret, and the caller did not accept an unverified rotation.
	ErrNotVerified = errors.New("the new secret could not be verified")
	// ErrChangedMeanwhile: another patchbay changed the secret while this
	// rotation was checking the new one.
	ErrChangedMeanwhile = errors.New("the secret changed during the rotation")
)

// RotationPlan is what an admin needs to see before creating the new
// credential: where, how, and what the rotation will affect.
type RotationPlan struct {
	Integration steps.Integration
	Key         string
	// Step is the step that creates the secret: its Where, Link and Actions
	// say how to create the new credential in the vendor's UI.
	Step  steps.Step
	Field steps.Field
	// Current is the stored secret's metadata.
	Current SecretView
	// Values are the creating step's recorded answers (region, expiry
	// months…); a rotation keeps them unless told otherwise.
	Values map[string]string
	// HandsOn are the steps that handed the secret to another system: done
	// ones are marked needs_rerun by the rotation.
	HandsOn []string
	// Revoke says where to revoke the old value once the new one is in place.
	Revoke string
}

// RotateRequest is one rotation.
type RotateRequest struct {
	Integration string
	Key         string
	// NewValue is the new secret, as pasted; surrounding whitespace is trimmed.
	NewValue string
	// Values override answers of the creating step (e.g. expiry_months for a
	// new Vetty key, region); absent ones keep the recorded answers.
	Values map[string]string
	// AllowUnverified lets the rotation go ahead when the vendor cannot be
	// reached to verify the new secret (it is then recorded as unverified).
	// A secret the vendor refuses is never stored.
	AllowUnverified bool
}

// RotateResult says what a rotation did, or why it did nothing.
type RotateResult struct {
	Integration string
	Key         string
	Step        string  // the creating step, re-recorded with the new proof
	Outcome     Outcome // the live check of the new secret
	Rotated     bool    // false: nothing was changed
	OldLast4    string
	NewLast4    string
	// PreviousKept is true when the old value is kept as "previous" until
	// ConfirmRevoked (false when the old value was already missing from the
	// secrets store).
	PreviousKept bool
	ExpiresAt    time.Time // zero when the secret has no known expiry
	// NeedsRerun lists the steps that now need a re-run to hand the new
	// secret on, in the integration's order.
	NeedsRerun []string
	Revoke     string
}

// revokeWhere says, per integration and secret, where the old value is
// revoked; secrets not listed fall back to where they are created.
var revokeWhere = map[string]string{
	"vetty-chattr/api_key":          "Vetty › Settings › API Management: delete the old key",
	"certn-lever/api_key":           "Lever › Settings › Integrations and API: revoke the old key (Super Admin)",
	"certn-lever/signing_token":     "Lever › Settings › Integrations and API › Webhooks: make sure only the new signing token is active",
	"charthop-lever/api_key":        "Lever › Settings › Integrations and API › API Credentials: revoke the old key named ChartHop",
	"charthop-lever/webhook_secret": "ChartHop › Lever Requisitions › Webhook Setup: make sure the old secret key no longer works",
}

// RevokeGuidance words where to revoke the previous value of a secret.
func RevokeGuidance(in steps.Integration, key string) string {
	if w, ok := revokeWhere[in.ID+"/"+key]; ok {
		return w
	}
	st, _ := in.StepCreating(key)
	return st.Where + ": revoke or delete the old value"
}

// Ending words a secret's last 4 characters for the admin: "…ab12", or a
// plain description for secrets too short to spare them.
func Ending(last4 string) string {
	if last4 == "" {
		return "(too short to show an ending)"
	}
	return "…" + last4
}

// PlanRotation checks that a secret can be rotated now and returns what to
// show the admin before asking for the new value. It reads SQLite only.
func (s *Service) PlanRotation(ctx context.Context, integration, key string) (RotationPlan, error) {
	in, _, err := lookup(integration, "")
	if err != nil {
		return RotationPlan{}, err
	}
	st, ok := in.StepCreating(key)
	if !ok {
		return RotationPlan{}, fmt.Errorf("%w: %s keeps no secret %q", steps.ErrUnknownSecret, in.ID, key)
	}
	field, _ := st.Field(key)
	meta, err := s.DB.Secret(ctx, s.Profile, in.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return RotationPlan{}, fmt.Errorf("%w: no %s is stored for %s yet; run step %s first (patchbay run %s/%s)",
			ErrNothingToRotate, key, in.ID, st.ID, in.ID, st.ID)
	}
	if err != nil {
		return RotationPlan{}, err
	}
	if err := s.secretInFlight(ctx, in.ID, key); err != nil {
		return RotationPlan{}, err
	}
	if meta.Previous != nil {
		return RotationPlan{}, fmt.Errorf("%w: the %s rotated out (%s) is kept until you confirm it was revoked in the vendor's UI (%s); confirm the revocation of the previous key first: patchbay rotate --revoked %s/%s",
			ErrPreviousKept, key, Ending(meta.Previous.Last4), RevokeGuidance(in, key), in.ID, key)
	}
	states, err := s.DB.StepStates(ctx, s.Profile, in.ID)
	if err != nil {
		return RotationPlan{}, err
	}
	if rec, ok := recorded(states, "lever-key"); ok {
		in = in.ForLeverRegion(rec.Values["region"])
		st, _ = in.Step(st.ID)
	}
	values := map[string]string{}
	for _, f := range st.Fields {
		if f.IsSecret() {
			continue
		}
		if v, ok := states[st.ID].Values[f.Key]; ok {
			values[f.Key] = v
		} else if f.Default != "" {
			values[f.Key] = f.Default
		}
	}
	return RotationPlan{
		Integration: in, Key: key, Step: st, Field: field,
		Current: SecretView{Key: meta.Key, Backend: meta.Backend, Last4: meta.Last4, CreatedAt: meta.CreatedAt,
			ExpiresAt: meta.ExpiresAt, LastVerifiedAt: meta.LastVerifiedAt},
		Values:  values,
		HandsOn: steps.RerunAfterRotate(in, key),
		Revoke:  RevokeGuidance(in, key),
	}, nil
}

// Rotate replaces a stored secret with a new value, safely:
//
//  1. the new value is checked live with the creating step's check, before
//     anything changes; a value the vendor refuses changes nothing (the
//     attempt is recorded in the history);
//  2. the two-phase write (secretwrite.go) stages the new value, copies the
//     old one to ACCOUNT.previous, commits the database, then promotes;
//  3. the database commit records the creating step as done with the new
//     proof, the secret's metadata with its previous version, a rotation
//     event (last 4 characters only) and marks the steps that handed the
//     old value on as needs_rerun.
//
// The previous value stays until ConfirmRevoked.
func (s *Service) Rotate(ctx context.Context, req RotateRequest) (RotateResult, error) {
	plan, err := s.PlanRotation(ctx, req.Integration, req.Key)
	if err != nil {
		return RotateResult{}, err
	}
	in, st, key := plan.Integration, plan.Step, plan.Key
	res := RotateResult{Integration: in.ID, Key: key, Step: st.ID, OldLast4: plan.Current.Last4, Revoke: plan.Revoke}

	if strings.TrimSpace(req.NewValue) == "" {
		return res, &steps.FieldError{Field: key, Err: fmt.Errorf("%w: the new %s is empty", steps.ErrMissingValue, key)}
	}
	given, err := validateSecrets(st, map[string]string{key: req.NewValue})
	if err != nil {
		return res, err
	}
	newValue := given[key]
	res.NewLast4 = Last4(newValue)

	account := secrets.Account(s.Profile, in.ID, key)
	keepPrevious := true
	switch old, err := s.Secrets.Get(ctx, account); {
	case err == nil && old == newValue:
		return res, fmt.Errorf("%w: paste the new %s created in %s", ErrSameSecret, key, st.Where)
	case errors.Is(err, secrets.ErrNotFound):
		// The store lost the old value: there is nothing to keep, and the
		// rotation is how the admin repairs it.
		keepPrevious = false
	case err != nil:
		return res, fmt.Errorf("reading the current %s from the %s: %w", key, s.Secrets.Backend().Name, err)
	}

	values := maps.Clone(plan.Values)
	maps.Copy(values, req.Values)
	out, err := s.Check(ctx, Submission{Integration: in.ID, Step: st.ID, Values: values, Secrets: map[string]string{key: newValue}})
	if err != nil {
		return res, err
	}
	res.Outcome = out
	proof := out.Proof
	if !out.OK {
		if !out.Unreachable || !req.AllowUnverified {
			if rerr := s.recordFailedRotation(ctx, in, st, key, res.NewLast4, out); rerr != nil {
				return res, errors.Join(rerr, rotationFailure(out))
			}
			return res, rotationFailure(out)
		}
		proof = steps.ProofUnverified
	}
	if proof == "" {
		proof = st.Proof
	}

	states, err := s.DB.StepStates(ctx, s.Profile, in.ID)
	if err != nil {
		return res, err
	}
	recs := records(states)
	values, _, err = st.ValidateAnswers(values, steps.AnswersFromRecords(recs))
	if err != nil {
		return res, err
	}

	now := s.now()
	meta := s.newSecretMeta(in, st, key, res.NewLast4, values, proof, now)
	if keepPrevious {
		meta.Previous = &store.PreviousSecret{Backend: plan.Current.Backend, Last4: plan.Current.Last4, CreatedAt: plan.Current.CreatedAt}
	}
	rerun := steps.RerunAfterChange(in, st.ID, states[st.ID].Values, values, recs)
	rerun = appendNew(rerun, steps.RerunAfterRotate(in, key)...)
	// The creating step is re-recorded, never marked.
	rerun = slices.DeleteFunc(rerun, func(id string) bool { return id == st.ID })

	summary := fmt.Sprintf("Rotated %s: %s → %s (%s)", key, Ending(plan.Current.Last4), Ending(res.NewLast4), proof)
	detail := map[string]string{"secret": key, "old_last4": plan.Current.Last4, "new_last4": res.NewLast4, "proof": string(proof)}
	if keepPrevious {
		detail["previous"] = "kept until the revocation is confirmed"
	}
	commit := store.StepCommit{
		Profile: s.Profile, Integration: in.ID, StepID: st.ID,
		Status: store.StatusDone, Proof: string(proof), Values: values, SecretKeys: st.Creates,
		FinishedAt: now, Outcome: "rotated", Detail: out.Detail,
		Secrets: []store.SecretMeta{meta}, MarkRerun: rerun,
		RerunReason: fmt.Sprintf("%s was rotated: hand on the new one", key),
		Events:      []store.Event{{Kind: store.EventRotation, Summary: summary, Detail: detail}},
	}
	check := stepCheckResult(in, st, out, now)
	write := secretWrite{Key: key, Value: newValue, KeepPrevious: keepPrevious, Op: store.OpRotate}
	err = s.writeSecrets(ctx, in.ID, []secretWrite{write}, func(tx *store.Tx) error {
		// The plan was read before the live check; refuse if another
		// patchbay rotated or removed the secret in between.
		cur, err := tx.Secret(ctx, s.Profile, in.ID, key)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrChangedMeanwhile, err)
		}
		if cur.Previous != nil || cur.Last4 != plan.Current.Last4 || !cur.CreatedAt.Equal(plan.Current.CreatedAt) {
			return fmt.Errorf("%w: another patchbay rotated %s/%s meanwhile; run patchbay status and try again", ErrChangedMeanwhile, in.ID, key)
		}
		if err := tx.CommitStep(ctx, commit); err != nil {
			return err
		}
		if check != nil {
			return tx.SaveChecks(ctx, s.Profile, []store.CheckResult{*check})
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Rotated, res.PreviousKept, res.ExpiresAt = true, keepPrevious, meta.ExpiresAt
	after, err := s.DB.StepStates(ctx, s.Profile, in.ID)
	if err != nil {
		return res, err
	}
	for _, id := range in.StepIDs() {
		if after[id].Status == store.StatusNeedsRerun {
			res.NeedsRerun = append(res.NeedsRerun, id)
		}
	}
	return res, nil
}

// rotationFailure is the error of a rotation whose new secret did not pass.
func rotationFailure(out Outcome) error {
	if out.Unreachable {
		return fmt.Errorf("%w: %s; nothing was changed", ErrNotVerified, out.Detail)
	}
	return fmt.Errorf("%w: %s; nothing was changed", ErrCheckFailed, out.Detail)
}

// recordFailedRotation keeps the refused attempt in the history; it changes
// no step state and no secret.
func (s *Service) recordFailedRotation(ctx context.Context, in steps.Integration, st steps.Step, key, last4 string, out Outcome) error {
	now := s.now()
	what := "failed verification"
	if out.Unreachable {
		what = "could not be verified"
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.AddStepRun(ctx, store.StepRun{
			Profile: s.Profile, Integration: in.ID, StepID: st.ID, StartedAt: now, FinishedAt: now,
			Outcome: "rotation refused", Proof: string(out.Proof), Detail: out.Detail,
		}); err != nil {
			return err
		}
		return tx.AddEvent(ctx, store.Event{
			At: now, Profile: s.Profile, Integration: in.ID, Step: st.ID, Kind: store.EventVerification,
			Summary: fmt.Sprintf("New %s %s %s; nothing was changed: %s", key, Ending(last4), what, out.Detail),
			Detail:  map[string]string{"secret": key, "new_last4": last4, "result": "refused"},
		})
	})
}

// ConfirmRevoked records that the admin revoked the previous value of a
// rotated secret in the vendor's UI: the kept copy is deleted from the
// secrets store, then forgotten by the database, and the revocation goes
// in the history. It returns the last 4 characters of the revoked value.
//
// The store entry goes first: a crash in between leaves the database still
// saying a previous copy is kept (visible in status), and confirming again
// finishes the job; the other order could leave a secret behind unseen.
func (s *Service) ConfirmRevoked(ctx context.Context, integration, key string) (string, error) {
	in, _, err := lookup(integration, "")
	if err != nil {
		return "", err
	}
	if _, ok := in.StepCreating(key); !ok {
		return "", fmt.Errorf("%w: %s keeps no secret %q", steps.ErrUnknownSecret, in.ID, key)
	}
	// Another patchbay changing this secret (a rotation about to keep a
	// previous copy, a reset removing it) finishes first.
	if err := s.secretInFlight(ctx, in.ID, key); err != nil {
		return "", err
	}
	meta, err := s.DB.Secret(ctx, s.Profile, in.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: no %s is stored for %s", ErrNoPrevious, key, in.ID)
	}
	if err != nil {
		return "", err
	}
	if meta.Previous == nil {
		return "", fmt.Errorf("%w: %s/%s has no previous value kept (it was not rotated, or its revocation was already confirmed)", ErrNoPrevious, in.ID, key)
	}
	prev := *meta.Previous
	account := previousAccount(secrets.Account(s.Profile, in.ID, key))
	if err := s.Secrets.Delete(ctx, account); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return "", fmt.Errorf("deleting the previous %s from the %s: %w", key, s.Secrets.Backend().Name, err)
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.ClearPreviousSecret(ctx, s.Profile, in.ID, key); err != nil {
			return err
		}
		return tx.AddEvent(ctx, store.Event{
			At: now, Profile: s.Profile, Integration: in.ID, Kind: store.EventRevocation,
			Summary: fmt.Sprintf("Previous %s %s revoked in the vendor's UI (confirmed); its copy was deleted from the %s", key, Ending(prev.Last4), prev.Backend),
			Detail:  map[string]string{"secret": key, "old_last4": prev.Last4},
		})
	})
	if err != nil {
		return "", err
	}
	return prev.Last4, nil
}
