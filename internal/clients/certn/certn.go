// Package certn holds what patchbay needs to know of CertnCentric's API.
//
// patchbay calls no Certn endpoint: in the certn-lever integration the
// admin gives Certn a Lever key and a signing token, and no step holds a
// Certn API key, so there is nothing patchbay could check with Certn's key
// check (GET /api/public/cases/). The stand-ins still serve Certn's shapes
// for the demo, and PATCHBAY_CERTN_URL still names its address (doctor
// checks that it can be reached).
package certn

// Vendor is the name used in calls and errors.
const Vendor = "certn"

// EnvURL names the variable that overrides Certn's address; cmd/patchbay
// reads and checks it.
const EnvURL = "PATCHBAY_CERTN_URL"
