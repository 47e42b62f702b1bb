//go:build unix

package clipboard

import "os/exec"

// platform looks for this machine's clipboard tool on the PATH.
func platform() *Clipboard {
	if t := find(exec.LookPath); t != nil {
		return t.clipboard()
	}
	return nil
}

// first returns the first tool both of whose commands are on the PATH.
func first(tools []tool, lookPath func(string) (string, error)) *tool {
	for _, t := range tools {
		if _, err := lookPath(t.copy[0]); err != nil {
			continue
		}
		if _, err := lookPath(t.paste[0]); err != nil {
			continue
		}
		return &t
	}
	return nil
}
