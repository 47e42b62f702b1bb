package main

import (
	"context"
	"fmt"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/store/secrets"
)

// doctorRecovery finishes or rolls back any secret write a crash
// interrupted, then looks for entries of the profile in the secrets store
// that the database does not account for. Both are warnings: patchbay works
// on, but the admin should know. With remove, orphaned entries are deleted
// (the flag is the admin's consent) and each removal is recorded.
func doctorRecovery(ctx context.Context, f *Factory, st secrets.Store, remove bool) []finding {
	db, err := f.DB(ctx)
	if err != nil {
		return nil
	}
	svc := newService(db, st, f.Globals.Profile, nil)
	var out []finding
	recovered, err := svc.Recover(ctx)
	switch {
	case err != nil:
		out = append(out, finding{levelFail, "pending", "an interrupted secret write could not be finished: " + err.Error(),
			"make sure the secrets store answers (unlock the keyring), then run patchbay doctor again"})
	case len(recovered) == 0:
		out = append(out, finding{levelOK, "pending", "no interrupted secret write", ""})
	}
	for _, r := range recovered {
		out = append(out, finding{levelWarn, "pending",
			fmt.Sprintf("an interrupted write of %s/%s was %s: %s", r.Integration, r.Key, r.Action, r.Detail),
			"nothing left to do; it is recorded in patchbay history"})
	}
	if err != nil {
		return out
	}
	if moved, err := svc.MigrateLegacySecrets(ctx); err != nil {
		return append(out, finding{levelFail, "entries", "could not move this database's secrets to its own entries: " + err.Error(),
			"make sure the secrets store answers, then run patchbay doctor again"})
	} else if moved > 0 {
		out = append(out, finding{levelOK, "entries", fmt.Sprintf("moved %d secret(s) to this database's own entries", moved), ""})
	}
	out = append(out, doctorStored(ctx, svc, st)...)

	orphans, err := svc.Orphans(ctx)
	if err != nil {
		return append(out, finding{levelWarn, "orphans", "could not look for orphaned secrets: " + err.Error(), ""})
	}
	if len(orphans) == 0 {
		return append(out, finding{levelOK, "orphans", fmt.Sprintf("none: every entry of profile %s in the %s is accounted for", f.Globals.Profile, st.Backend().Name), ""})
	}
	for _, o := range orphans {
		if remove {
			if err := svc.RemoveOrphan(ctx, o.Account); err != nil {
				out = append(out, finding{levelWarn, "orphans", fmt.Sprintf("%s: could not be removed: %v", o.Account, err), ""})
				continue
			}
			out = append(out, finding{levelOK, "orphans", fmt.Sprintf("removed %s (%s); recorded in the history", o.Account, o.Reason), ""})
			continue
		}
		out = append(out, finding{levelWarn, "orphans", fmt.Sprintf("%s in the %s: %s", o.Account, st.Backend().Name, o.Reason),
			"if nothing uses it any more (revoke it in the vendor's UI if it still works): patchbay doctor --remove-orphans, which records each removal in the history"})
	}
	return out
}

// doctorStored checks that every secret the database records, current and
// previous, is in the store and is the value patchbay recorded.
func doctorStored(ctx context.Context, svc *app.Service, st secrets.Store) []finding {
	n, problems, err := svc.CheckStored(ctx)
	if err != nil {
		return []finding{{levelFail, "entries", "could not read the recorded secrets: " + err.Error(), ""}}
	}
	if len(problems) == 0 {
		return []finding{{levelOK, "entries", fmt.Sprintf("all %d recorded secret(s) are in the %s, as recorded", n, st.Backend().Name), ""}}
	}
	var out []finding
	for _, p := range problems {
		fix := fmt.Sprintf("enter it again: patchbay run %s/STEP (patchbay status names the step), or rotate it", p.Integration)
		if p.Previous {
			fix = fmt.Sprintf("once the previous value is revoked in the vendor's UI: patchbay rotate %s/%s --revoked", p.Integration, p.Key)
		}
		out = append(out, finding{levelFail, "entries", p.Detail, fix})
	}
	return out
}
