//go:build unix && !darwin

package clipboard

import "os"

// find picks the first tool whose commands are all installed: Wayland's,
// then X11's xclip or xsel, then Termux's, then Windows' own from inside
// WSL.
func find(lookPath func(string) (string, error)) *tool {
	var tools []tool
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		tools = append(tools, tool{copy: []string{"wl-copy"}, paste: []string{"wl-paste", "--no-newline"}})
	}
	tools = append(tools,
		tool{copy: []string{"xclip", "-in", "-selection", "clipboard"}, paste: []string{"xclip", "-out", "-selection", "clipboard"}},
		tool{copy: []string{"xsel", "--input", "--clipboard"}, paste: []string{"xsel", "--output", "--clipboard"}},
		tool{copy: []string{"termux-clipboard-set"}, paste: []string{"termux-clipboard-get"}},
		tool{copy: []string{"clip.exe"}, paste: []string{"powershell.exe", "-NoProfile", "-Command", "Get-Clipboard"}, trimCRLF: true},
	)
	return first(tools, lookPath)
}
