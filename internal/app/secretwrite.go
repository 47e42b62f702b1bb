package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// A new secret reaches the secrets store in two phases, so that the store
// and SQLite never disagree in a way the admin sees, whatever moment a crash
// picks:
//
//  1. a pending operation is recorded (phase "staging");
//  2. the value is written to a staging entry (ACCOUNT.staging); when the
//     old value must be kept (rotation), it is copied to ACCOUNT.previous;
//  3. one database transaction records the outcome (step state, secret
//     metadata, events) and moves the operation to phase "committed";
//  4. the staging value is promoted to the real account and the staging
//     entry deleted; then the pending operation is deleted.
//
// Recover finishes what a crash interrupted: before step 3 it rolls back
// (the database never saw the new secret), after it rolls forward.
const (
	PhaseStaging   = "staging"
	PhaseCommitted = "committed"
)

// Phase names passed to Service.Phase, in order, for crash tests.
const (
	PointPlanned   = "planned"   // the write is about to start: nothing recorded or stored yet
	PointRecorded  = "recorded"  // pending operation recorded
	PointStaged    = "staged"    // staging entry written
	PointCommitted = "committed" // database transaction committed
	PointPromoted  = "promoted"  // real account written, staging not yet deleted
)

// ErrSecretBusy: another change of the same secret (a write, rotation or
// removal) is in flight, in this or another patchbay. It reads on from
// "another change of INTEGRATION/KEY is" (see secretBusy).
var ErrSecretBusy = errors.New("in progress")

// secretBusy words ErrPendingOpExists for the admin; other errors pass.
func secretBusy(integration, key string, err error) error {
	if !errors.Is(err, store.ErrPendingOpExists) {
		return err
	}
	return fmt.Errorf("another change of %s/%s is %w; try again once it has finished", integration, key, ErrSecretBusy)
}

func stagingAccount(account string) string  { return account + ".staging" }
func previousAccount(account string) string { return account + ".previous" }

// secretWrite is one new secret value to store.
type secretWrite struct {
	Key          string
	Value        string
	KeepPrevious bool // copy the current value to ACCOUNT.previous first (rotation)
	Op           string
}

func (s *Service) phase(name string) {
	if s.Phase != nil {
		s.Phase(name)
	}
}

