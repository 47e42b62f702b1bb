package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/clients/inferred"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/spf13/cobra"
)

// environmentHelp is `patchbay help environment`: every environment variable
// patchbay reads (TestEnvironmentHelpListsEveryVariable keeps it complete).
const environmentHelp = `patchbay reads these environment variables. Each is optional.

Where things are kept
  PATCHBAY_DB                 the database file, like --db (which wins)
  XDG_STATE_HOME              the state directory when it is absolute: the
                              database is $XDG_STATE_HOME/patchbay/patchbay.db
  HOME                        otherwise ~/.local/state/patchbay/patchbay.db

Secrets
  PATCHBAY_VAULT_PASSPHRASE   the encrypted vault's passphrase, for scripts
                              (otherwise asked on the terminal, without echo)
  PATCHBAY_KEYRING_TIMEOUT    how long one OS keyring call may take before
                              patchbay gives up, e.g. 10s (default 3s)
  DBUS_SESSION_BUS_ADDRESS    Linux: the session bus where the Secret Service
                              (GNOME Keyring, KWallet) answers; without it
                              there is no keyring and the vault is offered
  PATCHBAY_SECRET_<NAME>      a secret that an apply file names as
                              env:PATCHBAY_SECRET_<NAME>; no other variable
                              can be read that way
                              patchbay takes the passphrase and these out of
                              its environment at start: the browser or a
                              clipboard tool it starts never inherits them

Vendors
  PATCHBAY_LEVER_URL          another base URL for the Lever API
  PATCHBAY_CERTN_URL          another base URL for the Certn API
  PATCHBAY_VETTY_URL          another base URL for the Vetty API
  PATCHBAY_CHARTHOP_URL       another base URL for the ChartHop API
                              (https://, or http:// to this machine only;
                              patchbay says on stderr when one is in effect)

The dashboard and the demo
  PATCHBAY_REFRESH_INTERVAL   how often the dashboard re-runs the live checks,
                              e.g. 5m (default 60s)
  PATCHBAY_DEMO_LATENCY       delay every answer of the demo's stand-ins,
                              e.g. 300ms
  NO_COLOR                    set and not empty: no colour (no-color.org)
`

// newEnvironmentTopic is a help topic, not a command: `patchbay help
// environment` prints it, and --help lists it under additional topics.
func newEnvironmentTopic() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "environment",
		Short: "The environment variables patchbay reads",
		Long:  environmentHelp,
	}
	// The guessed addresses are listed when the topic is shown, not built
	// at every start.
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		fmt.Fprint(c.OutOrStdout(), environmentHelp+"\n"+guessesHelp())
	})
	return cmd
}

// guessesHelp lists the vendor facts patchbay guesses (inferred.Table),
// with the variable that replaces each, so an admin whose vendor answers
// elsewhere knows what to set.
func guessesHelp() string {
	var b strings.Builder
	b.WriteString("Guessed vendor facts (not in the vendors' documentation; if one is wrong,\npatchbay says so and names the variable above that replaces it)\n")
	for _, g := range inferred.Table() {
		fmt.Fprintf(&b, "  %s\n", g.What)
		if g.Override != "" {
			fmt.Fprintf(&b, "    set %s to replace it\n", g.Override)
		}
	}
	return b.String()
}

// registerCompletions completes --profile with the profiles of the database
// in use (read-only: completing never creates or changes a database) and
// --secrets with its two values.
func registerCompletions(root *cobra.Command, f *Factory) {
	_ = root.RegisterFlagCompletionFunc("profile", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		path, err := f.DBPath()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		// A shell waits for this: give up rather than keep it waiting.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		names, err := store.ProfileNames(ctx, path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.RegisterFlagCompletionFunc("secrets", cobra.FixedCompletions([]string{
		"keyring\tthe OS keyring (Secret Service, Keychain, Credential Manager)",
		"vault\tan encrypted file beside the database, behind a passphrase",
	}, cobra.ShellCompDirectiveNoFileComp))
}
