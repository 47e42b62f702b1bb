package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Points of the move of legacy secrets passed to Service.Phase, in order,
// for crash tests.
const (
	PointMigrationRecorded = "migration-recorded" // pending operation recorded
	PointMigrationCopied   = "migration-copied"   // value under the identity, fingerprint recorded
	PointMigrationRemoved  = "migration-removed"  // legacy entries removed, operations not yet finished
)

// MigrateLegacySecrets moves the profile's secrets from where patchbay
// versions before database identities kept them (unscoped keyring entries,
// the shared vault) to entries of this database, recording each value's
// fingerprint. Each move is a pending operation, so a crash at any point is
// finished by Recover or by the next call. It returns how many secrets
// moved. A database's first open claims legacy entries it records: another
// database of the same folder finds them gone, and doctor says so.
func (s *Service) MigrateLegacySecrets(ctx context.Context) (int, error) {
	p, err := s.DB.GetProfile(ctx, s.Profile)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.LegacySecrets) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	leg, ok := s.Secrets.(secrets.Legacy)
	if !ok {
		return 0, s.DB.ClearLegacySecrets(ctx, s.Profile)
	}
	metas, err := s.DB.Secrets(ctx, s.Profile, "")
	if err != nil {
		return 0, err
	}
	var ops []store.PendingOp
	for _, m := range metas {
		keys := []string{m.Key}
		if m.Previous != nil {
			keys = append(keys, previousAccountKey(m.Key))
		}
		for _, key := range keys {
			op := store.PendingOp{Profile: s.Profile, Integration: m.Integration, Key: key, Op: store.OpMigrate,
				Phase: PhaseStaging, Meta: ownedMeta(map[string]string{})}
			id, err := s.DB.AddPendingOp(ctx, op)
			if err != nil {
				return 0, fmt.Errorf("recording the move of %s/%s: %w", m.Integration, key, err)
			}
			op.ID = id
			ops = append(ops, op)
			s.phase(PointMigrationRecorded)
		}
	}
	moved := 0
	var legacy []string
	for _, op := range ops {
		ok, err := s.copyLegacy(ctx, leg, op)
		if err != nil {
			return moved, err
		}
		if ok {
			moved++
		}
		legacy = append(legacy, secrets.Account(op.Profile, op.Integration, op.Key))
		s.phase(PointMigrationCopied)
	}
	if err := leg.LegacyDelete(ctx, legacy); err != nil {
		return moved, fmt.Errorf("removing the moved secrets from where earlier versions kept them: %w", err)
	}
	s.phase(PointMigrationRemoved)
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		for _, op := range ops {
			if err := tx.DeletePendingOp(ctx, op.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if err := tx.ClearLegacySecrets(ctx, s.Profile); err != nil {
			return err
		}
		if moved == 0 {
			return nil
		}
		return tx.AddEvent(ctx, store.Event{Profile: s.Profile, Kind: "migration",
			Summary: fmt.Sprintf("moved %d secret(s) to entries of this database in the %s", moved, s.Secrets.Backend().Name)})
	})
	return moved, err
}

func previousAccountKey(key string) string { return key + ".previous" }

// copyLegacy stores the legacy value of op's secret under the database
// identity, records its fingerprint and marks op committed. It reports
// false when there was nothing to copy (already moved, or missing).
func (s *Service) copyLegacy(ctx context.Context, leg secrets.Legacy, op store.PendingOp) (bool, error) {
	account := secrets.Account(op.Profile, op.Integration, op.Key)
	v, err := leg.LegacyGet(ctx, account)
	if errors.Is(err, secrets.ErrNotFound) {
		return false, s.DB.UpdatePendingOpPhase(ctx, op.ID, PhaseCommitted)
	}
	if err != nil {
		return false, fmt.Errorf("reading %s/%s where earlier versions kept it: %w", op.Integration, op.Key, err)
	}
	if err := s.Secrets.Set(ctx, account, v); err != nil {
		return false, fmt.Errorf("moving %s/%s: %w", op.Integration, op.Key, err)
	}
	fp, err := s.fingerprint(ctx, v)
	if err != nil {
		return false, err
	}
	// A shared legacy entry may hold another database's value: its
	// fingerprint is recorded only when its ending is the one this database
	// recorded, else the entry stays unfingerprinted and reads as drift.
	key, previous := strings.CutSuffix(op.Key, ".previous")
	recordedLast4 := ""
	if meta, err := s.DB.Secret(ctx, op.Profile, op.Integration, key); err == nil {
		recordedLast4 = meta.Last4
		if previous && meta.Previous != nil {
			recordedLast4 = meta.Previous.Last4
		}
	}
	if recordedLast4 != "" && Last4(v) != recordedLast4 {
		fp = ""
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		switch {
		case fp == "":
		case previous:
			err = tx.SetPreviousFingerprint(ctx, op.Profile, op.Integration, key, fp)
		default:
			err = tx.SetSecretFingerprint(ctx, op.Profile, op.Integration, op.Key, fp, false)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.UpdatePendingOpPhase(ctx, op.ID, PhaseCommitted)
	})
	return true, err
}

// finishMigration rolls an interrupted move forward: copying again is
// harmless (no other change of the secret can start while it is pending).
func (s *Service) finishMigration(ctx context.Context, op store.PendingOp) (Recovery, error) {
	r := Recovery{Integration: op.Integration, Key: op.Key, Action: "finished",
		Detail: "the secret was moved to this database's entry"}
	leg, ok := s.Secrets.(secrets.Legacy)
	if ok {
		if _, err := s.copyLegacy(ctx, leg, op); err != nil {
			return r, err
		}
		if err := leg.LegacyDelete(ctx, []string{secrets.Account(op.Profile, op.Integration, op.Key)}); err != nil {
			return r, err
		}
	}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.DeletePendingOp(ctx, op.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.AddEvent(ctx, store.Event{Profile: op.Profile, Integration: op.Integration, Kind: "recovery",
			Summary: "interrupted move of " + op.Key + " finished", Detail: map[string]string{"key": op.Key, "op": op.Op, "phase": op.Phase}})
	})
	return r, err
}
