package main

import (
	"path/filepath"
	"testing"
)

// The Factory is where the environment is read: the colour choice follows
// no-color.org (NO_COLOR set and non-empty) and the default database lives
// under the XDG_STATE_HOME the Factory was given, whatever the process's.
func TestFactoryReadsTheEnvironment(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/process/state") // must not be read below cmd
	tests := []struct {
		name    string
		env     map[string]string
		noColor bool
		db      string
	}{
		{"NO_COLOR unset", map[string]string{"XDG_STATE_HOME": "/srv/state"}, false, "/srv/state/patchbay/patchbay.db"},
		{"NO_COLOR empty means colour", map[string]string{"NO_COLOR": "", "XDG_STATE_HOME": "/srv/state"}, false, "/srv/state/patchbay/patchbay.db"},
		{"NO_COLOR set", map[string]string{"NO_COLOR": "1", "XDG_STATE_HOME": "/a/b"}, true, "/a/b/patchbay/patchbay.db"},
		{"PATCHBAY_DB wins", map[string]string{"PATCHBAY_DB": "/x/y.db", "XDG_STATE_HOME": "/a/b"}, false, "/x/y.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFactory(&IOStreams{}, func(k string) string { return tt.env[k] })
			f.Globals.Profile = "default"
			if err := f.validateGlobals(); err != nil {
				t.Fatal(err)
			}
			if f.Globals.NoColor != tt.noColor {
				t.Errorf("NoColor = %v, want %v", f.Globals.NoColor, tt.noColor)
			}
			got, err := f.DBPath()
			if err != nil || got != filepath.FromSlash(tt.db) {
				t.Errorf("DBPath() = %q, %v; want %q", got, err, tt.db)
			}
		})
	}
}
