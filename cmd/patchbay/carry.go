package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/app"
	"github.com/patchbay/patchbay/internal/steps"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/spf13/cobra"
	yaml "go.yaml.in/yaml/v3"
)

// ExportOptions are what `patchbay export` needs.
type ExportOptions struct {
	F      *Factory
	Output string // "" or "-": standard output
}

func newExportCmd(f *Factory) *cobra.Command {
	opts := &ExportOptions{F: f}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write this profile's setup as YAML, to carry it to the next customer",
		Long: `export writes the non-secret answers of every done step of the profile as
YAML: version, then integration → step → field.

Secrets are never written. Each secret field holds a reference instead,
env:PATCHBAY_SECRET_<INTEGRATION>_<KEY>, which apply reads from the
environment; you may change it to file:/path/to/file. Attested steps (the
confirmations only an admin can give in a vendor's UI) are left out: one
customer's confirmations are never another's.

The answers that are each customer's own are left out too, with a comment
in the file saying why, and apply asks every customer for its own:
` + perCustomerHelp(),
		Example: `  patchbay export --profile acme -o acme.yaml
  patchbay apply acme.yaml --profile globex --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return exportRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of standard output (a file is replaced atomically; a device or FIFO is written to)")
	return cmd
}

func exportRun(ctx context.Context, opts *ExportOptions) error {
	svc, err := opts.F.ReadService(ctx)
	if err != nil {
		return err
	}
	c, err := svc.Export(ctx)
	if err != nil {
		return err
	}
	doc, err := encodeCarried(c)
	if err != nil {
		return err
	}
	if opts.Output == "" || opts.Output == "-" {
		if _, err := opts.F.IO.Out.Write(doc); err != nil {
			return err
		}
	} else {
		if err := opts.F.writeOutput(opts.Output, doc, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(termsafe.NewWriter(opts.F.IO.ErrOut), "patchbay: wrote %d step(s) of profile %s to %s\n", len(c.Steps), svc.Profile, opts.Output)
	}
	var left []string
	for _, cs := range c.Steps {
		for _, p := range cs.Left {
			left = append(left, p.Ref())
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(termsafe.NewWriter(opts.F.IO.ErrOut), "patchbay: left out %s, each customer's own: apply asks every customer for its own (apply --set %s=…)\n",
			strings.Join(left, ", "), left[0])
	}
	return nil
}

// perCustomerHelp lists the per-customer answers for --help, one a line
// with its reason.
func perCustomerHelp() string {
	var b strings.Builder
	for _, p := range steps.PerCustomerAnswers() {
		fmt.Fprintf(&b, "  %s\n", p.Ref())
		for _, l := range wrap(p.Reason+".", 68) {
			fmt.Fprintf(&b, "      %s\n", l)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// encodeCarried writes a carried setup as YAML in catalog order:
//
//	version: 1
//	certn-lever:
//	  lever-key:
//	    region: us
//	    api_key: env:PATCHBAY_SECRET_CERTN_LEVER_API_KEY
func encodeCarried(c app.Carried) ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(m *yaml.Node, key string, v *yaml.Node) {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	}
	add(root, "version", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(c.Version)})
	integ := map[string]*yaml.Node{}
	for _, cs := range c.Steps {
		in, ok := integ[cs.Integration]
		if !ok {
			in = &yaml.Node{Kind: yaml.MappingNode}
			integ[cs.Integration] = in
			add(root, cs.Integration, in)
		}
		stepNode := &yaml.Node{Kind: yaml.MappingNode}
		add(in, cs.Step, stepNode)
		if len(cs.Left) > 0 {
			// Said above the step, so whoever edits or applies the file
			// sees why the answer is not there and how apply takes it.
			var lines []string
			for _, p := range cs.Left {
				lines = append(lines, wrap(fmt.Sprintf("%s is left out: it is each customer's own (%s).", p.Field, p.Reason), 100)...)
				lines = append(lines, fmt.Sprintf("apply asks for it: --set %s=…", p.Ref()))
			}
			in.Content[len(in.Content)-2].HeadComment = strings.Join(lines, "\n")
		}
		_, st, _ := lookupStep(cs.Integration, cs.Step)
		for _, f := range st.Fields {
			if v, ok := cs.Values[f.Key]; ok {
				// Every value is a string, quoted where YAML would read it
				// as something else (true, 24, 0.0.0.0/0 stays as typed).
				add(stepNode, f.Key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
			}
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# patchbay setup: non-secret answers only; secrets are references (env:NAME or file:PATH);\n")
	buf.WriteString("# each customer's own answers are left out: apply asks every customer for its own.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// wrap breaks text into lines of at most width bytes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// maxCarriedFile bounds a carried setup file: a real one is a few KiB.
const maxCarriedFile = 1 << 20

// decodeCarried reads a carried setup: one YAML document, each key once,
// every value a plain scalar (no tags such as !!binary, no anchors). The
// message names the place, never a value (it may be a secret), and a name
// it repeats is cut short.
func decodeCarried(r io.Reader) (app.Carried, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCarriedFile+1))
	if err != nil {
		return app.Carried{}, err
	}
	if len(b) > maxCarriedFile {
		return app.Carried{}, fmt.Errorf("%w: the file is larger than %d KiB", app.ErrCarried, maxCarriedFile>>10)
	}
	bad := func(format string, args ...any) (app.Carried, error) {
		return app.Carried{}, fmt.Errorf("%w: "+format, append([]any{app.ErrCarried}, args...)...)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var root, extra yaml.Node
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		return bad("the file is empty: write it with patchbay export")
	} else if err != nil {
		return bad("not YAML: %s", app.Shorten(err.Error(), 200))
	}
	// A closing "---" with nothing after it is no second document.
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) && (err != nil || !emptyDocument(&extra)) {
		return bad("the file holds more than one YAML document (a second --- line)")
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return bad("expected a mapping with version and integrations")
	}
	top := root.Content[0]
	if err := uniqueKeys(top, ""); err != nil {
		return app.Carried{}, err
	}
	c := app.Carried{}
	seenVersion := false
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if k.Value == "version" {
			n, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil {
				return bad("line %d: version must be a whole number, like 1", v.Line)
			}
			c.Version, seenVersion = n, true
			continue
		}
		integration := app.Shorten(k.Value, 64)
		if v.Kind != yaml.MappingNode {
			return bad("line %d: %s must map steps to their fields", k.Line, integration)
		}
		if err := uniqueKeys(v, integration+"/"); err != nil {
			return app.Carried{}, err
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			sk, sv := v.Content[j], v.Content[j+1]
			cs := app.CarriedStep{Integration: k.Value, Step: sk.Value, Values: map[string]string{}}
			step := integration + "/" + app.Shorten(sk.Value, 64)
			if sv.Kind != yaml.MappingNode {
				return bad("line %d: %s must map fields to values", sk.Line, step)
			}
			if err := uniqueKeys(sv, step+" field "); err != nil {
				return app.Carried{}, err
			}
			for m := 0; m+1 < len(sv.Content); m += 2 {
				fk, fv := sv.Content[m], sv.Content[m+1]
				field := app.Shorten(fk.Value, 64)
				if fv.Kind != yaml.ScalarNode {
					return bad("line %d: %s field %s must be a single value", fk.Line, step, field)
				}
				// Plain text of any kind is kept as written (a date, a
				// number); an empty value (blank, ~, null) is empty. An
				// explicit tag that would change the text (!!binary, a
				// custom one) is refused.
				if fv.Style&yaml.TaggedStyle != 0 && fv.ShortTag() != "!!str" {
					return bad("line %d: %s field %s is tagged %s: write the value as plain text", fk.Line, step, field, app.Shorten(fv.Tag, 32))
				}
				if fv.ShortTag() == "!!null" {
					fv.Value = ""
				}
				cs.Values[fk.Value] = fv.Value
			}
			c.Steps = append(c.Steps, cs)
		}
	}
	if !seenVersion {
		return bad("the file has no version")
	}
	return c, nil
}

// emptyDocument reports whether a YAML document holds nothing: no node,
// or one empty null scalar.
func emptyDocument(doc *yaml.Node) bool {
	switch len(doc.Content) {
	case 0:
		return true
	case 1:
		n := doc.Content[0]
		return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Value == ""
	}
	return false
}

// uniqueKeys refuses a mapping that names a key twice: one of the two
// values would be dropped without a word.
func uniqueKeys(m *yaml.Node, prefix string) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("%w: line %d: %sa key must be a plain name", app.ErrCarried, k.Line, prefix)
		}
		if first, ok := seen[k.Value]; ok {
			return fmt.Errorf("%w: line %d: %s%s is given twice (first on line %d)", app.ErrCarried, k.Line, prefix, app.Shorten(k.Value, 64), first)
		}
		seen[k.Value] = k.Line
	}
	return nil
}

// ApplyOptions are what `patchbay apply` needs.
type ApplyOptions struct {
	F      *Factory
	File   string
	DryRun bool
	Sets   []string // this customer's own answers: INTEGRATION/STEP.FIELD=VALUE
}

func newApplyCmd(f *Factory) *cobra.Command {
	opts := &ApplyOptions{F: f}
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Set up this profile from a file written by export",
		Long: `apply reads a setup written by patchbay export (- for standard input),
resolves its secret references (env:NAME from the environment, file:PATH
from a file, a relative PATH beside the setup file; a secret written
literally in the file is refused), shows the
plan — steps to run, steps already done with the same answers, the steps
only an admin can do in the vendors' UIs, and the steps that need this
customer's own answers — and runs each changed step with its live checks,
as patchbay run would.

Some answers are each customer's own and never come from the file (a value
the file holds for one of them is not used, and the plan says so):
` + perCustomerHelp() + `
Give them with --set INTEGRATION/STEP.FIELD=VALUE. Without one, apply keeps
what the profile already recorded; where there is nothing, that step and the
steps after it in its integration wait, and apply ends with the command that
gives the answer and runs them.

