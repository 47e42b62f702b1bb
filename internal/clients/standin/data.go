package standin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// newID is a stable UUID-shaped id, so sample data is the same every run.
func newID(kind string, n int64) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", kind, n)))
	s := hex.EncodeToString(h[:16])
	return s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-a" + s[17:20] + "-" + s[20:32]
}

// sampleEpoch is 2026-01-05T09:00:00Z in milliseconds; sample timestamps
// count from it.
const sampleEpoch int64 = 1767603600000

const day = int64(24 * 60 * 60 * 1000)

// Sample stage names, in pipeline order.
var sampleStages = []string{
	"New applicant", "New lead", "Reached out", "Recruiter screen", "Phone screen",
	"On-site interview", "Background Check", "Reference check", "Offer", "Hired",
}

// Certn status tags as Certn currently writes them, with how many sample
// candidates carry each.
var sampleCertnTags = []LeverTag{
	{Text: "CERTN - Submitted", Count: 3},
	{Text: "CERTN - Applicant Started", Count: 2},
	{Text: "CERTN - In Progress", Count: 4},
	{Text: "CERTN - Complete (Clear)", Count: 9},
	{Text: "CERTN - Complete (Review)", Count: 1},
}

var sampleNames = []string{
	"Ada Okafor", "Bruno Lindqvist", "Chen Wei", "Dalia Haddad", "Emeka Nwosu", "Farah Siddiqui",
	"Gustavo Ruiz", "Hana Kobayashi", "Ines Moreau", "Jonas Becker", "Kavya Raman", "Liam O'Connor",
	"Maya Goldberg", "Nikolai Petrov", "Olivia Mensah", "Pedro Alves", "Quinn Harper", "Rosa Delgado",
	"Samir Aziz", "Tess Whitaker", "Umar Farouk", "Valentina Russo", "Wen Zhou", "Yara Nasser",
}

