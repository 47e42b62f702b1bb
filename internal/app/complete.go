package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// ErrCheckFailed is returned when a step is completed although its live
// check failed for a reason other than an unreachable vendor.
var ErrCheckFailed = errors.New("the live check failed")

// ErrMissingSecret is returned when a step's secret was neither given nor stored.
var ErrMissingSecret = errors.New("secret missing")

// Complete records a step as done: its new secrets go to the secrets store
// (two-phase), and its state, history, secret metadata and check result to
// the database in one transaction. out is the result of Check; a step whose
// vendor was unreachable completes as unverified.
func (s *Service) Complete(ctx context.Context, sub Submission, out Outcome) error {
	in, st, err := lookup(sub.Integration, sub.Step)
	if err != nil {
		return err
	}
	states, err := s.DB.StepStates(ctx, s.Profile, in.ID)
	if err != nil {
		return err
	}
	recs := records(states)
	answers := sub.Values
	if len(out.Corrections) > 0 {
		// The vendor's answer corrected one (the Lever region a key belongs to).
		answers = maps.Clone(sub.Values)
		if answers == nil {
			answers = map[string]string{}
		}
		maps.Copy(answers, out.Corrections)
	}
	values, _, err := st.ValidateAnswers(answers, steps.AnswersFromRecords(recs))
	if err != nil {
		return err
	}
	given, err := validateSecrets(st, sub.Secrets)
	if err != nil {
		return err
	}
	stored := map[string]store.SecretMeta{}
	for _, key := range st.Creates {
		meta, err := s.DB.Secret(ctx, s.Profile, in.ID, key)
		switch {
		case err == nil:
			stored[key] = meta
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if _, ok := given[key]; !ok && err != nil {
			return fmt.Errorf("%w: %s needs %s, and none is stored yet", ErrMissingSecret, st.ID, key)
		}
	}

	proof := out.Proof
	outcome := "done"
	if !out.OK {
		if !out.Unreachable {
			return fmt.Errorf("%w: %s", ErrCheckFailed, out.Detail)
		}
		proof, outcome = steps.ProofUnverified, "done (unverified)"
	}
	if proof == "" {
		proof = st.Proof
	}

	now := s.now()
	var metas []store.SecretMeta
	var writes []secretWrite
	rerun := steps.RerunAfterChange(in, st.ID, states[st.ID].Values, values, recs)
	for _, key := range st.Creates {
		v, ok := given[key]
		if !ok {
			continue
		}
		if _, replaced := stored[key]; replaced {
			// The same value pasted again is a kept secret, not a new one:
			// nothing was handed on that needs handing on again.
			cur, err := s.Secrets.Get(ctx, secrets.Account(s.Profile, in.ID, key))
			if err == nil && cur == v {
				delete(given, key)
				continue
			}
		}
		meta := s.newSecretMeta(in, st, key, Last4(v), values, proof, now)
		// A rotated-out value still awaiting revocation stays recorded: a
		// re-run must not make the admin forget to revoke it.
		meta.Previous = stored[key].Previous
		metas = append(metas, meta)
		writes = append(writes, secretWrite{Key: key, Value: v})
		if _, replaced := stored[key]; replaced {
			// A new value for a secret other systems already hold: the steps
			// that handed it on must be run again.
			rerun = appendNew(rerun, steps.RerunAfterRotate(in, key)...)
		}
	}

	// A kept secret takes the re-run's answers too: a new expiry counts
	// from when the secret was created.
	for _, key := range st.Creates {
		meta, ok := stored[key]
		if _, isNew := given[key]; isNew || !ok {
			continue
		}
		if exp, ok := st.SecretExpiry(values, meta.CreatedAt); ok && !exp.Equal(meta.ExpiresAt) {
			meta.ExpiresAt = exp
			metas = append(metas, meta)
		}
	}

	summary := fmt.Sprintf("%s: %s", st.Title, outcome)
	if proof != "" && proof != steps.ProofUnverified {
		summary += " — " + string(proof)
	}
	detail := map[string]string{"proof": string(proof)}
	if out.Endpoint != "" {
		detail["endpoint"] = out.Endpoint
	}
	for _, m := range metas {
		detail[m.Key+"_last4"] = m.Last4
	}
	commit := store.StepCommit{
		Profile: s.Profile, Integration: in.ID, StepID: st.ID,
		Status: string(steps.StatusDone), Proof: string(proof), Values: values,
		SecretKeys: st.Creates, FinishedAt: now, Outcome: outcome, Detail: out.Detail,
		Secrets: metas, MarkRerun: rerun,
		RerunReason: rerunReason(in, st, rerun),
		Events:      []store.Event{{Kind: store.EventStepRun, Summary: summary, Detail: detail}},
	}
	check := stepCheckResult(in, st, out, now)
	return s.writeSecrets(ctx, in.ID, writes, func(tx *store.Tx) error {
		if err := tx.CommitStep(ctx, commit); err != nil {
			return err
		}
		if check != nil {
			if err := tx.SaveChecks(ctx, s.Profile, []store.CheckResult{*check}); err != nil {
				return err
			}
		}
		// A kept secret that passed a live check is recorded as verified now.
		for _, key := range st.Creates {
			if _, isNew := given[key]; !isNew && proof == steps.ProofVerified {
				if err := tx.SetSecretVerified(ctx, s.Profile, in.ID, key, now, store.SecretCurrent); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// newSecretMeta is the metadata of a new secret value created by st.
func (s *Service) newSecretMeta(in steps.Integration, st steps.Step, key, last4 string, values map[string]string, proof steps.Proof, now time.Time) store.SecretMeta {
	meta := store.SecretMeta{
		Profile: s.Profile, Integration: in.ID, Key: key, Backend: s.Secrets.Backend().Name,
		Last4: last4, CreatedAt: now, Status: store.SecretCurrent,
	}
	if exp, ok := st.SecretExpiry(values, now); ok {
		meta.ExpiresAt = exp
	}
	if proof == steps.ProofVerified {
		meta.LastVerifiedAt = now
	}
	return meta
}

// stepCheckResult is the stored result of a step's live check, nil when the
// step has none: valid, or unreachable when it completed unverified.
func stepCheckResult(in steps.Integration, st steps.Step, out Outcome, now time.Time) *store.CheckResult {
	name := stepCheckName(st)
	if name == "" {
		return nil
	}
	result := ResultValid
	if !out.OK {
		result = ResultUnreachable
		if out.Result != "" {
			result = out.Result
		}
	}
	return &store.CheckResult{Integration: in.ID, Name: name, Result: result, Detail: out.Detail, CheckedAt: now}
}

// rerunReason words why completing st marks the steps in rerun as needing
// a re-run, in the catalog's words ("Lever was given the previous Certn
// webhook URL").
func rerunReason(in steps.Integration, st steps.Step, rerun []string) string {
	var reasons []string
	for _, id := range rerun {
		if r := steps.RerunReason(in, id, st.ID); r != "" {
			reasons = appendNew(reasons, r)
		}
	}
	if len(reasons) == 0 {
		return st.ID + " changed"
	}
	return strings.Join(reasons, "; ")
}

// stepCheckName names the stored check result a step's live check
// produces: the secret's own check when the step creates the secret its
// check reads, else the check's dashboard row.
func stepCheckName(st steps.Step) string {
	lc, ok := liveChecks[st.Check]
	if !ok {
		return ""
	}
	if lc.secret != "" && slices.Contains(st.Creates, lc.secret) {
		return SecretCheckName(lc.secret)
	}
	return lc.row
}

// Check names of the stored live results.
const (
	CheckTriggerStage   = "lever.trigger_stage"
	CheckDefaultPackage = "certn.default_package"
	CheckOptionRules    = "charthop.option_rules"
	CheckCertnTags      = "lever.certn_tags"
	secretCheckPrefix   = "secret."
)

// SecretCheckName is the name of the live check of one secret.
func SecretCheckName(key string) string { return secretCheckPrefix + key }

func secretOfCheck(name string) (string, bool) {
	return strings.CutPrefix(name, secretCheckPrefix)
}

// Last4 returns the last four characters of a secret, to recognize it by;
// nothing for secrets too short to spare them.
func Last4(v string) string {
	if utf8.RuneCountInString(v) < 12 {
		return ""
	}
	r := []rune(v)
	return string(r[len(r)-4:])
}

func appendNew(list []string, more ...string) []string {
	for _, m := range more {
		found := false
		for _, l := range list {
			if l == m {
				found = true
				break
			}
		}
		if !found {
			list = append(list, m)
		}
	}
	return list
}
