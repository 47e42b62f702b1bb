package tui

import (
	"fmt"
	"strings"

	"charm.land/huh/v2"

	"github.com/patchbay/patchbay/internal/app"
)

// The accessible home's profiles: what the full-screen home screen's
// profiles pane shows (when the database holds more than one), and the
// switch to another, which ends the run so the caller starts it again on
// that profile (Options.SwitchProfile), as the pane's enter does.

// switchChoice is the home menu's value for "switch profile"; an
// integration ID never has this form.
const switchChoice = "profile:"

// profiles loads the database's profiles, nil when the backend cannot sum
// them up or the load fails (the home menu then offers no switch).
func (a *accessible) profiles() []app.ProfileSummary {
	fb, ok := a.c.backend.(FleetBackend)
	if !ok {
		return nil
	}
	ctx, cancel := a.ctxLoad()
	defer cancel()
	list, err := fb.Profiles(ctx)
	if err != nil {
		a.println("Couldn't load the other profiles: " + plainErr(err) + ".")
		return nil
	}
	return list
}

// printProfiles lists the profiles as the pane does: the open one marked,
// the state that most needs the admin, what needs attention, an expiry
// within the warning.
func (a *accessible) printProfiles(list []app.ProfileSummary) {
	now := a.c.now()
	a.printf("Profiles in this database: %d.\n", len(list))
	for _, p := range list {
		line := "  " + p.Name
		if p.Name == a.c.profile {
			line += " (open)"
		}
		line += ": " + stateWord(p.Worst)
		if p.Attention > 0 {
			line += fmt.Sprintf(", %d need attention", p.Attention)
		}
		if p.SoonestExpiry != nil {
			days := int(p.SoonestExpiry.Sub(now).Hours() / 24)
			switch {
			case days < 0:
				line += ", a secret has expired"
			case days <= 30:
				line += fmt.Sprintf(", a secret expires in %d days", days)
			}
		}
		a.println(line + ".")
	}
	if a.c.switchProfile == nil {
		a.println("Open another with patchbay --accessible --profile NAME.")
	}
	a.println("")
}

// canSwitch reports whether the home menu offers a switch of profile.
func (a *accessible) canSwitch(list []app.ProfileSummary) bool {
	return a.c.switchProfile != nil && len(list) > 1
}

// switchMenu asks which profile to open; switched is true when the run
// ends for the caller to open it.
func (a *accessible) switchMenu(list []app.ProfileSummary) (switched bool, err error) {
	var opts []huh.Option[string]
	for _, p := range list {
		if p.Name == a.c.profile {
			continue
		}
		opts = append(opts, huh.NewOption(fmt.Sprintf("%s: %s", p.Name, stateWord(p.Worst)), p.Name))
	}
	opts = append(opts, huh.NewOption("Back", ""))
	sel := huh.NewSelect[string]().Title("Open which profile?").Options(opts...)
	if err := a.ask(sel, false); err != nil {
		return false, err
	}
	name := a.selectValue(sel)
	if name == "" {
		return false, nil
	}
	a.println("Opening profile " + name + "…")
	a.c.switchProfile(name, false)
	return true, nil
}

// isSwitch reports whether a home menu answer is the switch.
func isSwitch(choice string) bool { return strings.HasPrefix(choice, switchChoice) }