// writeSecrets stores writes with the two-phase protocol; commit runs inside
// the database transaction of phase 3. When no secret is written, commit
// simply runs in its own transaction.
func (s *Service) writeSecrets(ctx context.Context, integration string, writes []secretWrite, commit func(tx *store.Tx) error) error {
	if len(writes) == 0 {
		return s.DB.Tx(ctx, commit)
	}
	s.phase(PointPlanned)
	type staged struct {
		w       secretWrite
		op      int64
		account string
		copied  bool // the current value was copied to ACCOUNT.previous
	}
	var done []staged
	// Fingerprints first: for a vault this reads its key, which a new vault
	// creates; a failure here touches nothing.
	fps := make([]string, len(writes))
	for i, w := range writes {
		fp, err := s.fingerprint(ctx, w.Value)
		if err != nil {
			return fmt.Errorf("fingerprinting %s: %w", w.Key, err)
		}
		fps[i] = fp
	}
	rollback := func(cause error) error {
		// Best effort, on a fresh context: the caller's may be cancelled.
		rctx := context.WithoutCancel(ctx)
		for _, st := range done {
			_ = s.Secrets.Delete(rctx, stagingAccount(st.account))
			if st.copied {
				// The claim and the check above make this copy ours
				// alone: the old value stays current.
				_ = s.Secrets.Delete(rctx, previousAccount(st.account))
			}
			_ = s.DB.DeletePendingOp(rctx, st.op)
		}
		return cause
	}
	// Every secret is claimed (its pending operation recorded) before the
	// store is touched: a second change of one of them, here or in another
	// patchbay, is refused while this one is in flight.
	for _, w := range writes {
		account := secrets.Account(s.Profile, integration, w.Key)
		op := w.Op
		if op == "" {
			op = store.OpSet
		}
		id, err := s.DB.AddPendingOp(ctx, store.PendingOp{
			Profile: s.Profile, Integration: integration, Key: w.Key, Op: op,
			StagingAccount: stagingAccount(account), Phase: PhaseStaging,
			Meta: ownedMeta(map[string]string{"keep_previous": fmt.Sprint(w.KeepPrevious)}),
		})
		if err != nil {
			return rollback(secretBusy(integration, w.Key, err))
		}
		done = append(done, staged{w: w, op: id, account: account})
		s.phase(PointRecorded)
	}
	// Claimed, the secrets cannot change under us; but another patchbay
	// may have rotated one between our plan and our claim. Its previous
	// copy is then kept, and copying over it (or deleting it on rollback)
	// would lose the value the admin must still revoke.
	for _, st := range done {
		if !st.w.KeepPrevious {
			continue
		}
		cur, err := s.DB.Secret(ctx, s.Profile, integration, st.w.Key)
		if err == nil && cur.Previous != nil {
			err = fmt.Errorf("%w: another patchbay rotated %s/%s meanwhile, and its previous value awaits revocation; run patchbay status and try again", ErrChangedMeanwhile, integration, st.w.Key)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return rollback(err)
		}
	}
	for i := range done {
		st, w, account := &done[i], done[i].w, done[i].account
		if err := s.Secrets.Set(ctx, stagingAccount(account), w.Value); err != nil {
			return rollback(fmt.Errorf("storing %s in the %s: %w", w.Key, s.Secrets.Backend().Name, err))
		}
		if w.KeepPrevious {
			old, err := s.Secrets.Get(ctx, account)
			switch {
			case err == nil:
				st.copied = true
				if err := s.Secrets.Set(ctx, previousAccount(account), old); err != nil {
					return rollback(fmt.Errorf("keeping the previous %s: %w", w.Key, err))
				}
			case !errors.Is(err, secrets.ErrNotFound):
				return rollback(fmt.Errorf("reading the current %s: %w", w.Key, err))
			}
		}
		s.phase(PointStaged)
	}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := commit(tx); err != nil {
			return err
		}
		for i, st := range done {
			err := tx.SetSecretFingerprint(ctx, s.Profile, integration, st.w.Key, fps[i], st.w.KeepPrevious)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err := tx.UpdatePendingOpPhase(ctx, st.op, PhaseCommitted); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rollback(err)
	}
	s.phase(PointCommitted)
	// From here the database says the new secrets are current: finish even
	// if the caller gives up, and leave the rest to Recover on failure.
	pctx := context.WithoutCancel(ctx)
	for _, st := range done {
		if err := s.promote(pctx, st.account, st.w.Value, st.op); err != nil {
			return fmt.Errorf("the new %s is recorded but could not be moved into place (patchbay finishes this at its next start, or run patchbay doctor): %w", st.w.Key, err)
		}
	}
	return nil
}

func (s *Service) promote(ctx context.Context, account, value string, op int64) error {
	if mv, ok := s.Secrets.(secrets.Mover); ok {
		// One write moves the staged value into place (the vault re-encrypts
		// once instead of twice).
		if err := mv.Move(ctx, stagingAccount(account), account); err != nil {
			return err
		}
		s.phase(PointPromoted)
	} else {
		if err := s.Secrets.Set(ctx, account, value); err != nil {
			return err
		}
		s.phase(PointPromoted)
		if err := s.Secrets.Delete(ctx, stagingAccount(account)); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return err
		}
	}
	return s.DB.DeletePendingOp(ctx, op)
}

// Recovery is what Recover did for one interrupted write.
type Recovery struct {
	Integration, Key string
	Action           string // "rolled back", "finished", or "needs attention"
	Detail           string
}

