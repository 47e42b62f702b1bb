package steps

import (
	"fmt"
	"strings"
)

// certnLever is built from the seed article certn-lever.txt.
func certnLever() Integration {
	return Integration{
		ID:      IntegrationCertnLever,
		Name:    "Certn checks from a Lever stage",
		Systems: []string{"Lever", "Certn"},
		Summary: "Advancing a Lever candidate to a trigger stage starts a Certn background check, and Certn reports its status back as CERTN tags on the candidate.",
		Seed:    "certn-lever.txt",
		Prerequisites: []string{
			"You must be a Lever customer and a Certn customer.",
			"The article offers the integration on the Professional and Enterprise plans only.",
			"The Lever steps need a Lever Super Admin.",
		},
		Steps: []Step{
			{
				ID:    "lever-key",
				Title: "Generate the Lever API key for Certn",
				Where: "Lever › Settings › Integrations and API › Certn card (sourcing integrations)",
				Link:  LinkLever,
				Actions: []string{
					"Sign in to Lever as a Super Admin: only a Super Admin can do the Lever steps.",
					"Navigate to the Integrations and API page in Lever's Settings.",
					"Locate Certn in the sourcing integrations section and click the integration toggle to expand its card.",
					"Be ready to paste before you click: Lever shows the key one and only time.",
					"Click Generate new key, copy the API key and paste it here; patchbay keeps it safe in your secrets store.",
				},
				Fields: []Field{
					leverRegionField(),
					secretField("api_key", "Lever API key", "Paste the key Lever generated on the Certn card. It goes to your secrets store, never shown again."),
				},
				Caveats: []string{
					"This is the one and only time Lever shows this key. If you lose it, disable the Certn integration toggle and repeat these steps to generate a new key.",
					"patchbay checks that Lever accepts the key (GET /stages) and probes the endpoints Certn uses; a 403 names the endpoint the key may not reach.",
				},
				Refused: "Lever shows a key only once, so it cannot be copied again: generate a new one. On the Certn card in Lever › Settings › Integrations and API, switch the integration toggle off and on again, click Generate new key, and paste the new key here.",
				Proof:   ProofVerified,
				Check:   CheckLeverKeyCertn,
				Creates: []string{"api_key"},
			},
			{
				ID:    "lever-signing-token",
				Title: "Generate the Lever webhook signing token",
				Where: "Lever › Settings › Integrations and API › Webhooks tab",
				Link:  LinkLever,
				Actions: []string{
					"On the integrations page of Lever's settings menu, open the Webhooks tab: the webhook signature is there.",
					"Generate a webhook signing token if there is not already one.",
					"Copy the signing token and paste it here; patchbay saves it somewhere safe: your secrets store.",
				},
				Fields: []Field{
					{Key: "signing_token", Label: "Webhook signing token", Kind: KindSecret, Validate: ValidateSigningToken,
						Help: "Paste the signing token from Lever's Webhooks tab (at least 16 characters, no spaces). It goes to your secrets store, never shown again."},
				},
				Caveats: []string{
					"Lever signs webhooks with this token; if you regenerate it in Lever, rotate it in patchbay so Certn is given the new one too.",
				},
				Proof:   ProofChecked,
				Check:   CheckLeverSignature,
				Creates: []string{"signing_token"},
			},
			{
				ID:    "certn-packages",
				Title: "Create Certn packages and choose the default",
				Where: "Certn › Settings › Team › Integrations › Lever",
				Link:  LinkCertn,
				Actions: []string{
					"Go to the team settings on Certn's website.",
					"In Settings, select the team you want to set the integration up for.",
					"Navigate to the integrations section and expand the Lever Integration tab.",
					"Create at least one package for the Lever integration: click Create New Package, enter a name and choose at least one service to add to it.",
					"Set one package as the default: click its action button and choose Make Default.",
					"Record the packages and the default here.",
				},
				Fields: []Field{
					{Key: "packages", Label: "Packages", Kind: KindMapping,
						Help:     "Each package as Name:service+service, packages separated by ';', e.g. Standard:Criminal Record Check+ID Verification;Driver:Criminal Record Check+Driving Record.",
						Validate: ValidateCertnPackages},
					{Key: "default_package", Label: "Default package", Kind: KindText,
						Help:     "The package you chose Make Default for; it must be one of the packages above.",
						Validate: ValidateDefaultPackage},
				},
				Caveats: []string{
					"Package names double as Lever tags: a candidate tagged with another package's name gets that package instead of the default. Avoid names that already mean something else as Lever tags.",
					"You can update the default or change it to another package later, in the Lever integration section of the team's settings on Certn's website.",
				},
				Validate: validateCertnDefault,
				Proof:    ProofChecked,
			},
			{
				ID:    "certn-credentials",
				Title: "Give Certn the Lever key and signing token",
				Where: "Certn › Settings › Team › Integrations › Lever",
				Link:  LinkCertn,
				Actions: []string{
					"In the same Lever Integration tab of the team's settings on Certn, find the form for the Lever credentials.",
					"Enter the Webhook Signature: copy the Lever signing token from patchbay (to paste: item 1).",
					"Enter the Api Key: copy the Lever API key from patchbay (to paste: item 2).",
				},
				Fields: []Field{confirmField("entered the webhook signature and the API key in Certn's Lever form")},
				Copy: []CopyItem{
					{Label: "Webhook Signature (Lever signing token)", Secret: "signing_token"},
					{Label: "Api Key (Lever API key)", Secret: "api_key"},
				},
				Proof:   ProofAttested,
				HandsOn: []string{"api_key", "signing_token"},
			},
			{
				ID:    "certn-enable",
				Title: "Enable the integration in Certn",
				Where: "Certn › Settings › Team › Integrations › Lever",
				Link:  LinkCertn,
				Actions: []string{
					"In Certn's Lever Integration tab, click Enable Integration.",
					"Copy the integration API webhook URL Certn provides and paste it here: you will give it to Lever in the next step.",
				},
				Fields: []Field{
					{Key: "webhook_url", Label: "Integration webhook URL", Kind: KindURL,
						Help: "The integration API webhook URL Certn shows once enabled; https only."},
				},
				Proof: ProofChecked,
			},
			{
				ID:    "lever-trigger-stage",
				Title: "Enable it in Lever with the webhook URL and trigger stage",
				Where: "Lever › Settings › Integrations and API › Certn card",
				Link:  LinkLever,
				Actions: []string{
					"Choose the Lever stage that will be the trigger stage: advancing a candidate to it sends the candidate to Certn.",
					"Click enable integration on Lever's Certn card; Lever will reach out to you.",
					"Give Lever the integration API webhook URL and the name of the trigger stage: patchbay writes the message for you.",
				},
				Fields: []Field{
					{Key: "stage", Label: "Trigger stage", Kind: KindSelect, Source: SourceLeverStages,
						Help: "The Lever stage that sends candidates to Certn; picked from Lever's stages, or typed when Lever cannot be reached."},
				},
				Caveats: []string{
					"Renaming or deleting the trigger stage in Lever later stops checks from starting; the dashboard checks that the stage still exists.",
				},
				DependsOn: []Dependency{
					{Step: "certn-enable", Field: "webhook_url", Reason: "Lever was given the previous Certn webhook URL"},
					{Step: "lever-key", Field: "region", Reason: "the stage was checked in the previous Lever region"},
				},
				Handoff: leverStageHandoff,
				Proof:   ProofVerified,
				Check:   CheckLeverStage,
				Drift:   CheckLeverStage,
			},
		},
		Signals: []CheckKind{CheckCertnTags},
		Usage: []string{
			"To start a check, advance a candidate to the trigger stage set up above; nothing else is needed.",
			"Certn then tags the candidate \"CERTN - Pending\" (the article's wording; current Certn accounts use CERTN - Submitted, CERTN - Applicant Started, CERTN - In Progress, CERTN - Complete (Clear), CERTN - Complete (Review) and CERTN - ERROR (No Email)). As results come back, Certn adds a link to the PDF report to the candidate and updates the tag to the check's status.",
			"All candidates are viewable on Certn. The default package can be updated or changed to another package in the Lever integration section of the team's settings on Certn's website.",
			"To override the default package, tag the candidate with the name of another package from the Lever integration package list on Certn: that package runs instead.",
			"Tip: add a tag to a posting and every candidate who applies to that posting receives the tag, so posting-specific tags can pick a package per posting.",
		},
	}
}

