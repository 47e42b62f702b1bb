package main

import (
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/app"
)

func TestDashboardNeedsATerminal(t *testing.T) {
	c := newCLI(t)
	c.makeProfile("default")
	r := c.run("", "dashboard")
	if r.code != exitUsage || !strings.Contains(r.err, "status --live --json") {
		t.Errorf("exit %d, %q", r.code, r.err)
	}
}

func TestDashboardInterval(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"dashboard", "--interval", "1s"}, {"dashboard", "--interval", "48h"}} {
		if r := c.run("", args...); r.code != exitUsage || !strings.Contains(r.err, "--interval") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.err)
		}
	}

	tests := []struct {
		flag    time.Duration
		env     string
		want    time.Duration
		wantErr bool
	}{
		{0, "", app.DefaultRefreshInterval, false},
		{0, "90s", 90 * time.Second, false},
		{30 * time.Second, "90s", 30 * time.Second, false},
		{0, "often", 0, true},
		{0, "1ms", 0, true},
	}
	for _, tt := range tests {
		f := newFactory(&IOStreams{}, func(k string) string {
			if k == app.EnvRefreshInterval {
				return tt.env
			}
			return ""
		})
		got, err := f.refreshInterval(tt.flag)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("flag %s, env %q: %s, %v", tt.flag, tt.env, got, err)
		}
	}
}
