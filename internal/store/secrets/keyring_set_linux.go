//go:build linux

package secrets

import (
	"strings"

	ss "github.com/zalando/go-keyring/secret_service"
)

// setEntry files the secret in the Secret Service's login collection with attributes a person (or
// secret-tool) can search by, and a label Seahorse shows: "patchbay acme/certn-lever/api_key". The
// "username" and "service" attributes are the ones go-keyring searches by, so its Get and Delete find the
// entry; the database attribute keeps two databases' entries apart.
func setEntry(service, user, password string) error {
	attrs := map[string]string{"service": service, "username": user}
	label := service + " " + user
	if db, account, ok := strings.Cut(user, "/"); ok {
		if profile, integration, key, err := ParseAccount(account); err == nil {
			attrs["database"], attrs["profile"], attrs["integration"], attrs["key"] = db, profile, integration, key
			label = service + " " + account
		}
	}
	svc, err := ss.NewSecretService()
	if err != nil {
		return err
	}
	session, err := svc.OpenSession()
	if err != nil {
		return err
	}
	defer svc.Close(session)
	collection := svc.GetLoginCollection()
	if err := svc.Unlock(collection.Path()); err != nil {
		return err
	}
	// CreateItem replaces the item whose attributes are all equal: the same database, profile and key.
	return svc.CreateItem(collection, label, attrs, ss.NewSecret(session.Path(), password))
}
