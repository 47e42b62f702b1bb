package httpx

import (
	"encoding/base64"
	"net/http"
)

// Scheme is how a vendor expects its credential.
type Scheme int

const (
	// SchemeBasicKey: HTTP basic auth, key as user name, empty password (Lever).
	SchemeBasicKey Scheme = iota + 1
	// SchemeBearer: "Authorization: Bearer <token>" (Vetty).
	SchemeBearer
)

func (s Scheme) String() string {
	switch s {
	case SchemeBasicKey:
		return "basic"
	case SchemeBearer:
		return "bearer"
	}
	return "unknown"
}

// Auth is a credential and how to present it. Its String and GoString never
// print the secret, so an Auth that ends up in a log line leaks nothing.
type Auth struct {
	Scheme Scheme
	Secret string
}

// BasicKey is Lever's scheme: the key as basic-auth user, no password.
func BasicKey(key string) Auth { return Auth{Scheme: SchemeBasicKey, Secret: key} }

// Bearer is "Authorization: Bearer <token>".
func Bearer(token string) Auth { return Auth{Scheme: SchemeBearer, Secret: token} }

func (a Auth) String() string   { return a.Scheme.String() + " [redacted]" }
func (a Auth) GoString() string { return "httpx.Auth{" + a.String() + "}" }

// header is the Authorization header value.
func (a Auth) header() string {
	switch a.Scheme {
	case SchemeBasicKey:
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(a.Secret+":"))
	case SchemeBearer:
		return "Bearer " + a.Secret
	}
	return ""
}

// RoundTripper wraps next so that every request to host (host[:port], as in
// URL.Host) over scheme carries the credential. Requests to any other host —
// a redirect, an absolute "next" link gone astray — or over another scheme
// (a redirect from https down to http) go out without it.
func (a Auth) RoundTripper(next http.RoundTripper, scheme, host string) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &authTransport{next: next, scheme: scheme, host: host, value: a.header()}
}

type authTransport struct {
	next   http.RoundTripper
	scheme string
	host   string
	value  string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host || req.URL.Scheme != t.scheme || t.value == "" {
		return t.next.RoundTrip(req)
	}
	// A RoundTripper must not modify the caller's request.
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", t.value)
	return t.next.RoundTrip(r)
}
