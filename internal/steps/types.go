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
	// CheckVettyPackages: every package a position mapping names is listed
	// by Vetty.
	CheckVettyPackages CheckKind = "vetty.packages"
	// CheckLeverSignature is offline: a payload signed with the stored token
	// by Lever's scheme (HMAC-SHA256 over token+triggeredAt) verifies. It needs
	// no network, so it never ends in "unverified".
	CheckLeverSignature CheckKind = "lever.signature"
	// CheckOptionRules is offline: the recorded ChartHop toggles follow
	// today's option rules for the recorded source of truth.
	CheckOptionRules CheckKind = "charthop.option_rules"
	// CheckCertnTags counts the "CERTN - …" tags on Lever candidates: a
	// usage signal, not a verdict on the setup.
	CheckCertnTags CheckKind = "lever.certn_tags"
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
	// Drift names the check the dashboard runs on this step's recorded
	// answers, to see them go stale at the vendor (a stage renamed, a
	// package removed) or under today's rules; CheckNone when nothing can.
	Drift CheckKind
	Copy  []CopyItem
	// Refused says what to do when the vendor refuses the key this step
	// stores ("" = copy it again). A key the vendor shows only once cannot
	// be copied again: the admin must generate a new one.
	Refused string
	// Creates lists the secret keys this step stores (field keys of kind secret).
	Creates []string
	// HandsOn lists the secret keys this step hands to another system; rotating
	// one of them marks this step needs_rerun.
	HandsOn []string
	// ExpiryMonthsField names the field of this step that holds the lifetime,
	// in months, of the secrets it Creates ("" = no expiry patchbay knows of).
	// Only Vetty keys expire on a schedule the admin picks; see SecretExpiry.
	ExpiryMonthsField string
	// DependsOn lists answers of earlier steps this step was built on: when
	// one of them changes after this step is done, this step needs a re-run.
	DependsOn []Dependency
	// Validate checks the step's answers as a whole (cross-field rules),
	// after every field passed its own validator. prior holds the recorded
	// non-secret answers of the integration's other steps (the options step
	// reads the source of truth from it). Nil when there are no such rules.
	Validate func(values map[string]string, prior Answers) (warnings []string, err error)
	// Handoff, when set, words a ready-to-send message for someone outside
	// patchbay (Chattr's account manager, Lever's team) from the answers.
	Handoff func(values map[string]string, prior Answers) string
}

// Dependency says that a step relies on one answer of an earlier step.
type Dependency struct {
	Step   string // the earlier step's ID
	Field  string // its field key
	Reason string // shown when the dependent step is marked needs_rerun
}

// Answers holds the recorded non-secret answers of one integration:
// step ID → field key → value. Secrets never appear in it.
type Answers map[string]map[string]string

// Get returns one recorded answer, "" when absent.
func (a Answers) Get(stepID, key string) string {
	return a[stepID][key]
}

// Integration is one documented connection between systems.
type Integration struct {
	ID      string
	Name    string
	Systems []string
	Summary string
	Seed    string // the seed article it is built from
	Steps   []Step
	// Prerequisites are what the seed article asks of the admin before the
	// first step (accounts, plans, roles); shown before the integration is
	// started and on its first step.
	Prerequisites []string
	// Usage tells how the connection is used and operated once set up
	// (turning it off, where to see results); shown after the last step.
	Usage []string
	// Signals are checks that report how the connection is used (tag
	// counts) once its key is stored; they judge nothing.
	Signals []CheckKind
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
	// RequireAll makes a multi-select a checklist: every option must be
	// ticked (the ChartHop key's write permissions).
	RequireAll bool
	// Validate normalizes a value (trims pasted whitespace, canonical forms)
	// or says, plainly and specifically, what is wrong with it. Warnings do
	// not block (e.g. 0.0.0.0/0 lets any address use the key).
	Validate func(value string) (normalized string, warnings []string, err error)
}

// IsSecret reports whether the field's value belongs in the secrets store.
func (f Field) IsSecret() bool { return f.Kind == KindSecret }
