//go:build !linux

package secrets

// listAccounts: only the Secret Service can be searched by service name;
// the macOS and Windows keyrings are looked up entry by entry instead.
func listAccounts(service, prefix string) ([]string, error) {
	return nil, ErrListUnsupported
}
