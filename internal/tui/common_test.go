package tui

import (
	"testing"
	"time"
)

func TestWrap(t *testing.T) {
	url := "https://us-central1-hire-humanly.cloudfunctions.net/vettyReceiveEvents"
	tests := []struct {
		name  string
		in    string
		width int
		want  string
	}{
		{"fits", "a b c", 10, "a b c"},
		{"breaks at spaces", "one two three", 8, "one two\nthree"},
		{"keeps hyphenated words whole", "see us-central1 here", 12, "see\nus-central1\nhere"},
		{"url on its own line", "use " + url + " now", 72, "use\n" + url + "\nnow"},
		{"cuts a word wider than the line", "abcdefghij", 4, "abcd\nefgh\nij"},
		{"keeps paragraphs", "a\nb c", 3, "a\nb c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrap(tt.in, tt.width)
			if got != tt.want {
				t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
			}
		})
	}
}

func TestFit(t *testing.T) {
	got := fit("abcdef\nxy\nz", 4, 2)
	if got != "abc…\nxy" {
		t.Errorf("fit = %q", got)
	}
	if fit("x", 0, 3) != "" {
		t.Error("fit with no width must be empty")
	}
}

func TestAge(t *testing.T) {
	now := testNow
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now.Add(30 * time.Second), "now"},
		{now.Add(-30 * time.Second), "now"},
		{now.Add(-5 * time.Minute), "5m"},
		{now.Add(-3 * time.Hour), "3h"},
		{now.Add(-47 * time.Hour), "47h"},
		{now.Add(-72 * time.Hour), "3d"},
	}
	for _, tt := range tests {
		if got := age(now, tt.at); got != tt.want {
			t.Errorf("age(%v) = %q, want %q", now.Sub(tt.at), got, tt.want)
		}
	}
}
