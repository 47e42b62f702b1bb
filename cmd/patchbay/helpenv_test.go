package main

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/clients/inferred"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/spf13/cobra/doc"
)

// envName is what an environment variable patchbay reads is called.
var envName = regexp.MustCompile(`^(PATCHBAY_[A-Z0-9_]*|XDG_[A-Z_]+|NO_COLOR|DBUS_SESSION_BUS_ADDRESS)$`)

// Every variable named in the program's source is in `patchbay help
// environment`: the source is scanned for string literals that name one,
// in every package the release binary is built from (the test-only hooks
// and test helpers excepted).
func TestEnvironmentHelpListsEveryVariable(t *testing.T) {
	c := newCLI(t)
	r := c.run("", "help", "environment")
	if r.code != 0 || r.out == "" {
		t.Fatalf("help environment: exit %d %q", r.code, r.err)
	}
	found := map[string]string{}
	for _, root := range []string{".", "../../internal"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testhooks" || d.Name() == "secretstest" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(s) {
						found[s] = path
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(found) < 10 {
		t.Fatalf("found only %v in the source: is the scan looking in the right place?", found)
	}
	for name, path := range found {
		if !strings.Contains(r.out, name) {
			t.Errorf("%s (read in %s) is missing from patchbay help environment", name, path)
		}
	}
	if !strings.Contains(c.run("", "--help").out, "environment") {
		t.Error("--help does not list the environment help topic")
	}
}

// --profile completes with the profiles of the database in use, without
// creating one where there is none; --secrets with its two backends.
func TestCompletion(t *testing.T) {
	c := newCLI(t)
	r := c.run("", "__complete", "--profile", "")
	if r.code != 0 || strings.TrimSpace(strings.Split(r.out, "\n")[0]) != ":4" {
		t.Errorf("no database: %q %q", r.out, r.err)
	}
	if _, err := os.Stat(c.db); !os.IsNotExist(err) {
		t.Fatalf("completion created the database (%v)", err)
	}

	db, err := store.Open(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"globex", "acme"} {
		if _, err := db.EnsureProfile(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if r := c.run("", "__complete", "--profile", ""); !strings.HasPrefix(r.out, "acme\nglobex\n:4\n") {
		t.Errorf("--profile completion: %q %q", r.out, r.err)
	}
	if r := c.run("", "__complete", "status", "--secrets", ""); !strings.HasPrefix(r.out, "keyring\t") || !strings.Contains(r.out, "\nvault\t") {
		t.Errorf("--secrets completion: %q", r.out)
	}
}

// manOutEnv, when set, is where `make man` wants the pages written.
const manOutEnv = "PATCHBAY_MAN_OUT"

// The man pages are generated from the command tree (cobra's doc package):
// patchbay.1 with the environment, and one page per command. `make man`
// runs this test with PATCHBAY_MAN_OUT set to keep them.
func TestManPage(t *testing.T) {
	dir := os.Getenv(manOutEnv)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	root := newRootCmd(newFactory(&IOStreams{}, func(string) string { return "" }))
	root.DisableAutoGenTag = true
	// cobra's pages have no ENVIRONMENT section of their own; go-md2man
	// turns this heading into one.
	root.Long += "\n\n# ENVIRONMENT\n\n" + "```\n" + environmentHelp + "```\n"
	header := &doc.GenManHeader{Title: "PATCHBAY", Section: "1", Source: "patchbay " + patchbayVersion(), Manual: "patchbay manual"}
	if err := doc.GenManTree(root, header, dir); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "patchbay.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".TH \"PATCHBAY\" \"1\"", "ENVIRONMENT", "PATCHBAY_VAULT_PASSPHRASE", "\\fB--profile\\fP", "patchbay-status(1)", ".SH ENVIRONMENT"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("patchbay.1 lacks %q", want)
		}
	}
	for _, cmd := range root.Commands() {
		if !cmd.IsAvailableCommand() || cmd.IsAdditionalHelpTopicCommand() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "patchbay-"+cmd.Name()+".1")); err != nil {
			t.Errorf("no page for %s: %v", cmd.Name(), err)
		}
	}
}

// help environment names every vendor fact patchbay guesses, and the
// variable that replaces it.
func TestEnvironmentHelpNamesTheGuesses(t *testing.T) {
	c := newCLI(t)
	r := c.run("", "help", "environment")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, g := range inferred.Table() {
		if !strings.Contains(r.out, g.What) {
			t.Errorf("help environment does not name the guess %s", g.ID)
		}
		if g.Override != "" && !strings.Contains(r.out, "set "+g.Override+" to replace it") {
			t.Errorf("help environment does not say %s replaces %s", g.Override, g.ID)
		}
	}
}
