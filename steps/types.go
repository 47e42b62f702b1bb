// Package steps is patchbay's domain: the catalog of integrations and their
// steps, field validators, the option rules and the progress engine.
//
// It knows nothing of the terminal, HTTP or SQL. Every answer is a string in
// the same encoding the command line uses (`--set KEY=VALUE`), so the TUI,
// the non-interactive path, the database and `status --json` share one form.
package steps

import "time"

// Proof says how a completed step was proven.
type Proof string

const (
	// ProofVerified: checked against a vendor API.
	ProofVerified Proof = "verified"
	// ProofChecked: validated offline (format, rules, signature self-test).
	ProofChecked Proof = "checked"
	// ProofAttested: only the admin can see it; the admin confirmed it.
	ProofAttested Proof = "attested"
	// ProofUnverified: a live check was wanted but the vendor could not be reached.
	ProofUnverified Proof = "unverified"
)

// Status is a step's progress.
type Status string

const (
	StatusTodo       Status = "todo"
	StatusDone       Status = "done"
	StatusNeedsRerun Status = "needs_rerun"
)

// State is an integration's overall state.
type State string

const (
	StateNotStarted     State = "not_started"
	StateInProgress     State = "in_progress"
	StateComplete       State = "complete"
	StateNeedsAttention State = "needs_attention"
)

// FieldKind decides how a field is asked for and how its value is encoded.
type FieldKind string

const (
	KindText        FieldKind = "text"
	KindSecret      FieldKind = "secret"       // never echoed, never stored in SQLite
	KindNumber      FieldKind = "number"       // decimal integer
	KindSelect      FieldKind = "select"       // one of Options (or of a dynamic source)
	KindMultiSelect FieldKind = "multi_select" // comma-separated subset of Options
	KindToggle      FieldKind = "toggle"       // "true" / "false"
	KindConfirm     FieldKind = "confirm"      // must be "true" to complete
	KindURL         FieldKind = "url"          // https only
	KindCIDRList    FieldKind = "cidr_list"    // comma-separated CIDRs
	KindMapping     FieldKind = "mapping"      // "A=B;C=D" or "Name:x+y;Name:z" (see the field's help)
)

// Option is one choice of a select or multi-select field.
type Option struct {
	Value string
	Label string
}

// OptionSource names a dynamic list of choices that the UI loads from a
// vendor (with a manual-entry fallback when the vendor is unreachable).
type OptionSource string

const (
	SourceNone          OptionSource = ""
	SourceLeverStages   OptionSource = "lever.stages"
	SourceVettyPackages OptionSource = "vetty.packages"
)

// CheckKind names the live check a step wants once its answers are valid.
type CheckKind string

const (
	CheckNone CheckKind = ""
	// CheckVettyKey: the key lists Vetty packages.
	CheckVettyKey CheckKind = "vetty.key"
	// CheckLeverKeyCertn: GET /stages accepts the key; the endpoints Certn needs are probed.
	CheckLeverKeyCertn CheckKind = "lever.key.certn"
	// CheckLeverKeyChartHop: the read endpoints ChartHop needs are probed.
	CheckLeverKeyChartHop CheckKind = "lever.key.charthop"
	// CheckLeverStage: the trigger stage exists in Lever.
	CheckLeverStage CheckKind = "lever.stage"
)

// CopyItem is a value the admin pastes into another system. Exactly one of
// Value (a literal from the vendor article) and Secret (a secret key of this
// integration, read from the secrets store on demand) is set. Secrets are
// copied to the clipboard, never drawn on screen.
type CopyItem struct {
	Label  string
	Value  string
	Secret string
}

// Step is one documented step of an integration. It is data: one generic
// screen renders any step.
type Step struct {
	ID      string
	Title   string
	Where   string   // where in the vendor's UI, e.g. "Vetty › Settings › API Management"
	Link    string   // URL to open, "" when there is none
	Actions []string // the manual actions, in order
	Fields  []Field
	Caveats []string
	Proof   Proof     // the proof the step gets when everything passes
	Check   CheckKind // the live check it wants, if any
	Copy    []CopyItem
	// Creates lists the secret keys this step stores (field keys of kind secret).
	Creates []string
	// HandsOn lists the secret keys this step hands to another system; rotating
	// one of them marks this step needs_rerun.
	HandsOn []string
	// Validate checks the step's answers as a whole (cross-field rules),
	// after every field passed its own validator. Nil when there are none.
	Validate func(values map[string]string) (warnings []string, err error)
}

// Integration is one documented connection between systems.
type Integration struct {
	ID      string
	Name    string
	Systems []string
	Summary string
	Seed    string // the seed article it is built from
	Steps   []Step
}

// StepRecord is what the store remembers of one step.
type StepRecord struct {
	StepID      string
	Status      Status
	Proof       Proof
	Values      map[string]string // non-secret answers only
	CompletedAt time.Time
}

// Field is one answer a step asks for.
type Field struct {
	Key     string // stable: the same in the TUI, --set, the database and status --json
	Label   string
	Help    string
	Kind    FieldKind
	Default string
	Options []Option
	Source  OptionSource
	// Optional fields may be left empty.
	Optional bool
	// Validate normalizes a value (trims pasted whitespace, canonical forms)
	// or says, plainly and specifically, what is wrong with it. Warnings do
	// not block (e.g. 0.0.0.0/0 lets any address use the key).
	Validate func(value string) (normalized string, warnings []string, err error)
}

// IsSecret reports whether the field's value belongs in the secrets store.
func (f Field) IsSecret() bool { return f.Kind == KindSecret }
