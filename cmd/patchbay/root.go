package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version from the build info is used.
var version = ""

func patchbayVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Globals are the flags every command shares.
type Globals struct {
	Profile    string
	ProfileSet bool // --profile was given, not defaulted
	DBPath     string
	Secrets    string // "", "keyring" or "vault": an explicit choice, remembered per profile
	Accessible bool
	NoColor    bool
}

// Main runs patchbay with args and returns the process exit code.
func Main(ctx context.Context, args []string, io *IOStreams, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl+C cancels the command (prompts and checks give up,
	// nothing is half-written); a second one is no longer caught and ends
	// the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	f := newFactory(io, getenv)
	defer f.Close()
	root := newRootCmd(f)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	_, err := root.ExecuteContextC(ctx)
	return exitCode(err, io.ErrOut)
}

func newRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "patchbay",
		Short: "Connect your hiring stack, one documented step at a time",
		Long: `patchbay walks you through connecting Lever, Certn, Vetty, Chattr and ChartHop:
every documented step, checked against the vendors' APIs where possible, with
secrets kept in the OS keyring (or an encrypted vault) and progress saved locally.

Run it without a command for the home screen.`,
		Version:       patchbayVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			f.ctx = cmd.Context()
			f.readOnly = cmd.Annotations[annotationReadOnly] != ""
			f.Globals.ProfileSet = cmd.Flags().Changed("profile")
			if cmd.Flags().Changed("db") && f.Globals.DBPath == "" {
				return usageError("--db: give the database's path (an empty one would mean the default database)")
			}
			if err := f.validateGlobals(); err != nil {
				return err
			}
			if cmd.Name() == "demo" {
				return nil // the demo talks to its own stand-ins only
			}
			return f.announceOverrides()
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return homeRun(cmd.Context(), f)
		},
	}
	root.SetVersionTemplate("patchbay {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError("%v (see patchbay --help)", err)
	})
	pf := root.PersistentFlags()
	pf.StringVar(&f.Globals.Profile, "profile", "default", "the customer company's `profile` (each keeps its own progress and secrets)")
	pf.StringVar(&f.Globals.DBPath, "db", "", "database `path` (default $XDG_STATE_HOME/patchbay/patchbay.db)")
	pf.StringVar(&f.Globals.Secrets, "secrets", "", "secrets `backend` for this profile: keyring or vault (remembered)")
	pf.BoolVar(&f.Globals.Accessible, "accessible", false, "plain line-by-line prompts, suitable for screen readers")

	root.AddCommand(
		newSetupCmd(f),
		newRunCmd(f),
		readOnlyCmd(newStatusCmd(f)),
		readOnlyCmd(newDashboardCmd(f)),
		newDemoCmd(f),
		newDoctorCmd(f), // read-only for a named --profile only: see doctorRun
		newRotateCmd(f),
		readOnlyCmd(newHistoryCmd(f)),
		newResetCmd(f),
		newDisconnectCmd(f),
		readOnlyCmd(newExportCmd(f)),
		newApplyCmd(f),
		readOnlyCmd(newProfilesCmd(f)),
		newVaultCmd(f),
	)
	root.AddCommand(newEnvironmentTopic())
	registerCompletions(root, f)
	usageArgs(root)
	// Every command's help ends with the exit codes; cobra hands the root's
	// template down to the subcommands.
	root.SetHelpTemplate(root.HelpTemplate() + exitCodesHelp)
	return root
}

// annotationReadOnly marks the commands that only read: on a profile that
// does not exist they exit 2 instead of creating it.
const annotationReadOnly = "patchbay-read-only"

// readOnlyCmd marks cmd as one that only reads.
func readOnlyCmd(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[annotationReadOnly] = "yes"
	return cmd
}

// usageArgs makes every argument-count error (cobra's "unknown command",
// "accepts at most 1 arg") a usage error, which exits 2.
func usageArgs(cmd *cobra.Command) {
	if validate := cmd.Args; validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			err := validate(c, args)
			if err == nil || errors.Is(err, errUsage) {
				return err
			}
			return usageError("%v (see %s --help)", err, c.CommandPath())
		}
	}
	for _, sub := range cmd.Commands() {
		usageArgs(sub)
	}
}

// errBadProfile explains the profile name rules.
var errBadProfile = errors.New("a profile name is 1–64 letters, digits, '.', '_' or '-'")

func (f *Factory) validateGlobals() error {
	if !validProfile(f.Globals.Profile) {
		return usageError("profile %q: %v", f.Globals.Profile, errBadProfile)
	}
	switch f.Globals.Secrets {
	case "", "keyring", "vault":
	default:
		return usageError("--secrets %q: choose keyring or vault", f.Globals.Secrets)
	}
	f.Globals.NoColor = f.getenv("NO_COLOR") != ""
	return nil
}

func validProfile(p string) bool {
	if p == "" || len(p) > 64 {
		return false
	}
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return p != "." && p != ".."
}