func (l *Lever) seed() {
	for i, name := range sampleStages {
		l.stages = append(l.stages, LeverStage{ID: newID("stage:"+name, int64(i)), Text: name})
	}
	stageID := func(name string) string {
		i := slices.Index(sampleStages, name)
		return l.stages[i].ID
	}

	// Opportunities first; tag counts are then derived from them, so the
	// sample is consistent until a test changes one side.
	for i, name := range sampleNames {
		l.opportunities = append(l.opportunities, leverOpportunity{
			ID:        newID("opportunity", int64(i)),
			Name:      name,
			Stage:     stageID(sampleStages[i%6]),
			Tags:      []string{},
			CreatedAt: sampleEpoch + int64(i)*day,
		})
	}
	next := 0
	for _, t := range sampleCertnTags {
		for range t.Count {
			o := &l.opportunities[next]
			o.Tags = append(o.Tags, t.Text)
			switch t.Text {
			case "CERTN - Complete (Clear)":
				o.Stage = stageID("Offer")
			default:
				o.Stage = stageID("Background Check")
			}
			next++
		}
	}
	tagRange := func(tag string, from, to int) {
		for i := from; i < to; i++ {
			l.opportunities[i].Tags = append(l.opportunities[i].Tags, tag)
		}
	}
	tagRange("Full-time", 0, 21)
	tagRange("Engineering", 0, 14)
	tagRange("Sales", 14, 20)
	tagRange("Referral", 10, 15)
	tagRange("Remote", 16, 24)
	tagRange("Standard", 0, 2) // a Certn package name used as an override tag
	archivedAt := sampleEpoch + 30*day
	l.opportunities[23].Archived = map[string]any{"archivedAt": archivedAt, "reason": newID("archive-reason", 0)}

	counts := map[string]int{}
	var order []string
	for _, o := range l.opportunities {
		for _, t := range o.Tags {
			if counts[t] == 0 {
				order = append(order, t)
			}
			counts[t]++
		}
	}
	slices.SortStableFunc(order, func(a, b string) int {
		return cmpBool(strings.HasPrefix(b, "CERTN - "), strings.HasPrefix(a, "CERTN - "))
	})
	for _, t := range order {
		l.tags = append(l.tags, LeverTag{Text: t, Count: counts[t]})
	}

	deactivated := sampleEpoch + 20*day
	users := []struct{ name, role string }{
		{"Priya Shah", "super admin"}, {"Marcus Bell", "admin"}, {"Elena Popescu", "team member"},
		{"Tomás García", "team member"}, {"Grace Liu", "limited team member"}, {"Owen Price", "interviewer"},
		{"Nadia Karim", "team member"},
	}
	for i, u := range users {
		first := strings.ToLower(strings.Fields(u.name)[0])
		first = strings.NewReplacer("á", "a").Replace(first)
		lu := leverUser{
			ID: newID("user", int64(i)), Name: u.name, Username: first,
			Email: first + "@example.com", CreatedAt: sampleEpoch - int64(100-i)*day, AccessRole: u.role,
		}
		if i == len(users)-1 {
			lu.DeactivatedAt = &deactivated
		}
		l.users = append(l.users, lu)
	}

	postings := []struct{ text, team, loc, state string }{
		{"Senior Backend Engineer", "Engineering", "Toronto", "published"},
		{"Frontend Engineer", "Engineering", "Remote", "published"},
		{"Site Reliability Engineer", "Engineering", "Berlin", "published"},
		{"Account Executive", "Sales", "New York", "published"},
		{"Sales Development Representative", "Sales", "Austin", "internal"},
		{"People Operations Partner", "People", "Toronto", "closed"},
		{"Product Designer", "Design", "Remote", "draft"},
		{"Data Analyst", "Finance", "London", "pending"},
	}
	for i, p := range postings {
		l.postings = append(l.postings, leverPosting{
			ID: newID("posting", int64(i)), Text: p.text, State: p.state, Confidentiality: "non-confidential",
			Categories: map[string]string{"team": p.team, "department": p.team, "location": p.loc, "commitment": "Full-time"},
			CreatedAt:  sampleEpoch - int64(40-i)*day, UpdatedAt: sampleEpoch - int64(i)*day,
		})
	}

	l.fields = []leverField{
		{ID: "cost_center", Text: "Cost center", Type: "dropdown", IsRequired: true,
			Options: []map[string]string{{"text": "R&D"}, {"text": "Go-to-market"}, {"text": "G&A"}}},
		{ID: "hiring_manager_level", Text: "Hiring manager level", Type: "number"},
		{ID: "target_start_date", Text: "Target start date", Type: "date"},
		{ID: "compensation_band", Text: "Compensation band", Type: "object",
			Subfields: []map[string]string{{"text": "Minimum", "type": "number"}, {"text": "Maximum", "type": "number"}, {"text": "Currency", "type": "text"}}},
		{ID: "backfill", Text: "Backfill", Type: "dropdown",
			Options: []map[string]string{{"text": "Yes"}, {"text": "No"}}},
	}

	reqs := []struct {
		code, name, status string
		total, hired       int
		cc                 string
		confidential       bool
	}{
		{"ENG-101", "Senior Backend Engineer", "open", 2, 0, "R&D", false},
		{"ENG-102", "Frontend Engineer", "open", 1, 0, "R&D", false},
		{"ENG-103", "Site Reliability Engineer", "onHold", 1, 0, "R&D", false},
		{"SAL-201", "Account Executive", "open", 3, 1, "Go-to-market", false},
		{"SAL-202", "Sales Development Representative", "closed", 2, 2, "Go-to-market", false},
		{"PPL-301", "People Operations Partner", "draft", 1, 0, "G&A", false},
		{"EXE-901", "Chief Financial Officer", "open", 1, 0, "G&A", true},
	}
	for i, r := range reqs {
		conf := "non-confidential"
		if r.confidential {
			conf = "confidential"
		}
		l.requisitions = append(l.requisitions, leverRequisition{
			ID: newID("requisition", int64(i)), RequisitionCode: r.code, Name: r.name, Status: r.status,
			HeadcountTotal: r.total, HeadcountHired: r.hired, Confidentiality: conf,
			CustomFields: map[string]any{"cost_center": r.cc, "hiring_manager_level": 3 + i%3},
			CreatedAt:    sampleEpoch - int64(50-i)*day,
		})
	}

	l.webhooks = []leverWebhook{{
		ID: newID("webhook", 0), Event: "candidateHired", URL: "https://hooks.example.com/charthop/lever-hired",
		Configuration: map[string]any{"conditions": map[string]any{"origins": []string{"applied", "sourced", "referred"}}},
		CreatedAt:     sampleEpoch - 10*day,
	}}
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
