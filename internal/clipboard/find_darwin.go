package clipboard

// find uses macOS's own pbcopy and pbpaste.
func find(lookPath func(string) (string, error)) *tool {
	return first([]tool{{copy: []string{"pbcopy"}, paste: []string{"pbpaste"}}}, lookPath)
}
