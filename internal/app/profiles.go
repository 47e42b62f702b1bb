package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// Points of a profile rename or removal passed to Service.Phase, in order,
// for crash tests.
const (
	PointMoveRecorded  = "move-recorded"  // the move is recorded, nothing else changed
	PointMoveCopied    = "move-copied"    // rename: every entry copied to the new name
	PointMoveCommitted = "move-committed" // the database changed; old entries not yet removed
)

// ErrProfileBusy: the profile has a change in flight (a secret write, or
// another rename or removal) in this or another patchbay.
var ErrProfileBusy = errors.New("another change of this profile is in progress")

// ErrProfileHasSecrets: removing the profile would leave its secrets behind.
var ErrProfileHasSecrets = errors.New("the profile keeps secrets")

// ErrProfileExists: the new name is taken.
var ErrProfileExists = errors.New("a profile of that name exists")

// profileEntries lists the store entries a profile's recorded secrets use,
// as INTEGRATION/KEY (INTEGRATION/KEY.previous for a kept previous value),
// and a signature of what is recorded of them: a move gives way when it
// changed between the copy and the commit.
func profileEntries(metas []store.SecretMeta) (keys []string, sig string) {
	var b strings.Builder
	for _, m := range metas {
		keys = append(keys, m.Integration+"/"+m.Key)
		fmt.Fprintf(&b, "%s/%s@%d:%s:%s;", m.Integration, m.Key, m.CreatedAt.UnixMilli(), m.Last4, m.Fingerprint)
		if m.Previous != nil {
			keys = append(keys, m.Integration+"/"+previousAccountKey(m.Key))
			fmt.Fprintf(&b, "previous@%d:%s;", m.Previous.CreatedAt.UnixMilli(), m.Previous.Last4)
		}
	}
	return keys, b.String()
}

// unchangedSince runs inside a move's transaction: a secret written since
// the move was planned (sig) would be left behind or lost, so the move
// gives way to it.
func (s *Service) unchangedSince(ctx context.Context, tx *store.Tx, sig string) error {
	ops, err := tx.PendingOps(ctx, s.Profile)
	if err != nil {
		return err
	}
	if len(ops) > 0 {
		return fmt.Errorf("%w (%s/%s is being written)", ErrProfileBusy, ops[0].Integration, ops[0].Key)
	}
	metas, err := tx.Secrets(ctx, s.Profile, "")
	if err != nil {
		return err
	}
	if _, now := profileEntries(metas); now != sig {
		return fmt.Errorf("%w (its secrets changed meanwhile)", ErrProfileBusy)
	}
	return nil
}

func entryAccount(profile, entry string) string {
	integration, key, _ := strings.Cut(entry, "/")
	return secrets.Account(profile, integration, key)
}

// idle refuses a move while the profile has a secret write in flight.
func (s *Service) idle(ctx context.Context) error {
	ops, err := s.DB.PendingOps(ctx, s.Profile)
	if err != nil {
		return err
	}
	if len(ops) > 0 {
		return fmt.Errorf("%w (%s/%s is being written); try again when it is done, or run patchbay doctor", ErrProfileBusy, ops[0].Integration, ops[0].Key)
	}
	return nil
}

