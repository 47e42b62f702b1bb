//go:build !linux

package secrets

import "github.com/zalando/go-keyring"

// setEntry files the secret under service and user, which names the database, profile, integration and key
// (scopedUser): Keychain and Credential Manager have no free-form attributes.
func setEntry(service, user, password string) error {
	return keyring.Set(service, user, password)
}
