package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func newVaultCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vault",
		Short: "Manage the profile's encrypted vault",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "passphrase",
		Short: "Change the vault's passphrase",
		Long: `passphrase changes the passphrase of the profile's vault. It re-wraps the
vault's key only: the secrets in it are not touched.

The current passphrase comes from a prompt or PATCHBAY_VAULT_PASSPHRASE; the
new one from a prompt (asked twice), or without a terminal from the first
line of standard input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return vaultPassphraseRun(cmd.Context(), f)
		},
	})
	return cmd
}

func vaultPassphraseRun(ctx context.Context, f *Factory) error {
	db, err := f.DB(ctx)
	if err != nil {
		return err
	}
	backend, err := f.SecretsBackend(ctx, db)
	if err != nil {
		return err
	}
	if backend != "vault" {
		return usageError("profile %s keeps its secrets in the %s, not in a vault", f.Globals.Profile, backend)
	}
	if _, err := f.Service(ctx); err != nil { // opens the vault with the current passphrase
		return err
	}
	if exists, err := f.vault.Exists(); err != nil || !exists {
		if err != nil {
			return err
		}
		return usageError("profile %s has no vault yet (%s): its passphrase is chosen when the first secret is saved", f.Globals.Profile, f.vault.Path())
	}
	newPass, err := f.newPassphrase()
	if err != nil {
		return err
	}
	if err := f.vault.ChangePassphrase(ctx, newPass); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "The passphrase of %s was changed; the secrets in it were not touched.\n", f.vault.Path())
	return nil
}

// newPassphrase asks for a new vault passphrase twice on a terminal, or
// reads it from the first line of standard input.
func (f *Factory) newPassphrase() (string, error) {
	if !f.IO.CanPrompt() {
		line, err := bufio.NewReader(io.LimitReader(f.IO.In, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		p := strings.TrimRight(line, "\r\n")
		if p == "" {
			return "", usageError("give the new passphrase on the first line of standard input")
		}
		return p, nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("opening the terminal for the vault passphrase: %w", err)
	}
	defer tty.Close()
	return f.askNewPassphrase(tty, f.vault.Path())
}
