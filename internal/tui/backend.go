package tui

import (
	"context"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
)

// Backend is what the TUI needs from the application layer. Every method is
// called from a tea.Cmd, never from Update or View, so a slow keyring or
// vendor never freezes a keypress.
type Backend interface {
	// Overview is the profile's progress, secrets metadata, checks and events.
	Overview(ctx context.Context) (app.Overview, error)
	// StepInput is what a run of one step starts from (prior answers, which
	// secrets are stored).
	StepInput(ctx context.Context, integration, step string) (app.StepInput, error)
	// Options loads a dynamic list of choices. An error means the vendor could
	// not be reached: the field falls back to manual entry.
	Options(ctx context.Context, integration string, src steps.OptionSource) ([]steps.Option, error)
	// Check runs the step's live check only; it writes nothing and honours
	// ctx cancellation.
	Check(ctx context.Context, sub app.Submission) (app.Outcome, error)
	// Complete stores the secrets and commits the step's state in one go.
	// It is the only write the TUI makes.
	Complete(ctx context.Context, sub app.Submission, out app.Outcome) error
	// Secret reads a stored secret, for copying it to the clipboard only.
	Secret(ctx context.Context, integration, key string) (string, error)
}
