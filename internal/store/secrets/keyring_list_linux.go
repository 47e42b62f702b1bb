//go:build linux

package secrets

import (
	"strings"

	ss "github.com/zalando/go-keyring/secret_service"
)

// listAccounts asks the Secret Service for every item filed under service
// (one SearchItems call, then each item's attributes) and returns the
// account names that start with prefix. Searching reads attributes only, so
// it works on a locked collection without an unlock prompt.
func listAccounts(service, prefix string) ([]string, error) {
	if err := checkSessionBus(); err != nil {
		return nil, err
	}
	svc, err := ss.NewSecretService()
	if err != nil {
		return nil, err
	}
	items, err := svc.SearchItems(svc.GetLoginCollection(), map[string]string{"service": service})
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, item := range items {
		v, err := svc.Object("org.freedesktop.secrets", item).GetProperty("org.freedesktop.Secret.Item.Attributes")
		if err != nil {
			return nil, err
		}
		attrs, ok := v.Value().(map[string]string)
		if !ok {
			continue
		}
		if user := attrs["username"]; strings.HasPrefix(user, prefix) {
			out = append(out, user)
		}
	}
	return out, nil
}