// Recover finishes or rolls back every two-phase write of the profile that
// a crash interrupted, and records each in the history.
func (s *Service) Recover(ctx context.Context) ([]Recovery, error) {
	ops, err := s.DB.PendingOps(ctx, s.Profile)
	if err != nil {
		return nil, err
	}
	var out []Recovery
	for _, op := range ops {
		if inFlightElsewhere(op, s.now()) {
			// Another patchbay is in the middle of this write: it finishes
			// it itself. Only a dead owner's operation is ours to recover.
			continue
		}
		if op.Op == store.OpMigrate {
			r, err := s.finishMigration(ctx, op)
			if err != nil {
				return out, err
			}
			out = append(out, r)
			continue
		}
		if op.Op == store.OpDelete {
			// A removal the admin agreed to (reset.go): always rolled forward.
			r, err := s.finishRemoval(ctx, op)
			if err != nil {
				return out, err
			}
			out = append(out, r)
			continue
		}
		account := secrets.Account(op.Profile, op.Integration, op.Key)
		r := Recovery{Integration: op.Integration, Key: op.Key}
		switch op.Phase {
		case PhaseCommitted:
			v, err := s.Secrets.Get(ctx, op.StagingAccount)
			switch {
			case err == nil:
				if err := s.Secrets.Set(ctx, account, v); err != nil {
					return out, fmt.Errorf("finishing the interrupted write of %s/%s: %w", op.Integration, op.Key, err)
				}
				if err := s.Secrets.Delete(ctx, op.StagingAccount); err != nil && !errors.Is(err, secrets.ErrNotFound) {
					return out, err
				}
				r.Action, r.Detail = "finished", "the new secret was moved into place"
			case errors.Is(err, secrets.ErrNotFound):
				// The staging entry was already promoted and deleted.
				r.Action, r.Detail = "finished", "the new secret was already in place"
			default:
				return out, fmt.Errorf("reading the staged %s/%s: %w", op.Integration, op.Key, err)
			}
		default:
			if err := s.Secrets.Delete(ctx, op.StagingAccount); err != nil && !errors.Is(err, secrets.ErrNotFound) {
				return out, fmt.Errorf("removing the staged %s/%s: %w", op.Integration, op.Key, err)
			}
			if op.Meta["keep_previous"] == "true" {
				// The database still names the old secret as current: its
				// "previous" copy, if made, is not a previous version yet.
				meta, merr := s.DB.Secret(ctx, op.Profile, op.Integration, op.Key)
				if merr == nil && meta.Previous == nil {
					if err := s.Secrets.Delete(ctx, previousAccount(account)); err != nil && !errors.Is(err, secrets.ErrNotFound) {
						return out, err
					}
				}
			}
			r.Action, r.Detail = "rolled back", "the interrupted write never reached the database; the old secret stays current"
		}
		err := s.DB.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.DeletePendingOp(ctx, op.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return tx.AddEvent(ctx, store.Event{
				Profile: op.Profile, Integration: op.Integration, Kind: "recovery",
				Summary: fmt.Sprintf("interrupted write of %s %s", op.Key, r.Action),
				Detail:  map[string]string{"key": op.Key, "op": op.Op, "phase": op.Phase},
			})
		})
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ownerTTL bounds how long a pending operation may be attributed to a live
// process: past it, a reused process ID cannot keep a crashed write pending.
const ownerTTL = 10 * time.Minute

// ownedMeta records which process runs a pending operation, so that a second
// patchbay starting meanwhile does not "recover" a write still in progress.
func ownedMeta(meta map[string]string) map[string]string {
	meta["pid"] = strconv.Itoa(os.Getpid())
	return meta
}

// secretInFlight refuses, before any vendor call or store access, a change
// of a secret whose write another patchbay is making right now.
func (s *Service) secretInFlight(ctx context.Context, integration, key string) error {
	ops, err := s.DB.PendingOps(ctx, s.Profile)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if op.Integration == integration && op.Key == key && inFlightElsewhere(op, s.now()) {
			return secretBusy(integration, key, store.ErrPendingOpExists)
		}
	}
	return nil
}

// inFlightElsewhere reports whether op belongs to another process that is
// still alive and started it recently.
func inFlightElsewhere(op store.PendingOp, now time.Time) bool {
	pid, err := strconv.Atoi(op.Meta["pid"])
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	if now.Sub(op.CreatedAt) > ownerTTL {
		return false
	}
	return processAlive(pid)
}
