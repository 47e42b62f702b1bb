package main

import (
	"context"
	"fmt"

	"github.com/patchbay/patchbay/app"
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
	sec, err := f.Secrets(ctx)
	if err != nil {
		return nil, err
	}
	svc := &app.Service{
		DB:      db,
		Secrets: sec,
		Vendors: &app.Vendors{Version: patchbayVersion()},
		Profile: f.Globals.Profile,
	}
	recovered, err := svc.Recover(ctx)
	if err != nil {
		return nil, fmt.Errorf("finishing an interrupted secret write: %w", err)
	}
	for _, r := range recovered {
		fmt.Fprintf(f.IO.ErrOut, "patchbay: an interrupted write of %s/%s was %s (%s)\n", r.Integration, r.Key, r.Action, r.Detail)
	}
	f.svc = svc
	return svc, nil
}