Applying the same file again changes nothing. A refused step stops the
apply there: the steps before it are recorded, that one is not.`,
		Example: `  export PATCHBAY_SECRET_CERTN_LEVER_API_KEY=…   # or edit the file to file:/run/secrets/lever
  patchbay apply acme.yaml --profile globex --dry-run
  patchbay apply acme.yaml --profile globex --set certn-lever/certn-enable.webhook_url=https://…`,
		Args: exactArgs(1, "FILE, a setup written by patchbay export"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return applyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "show the plan and change nothing")
	cmd.Flags().StringArrayVar(&opts.Sets, "set", nil, "give this customer's own answer: `INTEGRATION/STEP.FIELD=VALUE` (repeatable)")
	return cmd
}

func applyRun(ctx context.Context, opts *ApplyOptions) error {
	f := opts.F
	own, err := app.ParseOwnAnswers(opts.Sets)
	if err != nil {
		return usageError("%v", err)
	}
	c, err := readCarriedFile(f, opts.File)
	if err != nil {
		return err
	}
	// The file is checked before anything is opened: a bad one creates no
	// profile and changes nothing.
	if _, _, err := app.CheckCarried(c, own); err != nil {
		return usageError("%s: %v", opts.File, err)
	}
	svc, err := f.applyService(ctx, opts.DryRun)
	if err != nil {
		return err
	}
	plan, err := svc.PlanApply(ctx, c, own, f.secretRefs(opts.File))
	if err != nil {
		if errors.Is(err, app.ErrCarried) || errors.Is(err, app.ErrLiteralSecret) || errors.Is(err, errUsage) {
			return usageError("%s: %v", opts.File, err)
		}
		return err
	}
	out := termsafe.NewWriter(f.IO.Out)
	fmt.Fprintf(out, "Plan for profile %s: %d to run, %d unchanged, %d to do by hand",
		svc.Profile, plan.Count(app.ApplyRun), plan.Count(app.ApplyUnchanged), plan.Count(app.ApplyManual))
	if n := plan.Count(app.ApplyAnswer); n > 0 {
		fmt.Fprintf(out, ", %d needing %s's own answers", n, svc.Profile)
	}
	if n := plan.Count(app.ApplyWaits); n > 0 {
		fmt.Fprintf(out, ", %d waiting for them", n)
	}
	fmt.Fprintln(out)
	for _, ps := range plan.Steps {
		fmt.Fprintf(out, "  %-9s %s/%s — %s\n", ps.Action, ps.Integration, ps.Step, ps.Reason)
		for _, p := range ps.Ignored {
			// A file carried between customers may hold another's.
			instead := svc.Profile + " keeps the one it recorded"
			switch {
			case slices.Contains(ps.Given, p):
				instead = "the one from --set is used"
			case slices.Contains(ps.Missing, p):
				instead = svc.Profile + "'s own is needed"
			}
			fmt.Fprintf(out, "            %s in the file is not used: it is each customer's own, and %s\n", p.Field, instead)
		}
		for _, p := range ps.Given {
			fmt.Fprintf(out, "            %s from --set\n", p.Field)
		}
		if ps.Action != app.ApplyRun {
			continue
		}
		_, st, _ := lookupStep(ps.Integration, ps.Step)
		for _, fl := range st.Fields {
			if ref, ok := ps.Refs[fl.Key]; ok {
				// Where each secret is read from, so a file:… reference
				// to an unexpected file is seen before it is sent.
				fmt.Fprintf(out, "            %s from %s\n", fl.Key, ref)
			}
		}
	}
	if opts.DryRun || plan.Count(app.ApplyRun) == 0 {
		switch {
		case plan.Count(app.ApplyRun) > 0:
		case plan.Count(app.ApplyAnswer) > 0:
			fmt.Fprintf(out, "Nothing to run until %s's own answers are given.\n", svc.Profile)
		default:
			fmt.Fprintln(out, "Nothing to change.")
		}
		printOwnAnswersNeeded(out, f, opts, svc.Profile, plan)
		return nil
	}
	// Each changed step runs as patchbay run would, in catalog order; the
	// first refusal stops the apply there, that step unrecorded.
	for _, ps := range plan.Steps {
		if ps.Action != app.ApplyRun {
			continue
		}
		in, st, _ := lookupStep(ps.Integration, ps.Step)
		fmt.Fprintln(out)
		if err := runScripted(ctx, f, svc, in, st, ps.Sub.Values, ps.Sub.Secrets); err != nil {
			return fmt.Errorf("%w at %s/%s; the steps before it are recorded: %w", app.ErrApplyStopped, ps.Integration, ps.Step, err)
		}
	}
	if n := plan.Count(app.ApplyManual); n > 0 {
		fmt.Fprintf(out, "Applied. %d step(s) remain for you in the vendors' UIs (listed as manual above).\n", n)
	} else {
		fmt.Fprintln(out, "Applied.")
	}
	printOwnAnswersNeeded(out, f, opts, svc.Profile, plan)
	return nil
}

