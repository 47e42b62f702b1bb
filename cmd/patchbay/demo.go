package main

import (
	"context"
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
PATCHBAY_DEMO_LATENCY=300ms delays every answer. --db PATH keeps the demo's
database (for status or history afterwards); its secrets are never kept.

demo --serve starts only the stand-ins on loopback, prints the
PATCHBAY_<VENDOR>_URL lines to point patchbay at them, and serves until
interrupted.`,
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
	latency, err := standin.LatencyFromEnv()
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
		for _, line := range srv.Env() {
			fmt.Fprintln(termsafe.NewWriter(f.IO.Out), line)
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
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	profile := "demo"
	if opts.ProfileSet {
		profile = f.Globals.Profile
	}
	mem := secrets.NewMemory()
	if err := db.SetSecretsBackend(ctx, profile, mem.Backend().Name); err != nil {
		return err
	}
	svc := &app.Service{DB: db, Secrets: mem, Vendors: &app.Vendors{Version: patchbayVersion(), URLs: &app.URLs{
		Lever: srv.LeverURL, Certn: srv.CertnURL, Vetty: srv.VettyURL, ChartHop: srv.ChartHopURL,
	}}, Profile: profile}
	f.Globals.Profile = profile
	return f.runTUI(ctx, svc, tui.Options{Mode: tui.ModeHome})
}
