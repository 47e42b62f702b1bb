package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
A database kept by an earlier patchbay, whose demo held its secrets in
memory only, has lost them: reopened, the demo says so, forgets them and
marks the steps that stored or handed them on as needing a re-run.

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
	svc, held, err := f.demoService(ctx, srv, dbPath, opts.ProfileSet)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	if len(held.Secrets) > 0 {
		printMemoryHeld(termsafe.NewWriter(f.IO.Out), svc.Profile, held)
		if f.IO.CanPrompt() && !f.Globals.Accessible {
			// The full-screen view would cover it: it is read first.
			fmt.Fprint(f.IO.Out, "Press Enter to open the demo. ")
			if _, err := f.readLine(); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
		}
	}
	return f.runTUI(ctx, svc, tui.Options{Mode: tui.ModeHome})
}

// printMemoryHeld says what reopening a demo database of an earlier version
// found and did: its secrets were held in memory and are gone, and which
// steps now need a re-run, and why.
func printMemoryHeld(w io.Writer, profile string, held app.MemoryHeld) {
	para := func(text string) {
		for _, l := range wrap(text, 78) {
			fmt.Fprintln(w, l)
		}
	}
	keys := make([]string, len(held.Secrets))
	for i, sec := range held.Secrets {
		keys[i] = fmt.Sprintf("%s/%s %s", sec.Integration, sec.Key, app.Ending(sec.Last4))
	}
	para(fmt.Sprintf("This demo database was made by an earlier patchbay, whose demo held its secrets in memory only: "+
		"they ended with that demo, and nothing kept a copy. patchbay has forgotten them (%s).", strings.Join(keys, ", ")))
	if len(held.Rerun) > 0 {
		fmt.Fprintf(w, "These steps of profile %s are marked needs re-run:\n", profile)
		for _, r := range held.Rerun {
			fmt.Fprintf(w, "  %s/%s — %s\n", r.Integration, r.Step, r.Title)
			for _, l := range wrap(r.Reason, 72) {
				fmt.Fprintf(w, "      %s\n", l)
			}
		}
		fmt.Fprintln(w, "Re-run them in the demo: any stand-in key will do.")
	}
	para(fmt.Sprintf("From now on the demo keeps its keys in the vault beside the database (passphrase %q).", demoVaultPassphrase))
}

// demoService opens the demo's database and secrets and points the vendor
// clients at the stand-ins. A kept database made by an earlier version
// records secrets its demo held in memory: they are forgotten and their
// steps marked needs re-run (held says which).
func (f *Factory) demoService(ctx context.Context, srv *standin.Servers, dbPath string, profileSet bool) (svc *app.Service, held app.MemoryHeld, err error) {
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, held, err
	}
	profile := "demo"
	if profileSet {
		profile = f.Globals.Profile
	}
	st, err := f.demoSecrets(ctx, db)
	if err == nil {
		svc = newService(db, st, profile, newVendors(&app.URLs{
			Lever: srv.LeverURL, Certn: srv.CertnURL, Vetty: srv.VettyURL, ChartHop: srv.ChartHopURL,
			// The EU region has its own deployment, as at Lever, so a demo key
			// of the other region shows the region being found and recorded.
			LeverEU: srv.LeverEUURL,
		}))
		held, err = svc.ForgetMemoryHeld(ctx)
	}
	if err == nil {
		err = db.SetSecretsBackend(ctx, profile, st.Backend().Name)
	}
	if err != nil {
		db.Close()
		return nil, app.MemoryHeld{}, err
	}
	f.Globals.Profile = profile
	return svc, held, nil
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