// printOwnAnswersNeeded says which of the customer's own answers apply
// still needs, why each is the customer's own and where the vendor shows
// it, and the command that gives them and runs the steps waiting for them.
func printOwnAnswersNeeded(out io.Writer, f *Factory, opts *ApplyOptions, profile string, plan app.ApplyPlan) {
	if plan.Count(app.ApplyAnswer) == 0 {
		return
	}
	fmt.Fprintf(out, "\n%s's own answers still needed (never carried from another customer):\n", profile)
	args := []string{"patchbay", "apply", opts.File}
	if f.Globals.DBPath != "" {
		args = append(args, "--db", f.Globals.DBPath)
	}
	args = append(args, "--profile", profile)
	if f.Globals.Secrets != "" {
		args = append(args, "--secrets", f.Globals.Secrets)
	}
	for _, ps := range plan.Steps {
		if ps.Action != app.ApplyAnswer {
			continue
		}
		_, st, _ := lookupStep(ps.Integration, ps.Step)
		for _, p := range ps.Missing {
			fmt.Fprintf(out, "  %s (%s/%s, %s): %s; it is in %s\n", p.Field, ps.Integration, ps.Step, st.Title, p.Reason, st.Where)
			fl, _ := st.Field(p.Field)
			args = append(args, "--set", p.Ref()+"="+app.OwnPlaceholder(fl))
		}
	}
	// The answers given already are given again: the command is whole.
	args = append(args, opts.Sets...)
	waiting := ""
	if n := plan.Count(app.ApplyWaits); n > 0 {
		waiting = fmt.Sprintf(" and run the %d step(s) waiting for them", n)
	}
	fmt.Fprintf(out, "To give them%s:\n  %s\n", waiting, shellJoin(args))
}

