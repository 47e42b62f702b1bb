package steps

import (
	"fmt"
	"strings"
	"testing"
)

// catalogText gathers every word the catalog shows for an integration.
func catalogText(in Integration) string {
	parts := []string{in.Name, in.Summary}
	parts = append(parts, in.Prerequisites...)
	parts = append(parts, in.Usage...)
	for _, s := range in.Steps {
		parts = append(parts, s.Title, s.Where, s.Link)
		parts = append(parts, s.Actions...)
		parts = append(parts, s.Caveats...)
		for _, f := range s.Fields {
			parts = append(parts, f.Label, f.Help)
			for _, o := range f.Options {
				parts = append(parts, o.Label)
			}
		}
		for _, c := range s.Copy {
			parts = append(parts, c.Label, c.Value)
		}
	}
	return strings.Join(parts, "\n")
}

// Each seed article's concrete instructions, values, warnings and limits,
// read from /work/shared/seeds/*.txt. Every one must survive, in some
// wording, in the catalog's text. Matching ignores case.
var seedInstructions = map[string][]string{
	"vetty-chattr": {
		"sales team",      // prerequisite: a customer of both
		"client.vetty.co", // where to log in
		"Settings > API Management",
		"Add New User Key",
		"manage the integration", // select the managing user
		"IP Address field",
		"0.0.0.0/0",
		"24 months",
		"recommends a longer", // longer expiry keeps it working
		"Click Add",
		"Webhook tab",
		"Settings > API Management > Web Hook", // how to get back
		"Add Web Hook",
		"https://us-central1-hire-humanly.cloudfunctions.net/vettyReceiveEvents",
		"Key enter chattr",
		"API Management tab",
		"single-click",
		"clipboard",
		"app.chattr.ai",
		"rocket icon",
		"Background Checks",
		"Vetty section",
		"Paste the API key",
		"Validate and Connect",
		"token status",
		"toggle the integration off",
		"delete the API key in Vetty",
		"account manager or CSM",
		"per position",
		"package runs for each job position",
		"Onboarding Tracker",
		"talent hub",
		"Onboarding tab",
	},
	"certn-lever": {
		"Super Admin",
		"Professional and Enterprise",
		"Integrations and API",
		"sourcing integrations",
		"toggle to expand",
		"Generate new key",
		"one and only time",
		"disable the Certn integration toggle",
		"Webhooks tab",
		"signing token if there is not already one",
		"somewhere safe",
		"team settings on Certn",
		"select the team",
		"expand the Lever Integration tab",
		"Webhook Signature",
		"Api Key",
		"Create New Package",
		"at least one service",
		"action button",
		"Make Default",
		"Enable Integration",
		"integration API webhook URL",
		"enable integration on Lever",
		"Lever will reach out",
		"trigger stage",
		"advance a candidate to the trigger stage",
		"CERTN - Pending",
		"PDF report",
		"viewable on Certn",
		"updated or changed to another package",
		"override the default package",
		"tag to a posting",
	},
	"charthop-lever": {
		"professional services",
		"implementation specialist",
		"Lever Requisitions administrator",
		"Generating API Credentials",
		"Key name: ChartHop",
		"Select all read",
		"leave this blank",
		"Create requisitions",
		"Delete requisitions",
		"Update posting",
		"Update requisition fields",
		"left sidebar",
		"Apps & Bundles",
		"sub-menu",
		"Available Apps",
		"Availible Apps", // the article's spelling, so admins recognise it
		"Scroll down the list to the Lever Requisitions app",
		"Select Install",
		"app install page",
		"Lever Requisitions API Key",
		"Save Settings",
		"Installed Apps",
		"Source of Truth section",
		"Remote System (Lever Requisitions)",
		"outbound job data flow",
		"inbound job data flow",
		"Other Options",
		"Run Daily",
		"candidate metrics",
		"Sync On Change",
		"Reverse Sync",
		"system of record",
		"Reconciliation",
		"matching req",
		"Remote Location As Default",
		"Webhook Setup",
		"secret key value",
		"Select Webhooks",
		"Candidate Hire on",
		"Add the webhook",
		"Verify Connection",
		"Internal transfers",
		"re-hires",
		"first new hire webhook",
		"offer packet",
		"job does not exist in ChartHop",
		"always inbound",
		"start date",
		"phone number",
	},
}

func TestSeedCoverage(t *testing.T) {
	for _, in := range Catalog() {
		list, ok := seedInstructions[in.ID]
		if !ok {
			t.Errorf("%s has no seed instruction list", in.ID)
			continue
		}
		if len(list) < 15 {
			t.Errorf("%s: only %d seed instructions listed", in.ID, len(list))
		}
		text := strings.ToLower(catalogText(in))
		for _, want := range list {
			if !strings.Contains(text, strings.ToLower(want)) {
				t.Errorf("%s: the seed's %q appears nowhere in the catalog", in.ID, want)
			}
		}
	}
}

// Links are the real vendor addresses (no sandbox variants).
func TestStepLinks(t *testing.T) {
	allowed := map[string]bool{LinkVetty: true, LinkChattr: true, LinkLever: true, LinkCertn: true, LinkChartHop: true}
	want := map[string]string{
		"vetty-chattr/vetty-key":                 LinkVetty,
		"vetty-chattr/chattr-connect":            LinkChattr,
		"certn-lever/lever-key":                  LinkLever,
		"certn-lever/certn-packages":             LinkCertn,
		"charthop-lever/charthop-install":        LinkChartHop,
		"charthop-lever/lever-key":               LinkLever,
		"charthop-lever/charthop-hire-webhook":   LinkLever,
		"charthop-lever/charthop-webhook-secret": LinkChartHop,
		"certn-lever/lever-trigger-stage":        LinkLever,
		"vetty-chattr/vetty-webhook":             LinkVetty,
		"certn-lever/lever-signing-token":        LinkLever,
		"charthop-lever/charthop-options":        LinkChartHop,
		"certn-lever/certn-enable":               LinkCertn,
		"vetty-chattr/chattr-packages":           LinkChattr,
		"certn-lever/certn-credentials":          LinkCertn,
		"charthop-lever/charthop-connect":        LinkChartHop,
		"charthop-lever/charthop-source":         LinkChartHop,
	}
	for _, in := range Catalog() {
		for _, s := range in.Steps {
			ref := in.ID + "/" + s.ID
			if !allowed[s.Link] {
				t.Errorf("%s: link %q is not a known vendor address", ref, s.Link)
			}
			if w, ok := want[ref]; ok && s.Link != w {
				t.Errorf("%s: link %q, want %q", ref, s.Link, w)
			}
		}
	}
}

// An action never points "below" at the list of values to paste: the step
// screen shows that list above the actions. Items are named by number.
func TestActionsNameCopyItemsByNumber(t *testing.T) {
	for _, in := range Catalog() {
		for _, st := range in.Steps {
			for _, a := range st.Actions {
				if strings.Contains(a, "below)") || strings.Contains(a, "copy it below") {
					t.Errorf("%s/%s: %q points below", in.ID, st.ID, a)
				}
				if i := strings.Index(a, "item "); i >= 0 {
					var n int
					fmt.Sscanf(a[i+len("item "):], "%d", &n)
					if n < 1 || n > len(st.Copy) {
						t.Errorf("%s/%s: %q names item %d of %d", in.ID, st.ID, a, n, len(st.Copy))
					}
				}
			}
		}
		if len(in.Prerequisites) == 0 {
			t.Errorf("%s: no prerequisites from its article", in.ID)
		}
	}
}
