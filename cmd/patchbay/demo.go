package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/clients/standin"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/patchbay/patchbay/internal/tui"
	"github.com/spf13/cobra"
)

// DemoOptions are what `patchbay demo` needs.
type DemoOptions struct {
	F     *Factory
	Serve bool
	Addr  string
	// ProfileSet is true when --profile was given; the demo's default is "demo".
	ProfileSet bool
}

func newDemoCmd(f *Factory) *cobra.Command {
	opts := &DemoOptions{F: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try patchbay offline against built-in stand-ins of the vendor APIs",
		Long: `demo starts local stand-ins of the Lever, Certn, Vetty and ChartHop APIs and
opens the home screen on a throwaway profile, database and in-memory secrets
store, so you can walk all three integrations without any real account.

The stand-ins accept any key, except one containing "invalid" (refused, 401)
or "forbidden" (refused on the endpoints whose permission is probed, 403).
PATCHBAY_DEMO_LATENCY=300ms delays every answer.

The demo's profile is "demo". Without --db its database and secrets are
thrown away on exit. --db PATH keeps them: the database at PATH, the stand-in
keys in the encrypted vault beside it, whose passphrase is "demo". Reopen it
with patchbay demo --db PATH, or look at it with, e.g.,
  patchbay status --db PATH --profile demo
  PATCHBAY_VAULT_PASSPHRASE=demo patchbay status --live --db PATH --profile demo

demo --serve starts only the stand-ins on loopback, prints
"export PATCHBAY_<VENDOR>_URL=..." lines that point patchbay at them (a shell
can eval or source them), and serves until interrupted:
  patchbay demo --serve > stand-ins.env &
  . ./stand-ins.env`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.ProfileSet = cmd.Flags().Changed("profile")
			return demoRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Serve, "serve", false, "only serve the stand-ins, until interrupted")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:0", "loopback `host:port` for --serve")
	return cmd
}

func demoRun(ctx context.Context, opts *DemoOptions) error {
	f := opts.F
	latency, err := standin.ParseLatency(f.getenv(standin.EnvLatency))
	if err != nil {
		return usageError("%v", err)
	}
	addr := ""
	if opts.Serve {
		addr = opts.Addr
	}
	srv, err := standin.Start(standin.Options{Addr: addr, Latency: latency})
	if err != nil {
		return err
	}
	defer srv.Close()

	if opts.Serve {
		// Lines a shell can eval or source (the URLs need no quoting).
		for _, line := range srv.Env() {
			fmt.Fprintln(termsafe.NewWriter(f.IO.Out), "export "+line)
		}
		fmt.Fprintf(f.IO.ErrOut, "patchbay: stand-ins serving on %s; Ctrl+C stops them\n", srv.Addr())
		<-ctx.Done()
		return nil
	}

	if !f.IO.CanPrompt() && !f.Globals.Accessible {
		return fmt.Errorf("%w: the demo needs a terminal; for scripts, use patchbay demo --serve and point patchbay at the printed URLs", errNeedsTerminal)
	}
	dbPath := f.Globals.DBPath
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "patchbay-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "demo.db")
	}
	svc, err := f.demoService(ctx, srv, dbPath, opts.ProfileSet)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	return f.runTUI(ctx, svc, tui.Options{Mode: tui.ModeHome})
}

// demoService opens the demo's database and secrets and points the vendor
// clients at the stand-ins.
func (f *Factory) demoService(ctx context.Context, srv *standin.Servers, dbPath string, profileSet bool) (*app.Service, error) {
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	profile := "demo"
	if profileSet {
		profile = f.Globals.Profile
	}
	st, err := f.demoSecrets(ctx, db)
	if err == nil {
		err = db.SetSecretsBackend(ctx, profile, st.Backend().Name)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	f.Globals.Profile = profile
	return newService(db, st, profile, newVendors(&app.URLs{
		Lever: srv.LeverURL, Certn: srv.CertnURL, Vetty: srv.VettyURL, ChartHop: srv.ChartHopURL,
		// The EU region has its own deployment, as at Lever, so a demo key
		// of the other region shows the region being found and recorded.
		LeverEU: srv.LeverEUURL,
	})), nil
}

// The demo's passphrase is public: the vault only lets a reopened demo
// database find the stand-in keys it was given. Its scrypt cost protects
// nothing, so it is kept low and the demo stays quick.
const (
	demoVaultPassphrase = "demo"
	demoVaultWorkFactor = 10
)

// demoSecrets is where the demo keeps its secrets: in memory for a throwaway
// database, in the vault beside a database kept with --db (passphrase
// "demo"), so that the demo reopened finds the keys it was given.
func (f *Factory) demoSecrets(ctx context.Context, db *store.DB) (secrets.Store, error) {
	if f.Globals.DBPath == "" {
		return secrets.NewMemory(), nil
	}
	f.passphrase = demoVaultPassphrase
	f.vault = secrets.NewVault(vaultPath(db.Path()), f.vaultPassphrase, secrets.VaultOptions{WorkFactor: demoVaultWorkFactor})
	if err := f.vault.Unlock(ctx); err != nil {
		if errors.Is(err, secrets.ErrBadPassphrase) {
			return nil, usageError("%s is a vault that is not the demo's (its passphrase is not %q); give the demo a database of its own", f.vault.Path(), demoVaultPassphrase)
		}
		return nil, err
	}
	return f.vault, nil
}