// shellJoin words a command a shell reads back as args: each argument as
// it is when it is plain, else in single quotes.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

func shellQuote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%…", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// applyService is the profile's services for apply. A dry run of a profile
// that does not exist yet plans against nothing recorded, creating nothing.
func (f *Factory) applyService(ctx context.Context, dryRun bool) (*app.Service, error) {
	if dryRun {
		db, err := f.DB(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := db.GetProfile(ctx, f.Globals.Profile); errors.Is(err, store.ErrNotFound) {
			return newService(db, nil, f.Globals.Profile, nil), nil
		}
	}
	return f.Service(ctx)
}

func readCarriedFile(f *Factory, path string) (app.Carried, error) {
	var r io.Reader
	if path == "-" {
		r = f.IO.In
	} else {
		fh, err := os.Open(path)
		if err != nil {
			return app.Carried{}, usageError("apply: %v", err)
		}
		defer fh.Close()
		r = fh
	}
	c, err := decodeCarried(r)
	if err != nil {
		return app.Carried{}, usageError("%s: %v", path, err)
	}
	return c, nil
}

// secretRefs resolves the secret references of the carried file at file:
// a relative file:PATH is read beside that file (beside the working
// directory for standard input), wherever apply was started.
func (f *Factory) secretRefs(file string) func(string) (string, error) {
	base := "."
	if file != "-" {
		base = filepath.Dir(file)
	}
	return func(ref string) (string, error) { return f.resolveSecretRef(ref, base) }
}

// resolveSecretRef reads a carried setup's secret reference: env:NAME from
// the environment patchbay was started with, file:PATH from a file (a
// relative PATH from base), bounded like --set KEY=@PATH.
func (f *Factory) resolveSecretRef(ref, base string) (string, error) {
	switch {
	case strings.HasPrefix(ref, app.SecretRefEnv):
		// app.CheckCarried allows PATCHBAY_SECRET_… variables only.
		name := strings.TrimPrefix(ref, app.SecretRefEnv)
		v := f.getenv(name)
		if v == "" {
			return "", usageError("%s is not set (or empty) in the environment", name)
		}
		return v, nil
	case strings.HasPrefix(ref, app.SecretRefFile):
		path := strings.TrimPrefix(ref, app.SecretRefFile)
		if path != "" && !filepath.IsAbs(path) {
			path = filepath.Join(base, path)
		}
		r := &secretReader{f: f}
		b, err := r.read(path)
		if errors.Is(err, context.Canceled) {
			return "", err // interrupted: exit 130, not a bad file
		}
		if err != nil {
			return "", usageError("%v", err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("%w: not a reference", app.ErrLiteralSecret)
}

func lookupStep(integration, step string) (steps.Integration, steps.Step, bool) {
	in, ok := steps.Lookup(integration)
	if !ok {
		return in, steps.Step{}, false
	}
	st, ok := in.Step(step)
	return in, st, ok
}
