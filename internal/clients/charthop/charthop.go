// Package charthop holds what patchbay needs to know of ChartHop's API.
//
// patchbay calls no ChartHop endpoint: in the charthop-lever integration
// the admin gives ChartHop a Lever key, and no step holds a ChartHop app
// token, so there is nothing patchbay could check with ChartHop's job data
// call. The stand-ins still serve ChartHop's shapes for the demo, and
// PATCHBAY_CHARTHOP_URL still names its address (doctor checks that it can
// be reached).
package charthop

// Vendor is the name used in calls and errors.
const Vendor = "charthop"

// EnvURL names the variable that overrides DefaultBaseURL; cmd/patchbay
// reads and checks it.
const EnvURL = "PATCHBAY_CHARTHOP_URL"

// DefaultBaseURL is ChartHop's API host.
const DefaultBaseURL = "https://api.charthop.com"
