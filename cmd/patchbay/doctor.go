package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/clients/certn"
	"github.com/patchbay/patchbay/internal/clients/charthop"
	"github.com/patchbay/patchbay/internal/clients/inferred"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/clients/vetty"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/secrets"
	"github.com/patchbay/patchbay/internal/termsafe"
	"github.com/spf13/cobra"
)

// DoctorOptions are what `patchbay doctor` needs.
type DoctorOptions struct {
	F       *Factory
	Offline bool
	// Full runs SQLite's integrity check over the whole file, the event
	// log included; by default only the state tables are checked.
	Full    bool
	Vendors []vendorEndpoint
	// Overrides are the PATCHBAY_<VENDOR>_URL addresses in effect.
	Overrides []EndpointOverride
	// RemoveOrphans deletes the secrets-store entries the database does not
	// account for; the flag is the admin's consent.
	RemoveOrphans bool
}

type vendorEndpoint struct {
	Name string
	URL  string
	// Guess is the inference behind URL, nil for a documented address or
	// an override: a name that does not resolve then names the guess.
	Guess *inferred.Inference
}

func newDoctorCmd(f *Factory) *cobra.Command {
	opts := &DoctorOptions{F: f}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the secrets backend, the database and the vendors' reachability",
		Long: `doctor checks that patchbay can work on this machine: the secrets backend answers
(within its timeout, never hanging), the database is healthy and private, no
interrupted secret write or orphaned secret is left over, and the vendors' APIs can be reached
(being offline is a warning, not a failure).

The database check covers every table but the audit log, so it stays quick
however long the history grows. --full runs SQLite's full integrity check
over the whole file, the audit log included: it reads every page, which takes
seconds on a log of a million events.

It exits 1 when something must be fixed, and says what to do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ov, err := f.Overrides()
			if err != nil {
				return err
			}
			opts.Overrides = ov
			return doctorRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Offline, "offline", false, "skip the vendor reachability checks")
	cmd.Flags().BoolVar(&opts.Full, "full", false, "check the whole database file, the audit log included (reads every page: slow on a large log)")
	cmd.Flags().BoolVar(&opts.RemoveOrphans, "remove-orphans", false, "delete orphaned entries of the profile from the secrets store (each removal is recorded in the history)")
	return cmd
}

// finding is one line of the doctor's report.
type finding struct {
	level  level
	topic  string
	detail string
	fix    string
}

type level int

const (
	levelOK level = iota
	levelWarn
	levelFail
)

func (l level) mark() string {
	switch l {
	case levelOK:
		return "ok  "
	case levelWarn:
		return "warn"
	default:
		return "FAIL"
	}
}

func doctorRun(ctx context.Context, opts *DoctorOptions) error {
	f := opts.F
	f.reportsPerms = true // its perms finding says it, with the rest
	out := termsafe.NewWriter(f.IO.Out)
	// doctor checks the machine, so on a fresh one it runs without any
	// profile; but a profile named with --profile must exist (a typo exits
	// 2, creating nothing). A database that cannot be opened is for the
	// findings below to report.
	if f.Globals.ProfileSet {
		f.readOnly = true
		if err := f.requireProfile(ctx); errors.Is(err, errUsage) {
			return err
		}
		f.readOnly = false
	}
	// Another application's file is refused as by every command, untouched.
	if _, err := f.DB(ctx); errors.Is(err, store.ErrForeignDatabase) {
		return err
	}
	fmt.Fprintf(out, "patchbay doctor — profile %s\n\n", f.Globals.Profile)

	var findings []finding
	add := func(fs ...finding) {
		for _, fd := range fs {
			printFinding(out, fd)
		}
		findings = append(findings, fs...)
	}

	db, dbFindings := doctorDatabase(ctx, f, opts.Full)
	add(dbFindings...)
	if db != nil {
		secretFindings, st := doctorSecrets(ctx, f)
		add(secretFindings...)
		if st != nil {
			add(doctorRecovery(ctx, f, st, opts.RemoveOrphans)...)
		}
	}
	if !opts.Offline {
		if opts.Vendors == nil {
			opts.Vendors = vendorEndpoints(opts.Overrides, leverRegionsInUse(ctx, f))
		}
		add(doctorVendors(ctx, opts.Vendors)...)
	}

	failed := 0
	for _, fd := range findings {
		if fd.level == levelFail {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(out, "\n%d problem(s) need fixing.\n", failed)
		return &silentExit{code: exitError}
	}
	fmt.Fprintln(out, "\nEverything patchbay needs is working.")
	return nil
}

func printFinding(w io.Writer, fd finding) {
	w = termsafe.NewWriter(w) // vendor names and details are shown, never obeyed
	fmt.Fprintf(w, "%s  %-9s %s\n", fd.level.mark(), fd.topic, fd.detail)
	if fd.fix != "" {
		fmt.Fprintf(w, "      %-9s fix: %s\n", "", fd.fix)
	}
}

func doctorDatabase(ctx context.Context, f *Factory, full bool) (db interface{ Path() string }, out []finding) {
	path, err := f.DBPath()
	if err != nil {
		return nil, []finding{{levelFail, "database", err.Error(), "pass --db PATH or set XDG_STATE_HOME"}}
	}
	d, err := f.DB(ctx)
	if err != nil {
		return nil, []finding{{levelFail, "database", fmt.Sprintf("%s: %v", path, err), "check the path's permissions and free space, or pass --db PATH"}}
	}
	out = append(out, finding{levelOK, "database", path, ""})
	if v, err := d.SchemaVersion(ctx); err != nil {
		out = append(out, finding{levelFail, "schema", err.Error(), ""})
	} else {
		out = append(out, finding{levelOK, "schema", fmt.Sprintf("version %d", v), ""})
	}
	check, scope := d.QuickCheck, "ok (every table but the audit log; --full checks the whole file)"
	if full {
		check, scope = d.IntegrityCheck, "ok (the whole file)"
		if size, err := d.Size(ctx); err == nil {
			// Printed before the check starts: on a large log it is the
			// only sign of life for a while.
			fmt.Fprintf(f.IO.Out, "checking all %s of the database, every page: about 1-2 s per 100 MiB, longer on a slow disk or a busy machine\n\n", humanBytes(size))
		}
	}
	if res, err := check(ctx); err != nil || res != "ok" {
		detail := res
		if err != nil {
			detail = err.Error()
		}
		out = append(out, finding{levelFail, "integrity", detail, "restore the database from a backup, or move it aside and start again"})
	} else {
		out = append(out, finding{levelOK, "integrity", scope, ""})
	}
	if problems := d.CheckPermissions(); len(problems) > 0 {
		for _, p := range problems {
			out = append(out, finding{levelFail, "perms", p.Detail, p.Fix})
		}
	} else {
		out = append(out, finding{levelOK, "perms", "private to you (directory 0700, files 0600)", ""})
	}
	return d, out
}

// doctorSecrets probes the profile's secrets store and returns it when it answers.
func doctorSecrets(ctx context.Context, f *Factory) ([]finding, secrets.Store) {
	db, err := f.DB(ctx)
	if err != nil {
		return nil, nil
	}
	backend, err := f.SecretsBackend(ctx, db)
	if err != nil {
		return []finding{{levelFail, "secrets", err.Error(), ""}}, nil
	}
	p, err := db.GetProfile(ctx, f.Globals.Profile)
	if err != nil {
		return []finding{{levelFail, "secrets", err.Error(), ""}}, nil
	}
	st, err := f.openSecrets(ctx, backend, db, p.LegacySecrets)
	if err != nil {
		return []finding{{levelFail, "secrets", err.Error(), ""}}, nil
	}
	info := st.Backend()
	name := info.Name
	if info.Detail != "" {
		name += " (" + info.Detail + ")"
	}
	start := time.Now()
	err = f.unlockVault(ctx, st)
	if err == nil {
		err = secrets.Probe(ctx, st)
	}
	took := time.Since(start).Round(100 * time.Microsecond)
	switch {
	case err == nil:
		if err := f.rememberBackend(ctx, db, backend); err != nil {
			return []finding{{levelFail, "secrets", err.Error(), ""}}, nil
		}
		return []finding{{levelOK, "secrets", fmt.Sprintf("%s answered in %s", name, took), ""}}, st
	case errors.Is(err, secrets.ErrUnavailable):
		return []finding{{levelFail, "secrets", fmt.Sprintf("%s: %v", name, err),
			"patchbay --secrets vault doctor"}}, nil
	case errors.Is(err, secrets.ErrLocked):
		return []finding{{levelFail, "secrets", fmt.Sprintf("%s: %v", name, err),
			"unlock the keyring from your desktop session (or log in to one) and run doctor again, or use the vault: --secrets vault"}}, nil
	case errors.Is(err, secrets.ErrBadPassphrase):
		return []finding{{levelFail, "secrets", fmt.Sprintf("%s: %v", name, err),
			"give the passphrase the vault was created with (prompt or " + secrets.VaultPassphraseEnv + ")"}}, nil
	case errors.Is(err, secrets.ErrTimeout):
		return []finding{{levelFail, "secrets", fmt.Sprintf("%s: %v", name, err),
			"unlock your keyring and run doctor again, raise PATCHBAY_KEYRING_TIMEOUT, or use the vault: --secrets vault"}}, nil
	default:
		return []finding{{levelFail, "secrets", fmt.Sprintf("%s: %v", name, err), ""}}, nil
	}
}

// doctorVendors dials every vendor API concurrently, each within 2 s.
// Being offline is a warning: the wizard still works and completes checks
// as unverified.
func doctorVendors(ctx context.Context, vendors []vendorEndpoint) []finding {
	out := make([]finding, len(vendors))
	var wg sync.WaitGroup
	for i, v := range vendors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = dialVendor(ctx, v)
		}()
	}
	wg.Wait()
	return out
}

func dialVendor(ctx context.Context, v vendorEndpoint) finding {
	u, err := url.Parse(v.URL)
	if err != nil || u.Host == "" {
		return finding{levelFail, v.Name, fmt.Sprintf("bad API address %q", v.URL), "fix PATCHBAY_" + v.Name + "_URL"}
	}
	host := u.Host
	if u.Port() == "" {
		port := "443"
		if u.Scheme == "http" {
			port = "80"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", host)
	if err != nil {
		if v.Guess != nil && inferred.SignOf(err) == inferred.NoSuchHost {
			ie := &inferred.Error{Guesses: []inferred.Inference{*v.Guess}, Err: err}
			return finding{levelWarn, v.Name, fmt.Sprintf("%s does not resolve: %s is inferred, not documented by %s; its live checks report unknown", u.Host, v.Guess.What, v.Guess.Vendor), ie.Explanation()}
		}
		return finding{levelWarn, v.Name, fmt.Sprintf("%s unreachable (%v); live checks will complete as unverified", u.Host, shortNetErr(err)), ""}
	}
	conn.Close()
	return finding{levelOK, v.Name, fmt.Sprintf("%s reachable in %s", u.Host, time.Since(start).Round(time.Millisecond)), ""}
}

// shortNetErr keeps the cause of a dial error without the repeated address.
func shortNetErr(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "name not resolved"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return err.Error()
}

// vendorEndpoints lists the vendor API addresses doctor dials, honouring the
// PATCHBAY_<VENDOR>_URL overrides the clients use: Lever's once per region
// in use (leverRegions; the US when none is recorded), since Lever's
// regions are separate deployments on separate hosts.
func vendorEndpoints(overrides []EndpointOverride, leverRegions []string) []vendorEndpoint {
	override := func(env string) string {
		for _, o := range overrides {
			if o.Variable == env {
				return o.URL
			}
		}
		return ""
	}
	pick := func(name, env, def string, guess *inferred.Inference) vendorEndpoint {
		if v := override(env); v != "" {
			return vendorEndpoint{name, v, nil}
		}
		return vendorEndpoint{name, def, guess}
	}
	if len(leverRegions) == 0 || override(lever.EnvURL) != "" {
		leverRegions = []string{"us"}
	}
	var out []vendorEndpoint
	for _, region := range leverRegions {
		base, err := lever.BaseURL(region)
		if err != nil {
			continue
		}
		name := "LEVER"
		if region != "us" {
			name += "-" + strings.ToUpper(region)
		}
		var guess *inferred.Inference
		if base == inferred.LeverEUHost.Value {
			guess = &inferred.LeverEUHost
		}
		out = append(out, pick(name, lever.EnvURL, base, guess))
	}
	return append(out,
		pick("CERTN", certn.EnvURL, inferred.CertnProductionHost.Value, &inferred.CertnProductionHost),
		pick("VETTY", vetty.EnvURL, inferred.VettyBaseURL.Value, &inferred.VettyBaseURL),
		pick("CHARTHOP", charthop.EnvURL, charthop.DefaultBaseURL, nil),
	)
}

// leverRegionsInUse are the Lever regions the profile's recorded Lever
// keys belong to, sorted, each once.
func leverRegionsInUse(ctx context.Context, f *Factory) []string {
	db, err := f.DB(ctx)
	if err != nil {
		return nil
	}
	all, err := db.AllStepStates(ctx, f.Globals.Profile)
	if err != nil {
		return nil
	}
	var regions []string
	for _, states := range all {
		if r := strings.ToLower(states["lever-key"].Values["region"]); r != "" && !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	slices.Sort(regions)
	return regions
}

// humanBytes words a size in bytes the way people read them.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (n+1023)/1024)
}