// RenameProfile renames the service's profile to newName with everything
// recorded of it, its secrets moved to entries of the new name. Crash-safe:
// the move is recorded, the entries are copied, one transaction renames
// the profile in the database, then the old entries are removed; a crash
// before the transaction leaves the old profile whole, after it the new
// one (RecoverProfileMoves finishes either way).
func (s *Service) RenameProfile(ctx context.Context, newName string) error {
	if err := secrets.ValidateAccountPart(newName); err != nil {
		return err
	}
	if _, err := s.DB.GetProfile(ctx, newName); err == nil {
		return fmt.Errorf("%w: %s", ErrProfileExists, newName)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := s.idle(ctx); err != nil {
		return err
	}
	metas, err := s.DB.Secrets(ctx, s.Profile, "")
	if err != nil {
		return err
	}
	keys, sig := profileEntries(metas)
	move := store.ProfileMove{Kind: store.MoveRename, From: s.Profile, To: newName, Keys: keys,
		Phase: store.MoveCopying, OwnerPID: os.Getpid()}
	if s.Secrets != nil {
		move.Backend = s.Secrets.Backend().Name
	}
	if len(keys) > 0 && s.Secrets == nil {
		return errors.New("the profile's secrets store is not open")
	}
	id, err := s.DB.AddProfileMove(ctx, move)
	if errors.Is(err, store.ErrMoveInProgress) {
		return fmt.Errorf("%w: %v", ErrProfileBusy, err)
	}
	if err != nil {
		return err
	}
	move.ID = id
	s.phase(PointMoveRecorded)
	// Only the entries this rename wrote are taken back: an entry of the
	// new name that exists already belongs to someone else, and the rename
	// gives way to it.
	var wrote []string
	undo := func(cause error) error {
		rctx := context.WithoutCancel(ctx)
		for _, k := range wrote {
			_ = s.Secrets.Delete(rctx, entryAccount(newName, k))
		}
		_ = s.DB.DeleteProfileMove(rctx, id)
		return cause
	}
	for _, k := range keys {
		if _, err := s.Secrets.Get(ctx, entryAccount(newName, k)); err == nil {
			return undo(fmt.Errorf("%w: the %s already holds %s of a profile %s", ErrProfileExists, s.Secrets.Backend().Name, k, newName))
		} else if !errors.Is(err, secrets.ErrNotFound) {
			return undo(fmt.Errorf("reading %s of %s: %w", k, newName, err))
		}
		v, err := s.Secrets.Get(ctx, entryAccount(s.Profile, k))
		if errors.Is(err, secrets.ErrNotFound) {
			// Already missing (doctor reports it): nothing to carry.
			continue
		}
		if err != nil {
			return undo(fmt.Errorf("reading %s: %w", k, err))
		}
		if err := s.Secrets.Set(ctx, entryAccount(newName, k), v); err != nil {
			return undo(fmt.Errorf("copying %s: %w", k, err))
		}
		wrote = append(wrote, k)
	}
	s.phase(PointMoveCopied)
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := s.unchangedSince(ctx, tx, sig); err != nil {
			return err
		}
		if err := tx.RenameProfile(ctx, s.Profile, newName); err != nil {
			return err
		}
		if err := tx.SetProfileMovePhase(ctx, id, store.MoveCommitted); err != nil {
			return err
		}
		return tx.AddEvent(ctx, store.Event{At: s.now(), Profile: newName, Kind: "profile",
			Summary: fmt.Sprintf("profile renamed from %s to %s (%d secret entries moved)", s.Profile, newName, len(keys))})
	})
	if err != nil {
		return undo(err)
	}
	s.phase(PointMoveCommitted)
	old := s.Profile
	s.Profile = newName
	return s.finishMove(ctx, move, old)
}

