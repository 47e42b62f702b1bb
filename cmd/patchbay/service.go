package main

import (
	"context"
	"fmt"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/termsafe"
)

// Service opens the database and the profile's secrets store, finishes any
// secret write a crash interrupted, and returns the application services.
func (f *Factory) Service(ctx context.Context) (*app.Service, error) {
	if f.svc != nil {
		return f.svc, nil
	}
	db, err := f.DB(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.finishProfileMoves(ctx, db); err != nil {
		return nil, err
	}
	urls, err := f.vendorURLs()
	if err != nil {
		return nil, err
	}
	sec, err := f.Secrets(ctx)
	if err != nil {
		return nil, err
	}
	svc := newService(db, sec, f.Globals.Profile, newVendors(urls))
	recovered, err := svc.Recover(ctx)
	if err != nil {
		return nil, fmt.Errorf("finishing an interrupted secret write: %w", err)
	}
	for _, r := range recovered {
		fmt.Fprintf(termsafe.NewWriter(f.IO.ErrOut), "patchbay: an interrupted write of %s/%s was %s (%s)\n", r.Integration, r.Key, r.Action, r.Detail)
	}
	svc.Phase = f.crashHook() // nil unless a test asks for it
	moved, err := svc.MigrateLegacySecrets(ctx)
	if err != nil {
		return nil, fmt.Errorf("moving this database's secrets to its own entries: %w", err)
	}
	if moved > 0 {
		fmt.Fprintf(f.IO.ErrOut, "patchbay: moved %d secret(s) of profile %s to this database's own entries in the %s\n",
			moved, f.Globals.Profile, sec.Backend())
	}
	f.svc = svc
	return svc, nil
}

// ReadService is the application services without a secrets store, for
// commands that only read what SQLite knows (status, history): they never
// wait on a keyring.
func (f *Factory) ReadService(ctx context.Context) (*app.Service, error) {
	db, err := f.DB(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.ensureProfile(ctx, db); err != nil {
		return nil, err
	}
	return newService(db, nil, f.Globals.Profile, nil), nil
}

// newService is the one place an app.Service is built. Without vendors it
// only reads and writes what is stored.
func newService(db *store.DB, st secrets.Store, profile string, vendors *app.Vendors) *app.Service {
	svc := &app.Service{DB: db, Secrets: st, Profile: profile}
	if vendors != nil {
		svc.Vendors = vendors
	}
	return svc
}

// newVendors is the vendor clients at urls (the zero URLs: the vendors'
// own addresses). Services sharing one share its per-key rate limiters.
func newVendors(urls *app.URLs) *app.Vendors {
	return &app.Vendors{Version: patchbayVersion(), URLs: urls}
}

// ProfileServices is the application services of every profile of the
// database, for the commands that report them all at once. Without live
// checks they read SQLite only; with them each profile opens the secrets
// backend it remembers (the vault's passphrase is asked once, since one
// vault serves the database), and all share one Vendors, so that profiles
// holding the same key share its rate limiter.
func (f *Factory) ProfileServices(ctx context.Context, live bool) ([]*app.Service, error) {
	db, err := f.DB(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.finishProfileMoves(ctx, db); err != nil {
		return nil, err
	}
	profiles, err := db.ListProfiles(ctx)
	if err != nil {
		return nil, err
	}
	var vendors *app.Vendors
	if live {
		urls, err := f.vendorURLs()
		if err != nil {
			return nil, err
		}
		vendors = newVendors(urls)
	}
	opened := map[string]secrets.Store{}
	svcs := make([]*app.Service, 0, len(profiles))
	for _, p := range profiles {
		var st secrets.Store
		if live && p.SecretsBackend != "" {
			// Profiles whose secrets still sit where earlier versions kept
			// them open the store that finds them there.
			which := fmt.Sprint(p.SecretsBackend, p.LegacySecrets)
			var ok bool
			st, ok = opened[which]
			if !ok {
				if st, err = f.openSecrets(ctx, p.SecretsBackend, db, p.LegacySecrets); err != nil {
					return nil, fmt.Errorf("profile %s: %w", p.Name, err)
				}
				if err := f.unlockVault(ctx, st); err != nil {
					return nil, fmt.Errorf("profile %s: %w", p.Name, err)
				}
				opened[which] = st
			}
		}
		var vs *app.Vendors // live checks need the profile's secrets
		if st != nil {
			vs = vendors
		}
		svcs = append(svcs, newService(db, st, p.Name, vs))
	}
	return svcs, nil
}
