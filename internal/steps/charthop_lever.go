package steps

import "slices"

// The write permissions the ChartHop key needs (charthop-lever/lever-key,
// field write_permissions).
var chartHopWritePermissions = []Option{
	{Value: "create_requisitions", Label: "Create requisitions"},
	{Value: "delete_requisitions", Label: "Delete requisitions"},
	{Value: "update_posting", Label: "Update posting"},
	{Value: "update_requisition_fields", Label: "Update requisition fields"},
}

// The app's settings page, reached the same way by three steps.
var chartHopAppSettings = []string{
	"In ChartHop, select Apps & Bundles from the left sidebar, then Apps from the sub-menu.",
	"Select the Installed Apps tab, scroll down to the Lever Requisitions app and select it.",
}

// charthopLever is built from the seed article charthop-lever-requisitions.txt.
func charthopLever() Integration {
	optionFields := make([]Field, len(optionToggles))
	for i, t := range optionToggles {
		optionFields[i] = Field{Key: t.Key, Label: t.Label, Help: t.Help, Kind: KindToggle, Default: "false"}
	}
	return Integration{
		ID:      IntegrationChartHopLever,
		Name:    "ChartHop ↔ Lever Requisitions",
		Systems: []string{"ChartHop", "Lever"},
		Summary: "ChartHop's Lever Requisitions app moves requisition (job) data between ChartHop and Lever, outbound or inbound as you choose, and brings new hires from Lever into ChartHop.",
		Seed:    "charthop-lever-requisitions.txt",
		Prerequisites: []string{
			"You must be a ChartHop customer and a Lever customer.",
			"ATS integrations are typically done with help from ChartHop's professional services: contact your implementation specialist before beginning.",
		},
		Steps: []Step{
			{
				ID:    "lever-key",
				Title: "Create the Lever API key for ChartHop",
				Where: "Lever › Settings › Integrations and API › API Credentials",
				Link:  LinkLever,
				Actions: []string{
					"Contact your ChartHop implementation specialist before beginning; your Lever Requisitions administrator can answer questions about the key.",
					"In Lever, create a new API key under Settings › Integrations and API, as Lever's guide \"Generating API Credentials\" describes, with the values below.",
					"Key name: ChartHop.",
					"Select a preset: Select all read, which enables every read permission.",
					"Description: leave this blank.",
					"Then enable these write permissions: Create requisitions, Delete requisitions, Update posting and Update requisition fields.",
					"Give the key confidential access while you create it: Lever grants access to confidential requisitions (and postings) only at key creation, and without it ChartHop never sees confidential requisitions.",
					"Create the key, copy it and paste it here.",
				},
				Fields: []Field{
					leverRegionField(),
					{Key: "write_permissions", Label: "Write permissions enabled", Kind: KindMultiSelect, RequireAll: true,
						Options: chartHopWritePermissions,
						Help:    "Tick each write permission once it is enabled on the key; ChartHop needs all four. patchbay cannot see write permissions, so this is your confirmation."},
					secretField("api_key", "Lever API key", "Paste the key named ChartHop. It goes to your secrets store, never shown again."),
				},
				Caveats: []string{
					"patchbay probes the read endpoints ChartHop uses (/requisitions, /requisition_fields, /postings, /users) and names any that answer 403; the write permissions it cannot check.",
					"patchbay also reads the confidential requisitions (Lever's confidentiality filter; by default Lever lists only non-confidential ones) and names a 403 there: the key lacks confidential access, and a new key is needed.",
					"Lever Requisitions works only with Lever's Requisition Management add-on, and a Super Admin must enable API management in Lever's Requisitions settings before requisitions can be written through the API.",
				},
				Refused: "check in Lever › Settings › Integrations and API › API Credentials that the key named ChartHop is still active and copy it again, whole; if Lever no longer shows it, create a new key with the values above and paste that.",
				Proof:   ProofVerified,
				Check:   CheckLeverKeyChartHop,
				Creates: []string{"api_key"},
			},
			{
				ID:    "charthop-install",
				Title: "Install the Lever Requisitions app in ChartHop",
				Where: "ChartHop › Apps & Bundles › Apps › Available Apps",
				Link:  LinkChartHop,
				Actions: []string{
					"From ChartHop's left sidebar, select Apps & Bundles.",
					"From the sub-menu, select Apps.",
					"Select the Available Apps tab (the article spells it \"Availible Apps\").",
					"Scroll down the list to the Lever Requisitions app.",
					"Select Install.",
					"Select Install again on the app install page.",
				},
				Fields: []Field{confirmField("installed the Lever Requisitions app in ChartHop")},
				Proof:  ProofAttested,
			},
			{
				ID:    "charthop-connect",
				Title: "Give ChartHop the Lever key",
				Where: "ChartHop › Apps & Bundles › Apps › Installed Apps › Lever Requisitions › Settings",
				Link:  LinkChartHop,
				Actions: append(slices.Clone(chartHopAppSettings),
					"In the app's Settings section, paste the Lever key into the Lever Requisitions API Key field: copy it from patchbay (to paste: item 1).",
					"Select Save Settings.",
				),
				Fields:  []Field{confirmField("pasted the key into Lever Requisitions API Key and saved the settings")},
				Copy:    []CopyItem{{Label: "Lever Requisitions API Key (the Lever key named ChartHop)", Secret: "api_key"}},
				Proof:   ProofAttested,
				HandsOn: []string{"api_key"},
			},
			{
				ID:    "charthop-source",
				Title: "Choose the source of truth for requisitions",
				Where: "ChartHop › Installed Apps › Lever Requisitions › Source of Truth",
				Link:  LinkChartHop,
				Actions: append(slices.Clone(chartHopAppSettings),
					"On the ChartHop Lever Requisitions app settings page, scroll down to the Source of Truth section.",
					"Select one of the two options: ChartHop (ChartHop is the source of truth; the integration runs an outbound job data flow) or Remote System (Lever Requisitions) (Lever is the source of truth; an inbound job data flow).",
				),
				Fields: []Field{
					{Key: "source", Label: "Source of truth", Kind: KindSelect,
						Help: "Which system is the primary source of truth for new requisition data.",
						Options: []Option{
							{Value: TruthChartHop, Label: "ChartHop (outbound: ChartHop to Lever)"},
							{Value: TruthLever, Label: "Remote System (Lever Requisitions) (inbound: Lever to ChartHop)"},
						}},
				},
				Caveats: []string{
					"The options of the next step depend on this choice: changing it later marks the options step for a re-run.",
				},
				Proof: ProofChecked,
			},
			{
				ID:    "charthop-options",
				Title: "Set the other options",
				Where: "ChartHop › Installed Apps › Lever Requisitions › Other Options",
				Link:  LinkChartHop,
				Actions: append(slices.Clone(chartHopAppSettings),
					"On the ChartHop Lever Requisitions app settings page, scroll down to the Other Options section.",
					"Turn on the options for your job data flow, as set here: patchbay shows which are required, recommended or unavailable, and why.",
				),
				Fields: optionFields,
				Caveats: []string{
					"Sync On Change and Reverse Sync cannot both be on, nor Reconciliation and Reverse Sync (the article).",
					"Which options each flow requires or recommends is " + OurReadingNote + ".",
				},
				DependsOn: []Dependency{
					{Step: "charthop-source", Field: "source", Reason: "the options were set for the previous source of truth"},
				},
				Validate: func(values map[string]string, prior Answers) ([]string, error) {
					return ValidateOptions(prior.Get("charthop-source", "source"), values)
				},
				Proof: ProofChecked,
				Drift: CheckOptionRules,
			},
			{
				// The secret comes first, stored on its own, so that the
				// Lever step can offer it from the store and only then be
				// confirmed (one form for both could not copy it yet).
				ID:    "charthop-webhook-secret",
				Title: "Store ChartHop's webhook secret key",
				Where: "ChartHop › Installed Apps › Lever Requisitions › Webhook Setup",
				Link:  LinkChartHop,
				Actions: append(slices.Clone(chartHopAppSettings),
					"On the ChartHop Lever Requisitions app settings page, scroll to Webhook Setup.",
					"Copy the secret key value shown there and paste it here: patchbay keeps it in your secrets store and offers it for Lever in the next step.",
				),
				Fields: []Field{
					secretField("webhook_secret", "ChartHop webhook secret key", "The secret key value under Webhook Setup in ChartHop. It goes to your secrets store, never shown again."),
				},
				Proof:   ProofChecked,
				Creates: []string{"webhook_secret"},
			},
			{
				ID:    "charthop-hire-webhook",
				Title: "Send new hires from Lever to ChartHop",
				Where: "Lever › Settings › Integrations and API › Webhooks",
				Link:  LinkLever,
				Actions: []string{
					"In Lever, navigate to Integrations and API under Settings and select Webhooks.",
					"Turn Candidate Hire on.",
					"Add the webhook with what ChartHop's Webhook Setup shows; for the secret key, patchbay copies the one you stored to the clipboard (to paste, item 1).",
					"Select Verify Connection.",
				},
				Fields: []Field{
					confirmField("turned Candidate Hire on in Lever, added the webhook and verified the connection"),
				},
				Copy: []CopyItem{{Label: "ChartHop webhook secret key", Secret: "webhook_secret"}},
				Caveats: []string{
					"New hire webhooks are not processed when the person being hired already exists in ChartHop, even without an active role: internal transfers and re-hires are not supported.",
					"Only the first new hire webhook for a ChartHop job is supported: if you update an offer packet and re-hire the candidate in Lever, ChartHop ignores the update unless the new hire is first removed in ChartHop.",
					"A new hire webhook is not processed when the job does not exist in ChartHop: the job, not the person, must already be there.",
					"New hire webhook flows are always inbound (Lever to ChartHop), whatever the source of truth.",
				},
				Proof:   ProofAttested,
				HandsOn: []string{"webhook_secret"},
			},
		},
		Usage: []string{
			"With the webhook on, candidates marked Hired in Lever (accepted offers) come into ChartHop as new hires with their start date and contact information: address, phone number and email.",
			"Run Daily, when on, pulls job-related candidate metrics every morning.",
		},
	}
}