// RemoveProfile removes the service's profile and everything recorded of
// it. With removeSecrets its secrets are deleted from the store too;
// without, a profile that keeps secrets is refused (they would be left
// behind, unreferenced). Crash-safe like RenameProfile: once the database
// forgot the profile, its entries are removed, after a crash too.
func (s *Service) RemoveProfile(ctx context.Context, removeSecrets bool) (int, error) {
	if _, err := s.DB.GetProfile(ctx, s.Profile); err != nil {
		return 0, err
	}
	if err := s.idle(ctx); err != nil {
		return 0, err
	}
	metas, err := s.DB.Secrets(ctx, s.Profile, "")
	if err != nil {
		return 0, err
	}
	keys, sig := profileEntries(metas)
	if len(keys) > 0 && !removeSecrets {
		return 0, fmt.Errorf("%w: %d entries (%s); add --remove-secrets to delete them with it", ErrProfileHasSecrets, len(keys), strings.Join(keys, ", "))
	}
	if len(keys) > 0 && s.Secrets == nil {
		return 0, errors.New("the profile's secrets store is not open")
	}
	move := store.ProfileMove{Kind: store.MoveRemove, From: s.Profile, Keys: keys, Phase: store.MoveCopying, OwnerPID: os.Getpid()}
	if s.Secrets != nil {
		move.Backend = s.Secrets.Backend().Name
	}
	id, err := s.DB.AddProfileMove(ctx, move)
	if errors.Is(err, store.ErrMoveInProgress) {
		return 0, fmt.Errorf("%w: %v", ErrProfileBusy, err)
	}
	if err != nil {
		return 0, err
	}
	move.ID = id
	s.phase(PointMoveRecorded)
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := s.unchangedSince(ctx, tx, sig); err != nil {
			return err
		}
		if err := tx.DeleteProfile(ctx, s.Profile); err != nil {
			return err
		}
		return tx.SetProfileMovePhase(ctx, id, store.MoveCommitted)
	})
	if err != nil {
		_ = s.DB.DeleteProfileMove(context.WithoutCancel(ctx), id)
		return 0, err
	}
	s.phase(PointMoveCommitted)
	return len(keys), s.finishMove(ctx, move, s.Profile)
}

// finishMove removes the entries a committed move left under the old name,
// then forgets the move.
func (s *Service) finishMove(ctx context.Context, m store.ProfileMove, from string) error {
	for _, k := range m.Keys {
		err := s.Secrets.Delete(ctx, entryAccount(from, k))
		if err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return fmt.Errorf("removing %s of profile %s: %w (patchbay doctor finishes it)", k, from, err)
		}
	}
	return s.DB.DeleteProfileMove(ctx, m.ID)
}

// MoveRecovery is what RecoverProfileMoves did with one move.
type MoveRecovery struct {
	Move   store.ProfileMove
	Action string // "finished" or "rolled back"
}

// profileMoveTTL bounds how long a live owner's move is left to it, against
// a process ID reused by an unrelated process.
const profileMoveTTL = 10 * time.Minute

// RecoverProfileMoves finishes the profile moves a crash interrupted whose
// entries live in this service's secrets store: a committed one rolls
// forward (the old entries are removed), an uncommitted rename rolls back
// (the copies are removed; the old profile was never changed). A move whose
// owner is still running is left to it.
func (s *Service) RecoverProfileMoves(ctx context.Context) ([]MoveRecovery, error) {
	moves, err := s.DB.ProfileMoves(ctx)
	if err != nil {
		return nil, err
	}
	var out []MoveRecovery
	for _, m := range moves {
		if m.OwnerPID != os.Getpid() && m.OwnerPID > 0 && processAlive(m.OwnerPID) && s.now().Sub(m.CreatedAt) < profileMoveTTL {
			continue
		}
		if len(m.Keys) > 0 && (s.Secrets == nil || m.Backend != s.Secrets.Backend().Name) {
			continue // another backend's move: finished where that store is open
		}
		switch {
		case m.Phase == store.MoveCommitted:
			if err := s.finishMove(ctx, m, m.From); err != nil {
				return out, err
			}
			out = append(out, MoveRecovery{Move: m, Action: "finished"})
		case m.Kind == store.MoveRename:
			for _, k := range m.Keys {
				if err := s.Secrets.Delete(ctx, entryAccount(m.To, k)); err != nil && !errors.Is(err, secrets.ErrNotFound) {
					return out, err
				}
			}
			if err := s.DB.DeleteProfileMove(ctx, m.ID); err != nil {
				return out, err
			}
			out = append(out, MoveRecovery{Move: m, Action: "rolled back"})
		default:
			if err := s.DB.DeleteProfileMove(ctx, m.ID); err != nil {
				return out, err
			}
			out = append(out, MoveRecovery{Move: m, Action: "rolled back"})
		}
	}
	return out, nil
}
