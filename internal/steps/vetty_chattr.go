package steps

import (
	"fmt"
	"strings"
)

// Chattr token statuses the admin records after Validate and Connect.
const (
	TokenValid   = "valid"
	TokenInvalid = "invalid"
)

// vettyChattr is built from the seed article vetty-chattr.txt.
func vettyChattr() Integration {
	return Integration{
		ID:      IntegrationVettyChattr,
		Name:    "Vetty background checks in Chattr",
		Systems: []string{"Vetty", "Chattr"},
		Summary: "Chattr orders Vetty background checks with a Vetty API key, and Vetty reports back to Chattr through a webhook.",
		Seed:    "vetty-chattr.txt",
		Prerequisites: []string{
			"You must be a Vetty customer and a Chattr customer, with an instance of both systems; Vetty's or Chattr's sales team can sell you the one you lack.",
		},
		Steps: []Step{
			{
				ID:    "vetty-key",
				Title: "Create a Vetty API key for Chattr",
				Where: "Vetty › Settings › API Management › Add New User Key",
				Link:  LinkVetty,
				Actions: []string{
					"Log in to Vetty at client.vetty.co.",
					"Go to Settings > API Management and click Add New User Key.",
					"Select the user who will manage the integration.",
					"In the IP Address field enter 0.0.0.0/0, as the article asks (read the warning below before you narrow or keep it).",
					"Set the expiration to 24 months, or any period you like; the article recommends a longer one so the integration keeps working.",
					"Click Add.",
					"On the API Management tab, single-click the new key's box: Vetty copies the key to your clipboard. Paste it here.",
				},
				Fields: []Field{
					{Key: "user", Label: "Managing user", Kind: KindText,
						Help: "The Vetty user you selected to manage the integration (name or email), as a record of who owns the key."},
					{Key: "ip_allowlist", Label: "IP range", Kind: KindCIDRList, Default: "0.0.0.0/0",
						Help: "What you entered in Vetty's IP Address field: one or more CIDR ranges separated by commas, e.g. 0.0.0.0/0 or 203.0.113.0/24, 2001:db8::/32."},
					{Key: "expiry_months", Label: "Expiration (months)", Kind: KindNumber, Default: "24",
						Help:     "The expiration you set in Vetty, 1 to 120 months. The article suggests 24; patchbay counts down to the date and warns 30 days ahead.",
						Validate: ValidateExpiryMonths},
					secretField("api_key", "Vetty API key", "Paste the key copied from Vetty's API Management tab. It goes to your secrets store, never shown again."),
				},
				Caveats: []string{
					"0.0.0.0/0 lets any address use the key. Chattr calls Vetty from its own servers, whose addresses the article does not give, so a narrower range must still include them (and the address patchbay checks from) or Vetty refuses the key.",
					"When patchbay checks the key and Vetty answers 401 or 403, the IP range is a likely cause, not only a wrong key.",
					"The key, and the connection with it, stops working when it expires: create a new one before then and rotate it with patchbay.",
				},
				Proof:             ProofVerified,
				Check:             CheckVettyKey,
				Creates:           []string{"api_key"},
				ExpiryMonthsField: "expiry_months",
			},
			{
				ID:    "vetty-webhook",
				Title: "Add Chattr's webhook in Vetty",
				Where: "Vetty › Settings › API Management › Web Hook",
				Link:  LinkVetty,
				Actions: []string{
					"Open the Webhook tab at the top of the API Management page you are on. If you navigated away, go back through Settings > API Management > Web Hook.",
					"Click Add Web Hook.",
					"For the URL use https://us-central1-hire-humanly.cloudfunctions.net/vettyReceiveEvents (to paste: item 1).",
					"For the Key enter chattr (to paste: item 2).",
					"Click Add.",
				},
				Fields: []Field{confirmField("added the web hook with that URL and Key in Vetty")},
				Copy: []CopyItem{
					{Label: "Web hook URL", Value: VettyWebhookURL},
					{Label: "Web hook Key", Value: VettyWebhookKey},
				},
				Caveats: []string{
					"Enter both values exactly as given: without this web hook, Chattr never hears back about the checks Vetty runs.",
				},
				Proof: ProofAttested,
			},
			{
				ID:    "chattr-connect",
				Title: "Connect Vetty in Chattr",
				Where: "Chattr › Onboarding (rocket icon) › Background Checks › Vetty",
				Link:  LinkChattr,
				Actions: []string{
					"Copy the Vetty API key: patchbay puts it on the clipboard from your secrets store (it is never shown). In Vetty you would go back to the API Management tab and single-click the key box.",
					"Log in to Chattr at app.chattr.ai.",
					"Head to the Onboarding section, marked by the rocket icon.",
					"Select Background Checks, then the Vetty section.",
					"Paste the API key copied from Vetty.",
					"Select Validate and Connect.",
					"Chattr now tells you the token status: record it below.",
				},
				Fields: []Field{
					{Key: "token_status", Label: "Token status", Kind: KindSelect,
						Help: "What Chattr reported after Validate and Connect.",
						Options: []Option{
							{Value: TokenValid, Label: "Valid: Chattr accepted the key"},
							{Value: TokenInvalid, Label: "Not valid: Chattr refused the key"},
						}},
					confirmField("pasted the key in Chattr and selected Validate and Connect"),
				},
				Copy: []CopyItem{{Label: "Vetty API key", Secret: "api_key"}},
				Caveats: []string{
					"In Chattr you can toggle the integration off and on at any time from this same Vetty section.",
				},
				Validate: func(values map[string]string, _ Answers) ([]string, error) {
					if values["token_status"] == TokenInvalid {
						return nil, &FieldError{Field: "token_status", Err: invalid(
							"Chattr refused the key: check that the whole key was pasted, that it has not expired, and that Vetty's IP range lets Chattr's servers in (0.0.0.0/0 does); then select Validate and Connect again")}
					}
					return nil, nil
				},
				Proof:   ProofAttested,
				HandsOn: []string{"api_key"},
			},
			{
				ID:    "chattr-packages",
				Title: "Choose the Vetty package for each job position",
				Where: "Chattr › Onboarding guides (set up with your Chattr account manager)",
				Link:  LinkChattr,
				Actions: []string{
					"Work with your Chattr account manager or CSM to customize your onboarding guides per position.",
					"In the onboarding guide set up, choose which Vetty background check package runs for each job position.",
					"Record the mapping here: patchbay checks it and writes a summary to send to your account manager.",
				},
				Fields: []Field{
					{Key: "packages", Label: "Package per position", Kind: KindMapping, Source: SourceVettyPackages,
						Help:     "Position=Package pairs separated by ';'; each package must be one Vetty lists.",
						Validate: ValidateChattrMapping},
				},
				Handoff: chattrHandoff,
				// Vetty lists its packages: each one named is checked there.
				Proof: ProofVerified,
				Check: CheckVettyPackages,
				Drift: CheckVettyPackages,
			},
		},
		Usage: []string{
			"To pause the connection, toggle the integration off in Chattr (Onboarding › Background Checks › Vetty); toggle it on again to resume.",
			"To stop it for good, delete the API key in Vetty (Settings › API Management) at any time; then disconnect in patchbay, which removes its copy from your secrets store and records it.",
			"To view a background check's status in Chattr, go to the Onboarding Tracker in your talent hub, select the person, open the Onboarding tab and scroll down to the status in Vetty.",
			"For more detail on a check, log in to Vetty at client.vetty.co.",
		},
	}
}

// chattrHandoff words the mapping for Chattr's account manager.
func chattrHandoff(values map[string]string, _ Answers) string {
	m, err := ParseChattrMapping(values["packages"])
	if err != nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("Hello,\n\nPlease set up our Chattr onboarding guides to run these Vetty background check packages per job position:\n\n")
	for _, pp := range m {
		fmt.Fprintf(&b, "- %s: %s\n", pp.Position, pp.Package)
	}
	b.WriteString("\nThe Vetty integration is connected in Chattr (Onboarding › Background Checks › Vetty).\n\nThank you!\n")
	return b.String()
}
