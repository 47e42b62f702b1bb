package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/spf13/cobra"
)

// ProfilesOptions are what `patchbay profiles` needs.
type ProfilesOptions struct {
	F    *Factory
	JSON bool
	Now  func() time.Time
}

func newProfilesCmd(f *Factory) *cobra.Command {
	opts := &ProfilesOptions{F: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "List the profiles (one per customer company); rename or remove one",
		Long: `profiles lists every profile of the database: each integration's state, how
many things need attention, the soonest secret expiry, when the live checks
last ran, and where the profile keeps its secrets.

profiles rename OLD NEW and profiles remove NAME carry or remove the
profile's secrets with it, crash-safely: an interrupted rename or removal is
finished (or undone) by the next patchbay that opens the secrets store.`,
		Example: `  patchbay profiles
  patchbay profiles rename acme acme-eu
  patchbay profiles remove globex --remove-secrets --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return profilesListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array for scripts")
	cmd.AddCommand(newProfilesRenameCmd(f), newProfilesRemoveCmd(f))
	return cmd
}

func profilesListRun(ctx context.Context, opts *ProfilesOptions) error {
	svc, err := opts.F.FleetService(ctx)
	if err != nil {
		return err
	}
	svc.Now = opts.Now
	rows, err := svc.Profiles(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.F.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	printProfiles(opts.F.IO.Out, rows, opts.Now().UTC())
	return nil
}

func printProfiles(w io.Writer, rows []app.ProfileSummary, now time.Time) {
	w = termsafe.NewWriter(w)
	if len(rows) == 0 {
		fmt.Fprintln(w, "No profiles yet: patchbay --profile NAME setup INTEGRATION creates one.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	ids := steps.IntegrationIDs()
	fmt.Fprintf(tw, "PROFILE\t%s\tATTENTION\tSOONEST EXPIRY\tLAST LIVE CHECK\tSECRETS\n", strings.ToUpper(strings.Join(ids, "\t")))
	for _, r := range rows {
		var states []string
		for _, id := range ids {
			states = append(states, strings.ReplaceAll(string(r.States[id]), "_", " "))
		}
		attention := fmt.Sprint(r.Attention)
		if r.Unchecked > 0 {
			attention += fmt.Sprintf(" (+%d unknown)", r.Unchecked)
		}
		expiry, last := "—", "never"
		if r.SoonestExpiry != nil {
			expiry = expiresIn(now, *r.SoonestExpiry)
		}
		if r.LastLiveCheck != nil {
			last = ago(now, *r.LastLiveCheck)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, strings.Join(states, "\t"), attention, expiry, last, orNone(r.SecretsBackend))
	}
	tw.Flush()
}

func newProfilesRenameCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "rename OLD NEW",
		Short:   "Rename a profile; its progress, history and secrets move with it",
		Example: `  patchbay profiles rename acme acme-eu`,
		Args:    exactArgs(2, "OLD and NEW profile names"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validProfile(args[1]) {
				return usageError("new profile name %q: %v", args[1], errBadProfile)
			}
			ctx := cmd.Context()
			svc, err := f.ProfileService(ctx, args[0])
			if err != nil {
				return err
			}
			if err := svc.RenameProfile(ctx, args[1]); err != nil {
				return profileMoveError(err)
			}
			fmt.Fprintf(termsafe.NewWriter(f.IO.Out), "Renamed profile %s to %s.\n", args[0], args[1])
			return nil
		},
		ValidArgsFunction: completeProfiles(f),
	}
}

// ProfilesRemoveOptions are what `patchbay profiles remove` needs.
type ProfilesRemoveOptions struct {
	F             *Factory
	Name          string
	RemoveSecrets bool
	Yes           bool
}

func newProfilesRemoveCmd(f *Factory) *cobra.Command {
	opts := &ProfilesRemoveOptions{F: f}
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a profile and everything recorded of it (asks; --yes for scripts)",
		Long: `remove forgets a profile: its progress, check results and history. A profile
that keeps secrets is removed only with --remove-secrets, which deletes them
from the keyring (or vault) too: patchbay never leaves secrets behind
unreferenced, nor deletes them unasked. Revoke the keys in the vendors' UIs
as well.`,
		Example: `  patchbay profiles remove globex
  patchbay profiles remove globex --remove-secrets --yes`,
		Args: exactArgs(1, "the profile to remove"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return profilesRemoveRun(cmd.Context(), opts)
		},
		ValidArgsFunction: completeProfiles(f),
	}
	cmd.Flags().BoolVar(&opts.RemoveSecrets, "remove-secrets", false, "also delete the profile's secrets from the keyring or vault")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation (scripts)")
	return cmd
}

func profilesRemoveRun(ctx context.Context, opts *ProfilesRemoveOptions) error {
	f := opts.F
	if !opts.Yes && !f.IO.CanPrompt() {
		return fmt.Errorf("%w: remove asks before forgetting a profile; pass --yes in scripts", errNeedsTerminal)
	}
	svc, err := f.ProfileService(ctx, opts.Name)
	if err != nil {
		return err
	}
	if !opts.Yes {
		what := "its progress and history"
		if opts.RemoveSecrets {
			what += ", and delete its secrets from the " + orNone(svc.Secrets.Backend().Name)
		}
		ok, err := f.yes(fmt.Sprintf("Remove profile %s: forget %s?", opts.Name, what))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(f.IO.Out, "Nothing removed.")
			return nil
		}
	}
	n, err := svc.RemoveProfile(ctx, opts.RemoveSecrets)
	if err != nil {
		return profileMoveError(err)
	}
	w := termsafe.NewWriter(f.IO.Out)
	fmt.Fprintf(w, "Removed profile %s", opts.Name)
	if n > 0 {
		fmt.Fprintf(w, " and its %d secret entries from the %s; revoke the keys in the vendors' UIs too", n, svc.Secrets.Backend().Name)
	}
	fmt.Fprintln(w, ".")
	return nil
}

// profileMoveError words a refused rename or removal: the admin's call to
// change (exit 2), or a change in flight to wait for (exit 1).
func profileMoveError(err error) error {
	switch {
	case errors.Is(err, app.ErrProfileExists), errors.Is(err, app.ErrProfileHasSecrets):
		return usageError("%v", err)
	}
	return err
}

// FleetService is the application services for what concerns every
// profile of the database (their summaries), after finishing any rename
// or removal a crash interrupted. It reads SQLite only.
func (f *Factory) FleetService(ctx context.Context) (*app.Service, error) {
	db, err := f.DB(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.finishProfileMoves(ctx, db); err != nil {
		return nil, err
	}
	return newService(db, nil, f.Globals.Profile, nil), nil
}

// ProfileService is the application services of a named profile that
// exists, with the secrets store it remembers open, after finishing any
// rename or removal a crash interrupted.
func (f *Factory) ProfileService(ctx context.Context, name string) (*app.Service, error) {
	db, err := f.DB(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.finishProfileMoves(ctx, db); err != nil {
		return nil, err
	}
	p, err := db.GetProfile(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, f.unknownProfile(ctx, db, name)
	}
	if err != nil {
		return nil, err
	}
	var st secrets.Store
	if p.SecretsBackend != "" {
		if st, err = f.openSecrets(ctx, p.SecretsBackend, db, p.LegacySecrets); err != nil {
			return nil, err
		}
		if err := f.unlockVault(ctx, st); err != nil {
			return nil, err
		}
	}
	svc := newService(db, st, name, nil)
	svc.Phase = f.crashHook() // nil unless a test asks for it
	if st != nil {
		// Secrets still where earlier versions kept them move under this
		// database first: a rename or removal then finds every entry.
		if _, err := svc.MigrateLegacySecrets(ctx); err != nil {
			return nil, fmt.Errorf("moving profile %s's secrets to this database's own entries: %w", name, err)
		}
	}
	return svc, nil
}

// finishProfileMoves finishes the profile renames and removals a crash
// interrupted, each in the secrets store its entries live in, saying what
// it did. With none in flight it costs one query.
func (f *Factory) finishProfileMoves(ctx context.Context, db *store.DB) error {
	moves, err := db.ProfileMoves(ctx)
	if err != nil || len(moves) == 0 {
		return err
	}
	backends := map[string]bool{}
	for _, m := range moves {
		backends[m.Backend] = true
	}
	for backend := range backends {
		var st secrets.Store
		if backend != "" {
			if st, err = f.openSecrets(ctx, backend, db, false); err != nil {
				return err
			}
			if err := f.unlockVault(ctx, st); err != nil {
				return err
			}
		}
		done, err := newService(db, st, "", nil).RecoverProfileMoves(ctx)
		for _, r := range done {
			what := "removal of profile " + r.Move.From
			if r.Move.Kind == store.MoveRename {
				what = fmt.Sprintf("rename of profile %s to %s", r.Move.From, r.Move.To)
			}
			fmt.Fprintf(termsafe.NewWriter(f.IO.ErrOut), "patchbay: an interrupted %s was %s\n", what, r.Action)
		}
		if err != nil {
			return fmt.Errorf("finishing an interrupted profile rename or removal: %w", err)
		}
	}
	return nil
}

// completeProfiles offers the database's profiles to shell completion.
func completeProfiles(f *Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		db, err := f.DB(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ps, err := db.ListProfiles(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, len(ps))
		for i, p := range ps {
			names[i] = p.Name
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