// validateCertnDefault: the default must be exactly one of the packages.
func validateCertnDefault(values map[string]string, _ Answers) ([]string, error) {
	pkgs, err := ParseCertnPackages(values["packages"])
	if err != nil {
		return nil, &FieldError{Field: "packages", Err: err}
	}
	def := values["default_package"]
	names := make([]string, len(pkgs))
	for i, p := range pkgs {
		names[i] = p.Name
		if p.Name == def {
			return nil, nil
		}
	}
	for _, n := range names {
		if strings.EqualFold(n, def) {
			return nil, &FieldError{Field: "default_package", Err: invalid(fmt.Sprintf("%q is spelled %q in the packages; use the same spelling, since the name doubles as a Lever tag", def, n))}
		}
	}
	return nil, &FieldError{Field: "default_package", Err: invalid(fmt.Sprintf("%q is not one of the packages; choose %s", def, quoteList(names)))}
}

// leverStageHandoff words the message for Lever's team.
func leverStageHandoff(values map[string]string, prior Answers) string {
	url, stage := prior.Get("certn-enable", "webhook_url"), values["stage"]
	if url == "" || stage == "" {
		return ""
	}
	return "Hello,\n\nWe enabled the Certn integration on our Lever account. Please connect it with these details:\n\n" +
		"- Certn integration API webhook URL: " + url + "\n" +
		"- Trigger stage (advancing a candidate here sends them to Certn): " + stage + "\n\nThank you!\n"
}
