package lever

import (
	"encoding/json"
	"errors"
)

// Timestamps are Lever's milliseconds since the Unix epoch.

// Stage is a pipeline stage. Lever returns only these two fields.
type Stage struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// CheckShape: a stage without id or name is not one.
func (s *Stage) CheckShape() error {
	if s.ID == "" || s.Text == "" {
		return errors.New("a stage without id or text")
	}
	return nil
}

// Tag has no id in Lever; Count is the number of candidates carrying it.
type Tag struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// CheckShape: a tag is its text.
func (t *Tag) CheckShape() error {
	if t.Text == "" {
		return errors.New("a tag without text")
	}
	return nil
}

// User is a Lever user. DeactivatedAt is nil for active users.
type User struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Username      string `json:"username"`
	Email         string `json:"email"`
	AccessRole    string `json:"accessRole"`
	CreatedAt     int64  `json:"createdAt"`
	DeactivatedAt *int64 `json:"deactivatedAt"`
}

// Active reports whether the user is not deactivated.
func (u User) Active() bool { return u.DeactivatedAt == nil }

// Posting is a job posting (the fields the wizard shows).
type Posting struct {
	ID              string            `json:"id"`
	Text            string            `json:"text"`
	State           string            `json:"state"`
	Confidentiality string            `json:"confidentiality"`
	Categories      PostingCategories `json:"categories"`
	CreatedAt       int64             `json:"createdAt"`
	UpdatedAt       int64             `json:"updatedAt"`
}

// PostingCategories are a posting's team, location and commitment.
type PostingCategories struct {
	Team       string `json:"team"`
	Department string `json:"department"`
	Location   string `json:"location"`
	Commitment string `json:"commitment"`
}

// Requisition is a Lever requisition. CustomFields keys are requisition field
// ids; values depend on the field type, so they stay raw.
type Requisition struct {
	ID              string                     `json:"id"`
	RequisitionCode string                     `json:"requisitionCode"`
	Name            string                     `json:"name"`
	Status          string                     `json:"status"` // open, onHold, closed, draft
	HeadcountTotal  int                        `json:"headcountTotal"`
	HeadcountHired  int                        `json:"headcountHired"`
	Confidentiality string                     `json:"confidentiality"`
	CustomFields    map[string]json.RawMessage `json:"customFields,omitempty"`
	CreatedAt       int64                      `json:"createdAt"`
}

// RequisitionField is a custom requisition field definition.
type RequisitionField struct {
	ID         string        `json:"id"` // snake_case, chosen by the account
	Text       string        `json:"text"`
	Type       string        `json:"type"` // number, text, date, object, dropdown
	IsRequired bool          `json:"isRequired"`
	Options    []FieldOption `json:"options,omitempty"`   // dropdown
	Subfields  []Subfield    `json:"subfields,omitempty"` // object
}

// FieldOption is one dropdown choice.
type FieldOption struct {
	Text string `json:"text"`
}

// Subfield is one member of an object-typed requisition field.
type Subfield struct {
	Text string `json:"text"`
	Type string `json:"type"`
}

// Webhook is an API-managed webhook. SignatureToken is a secret: never log it.
type Webhook struct {
	ID            string        `json:"id"`
	Event         string        `json:"event"`
	URL           string        `json:"url"`
	Configuration WebhookConfig `json:"configuration"`
	CreatedAt     int64         `json:"createdAt"`
}

// WebhookConfig holds the origin conditions and the signing token.
type WebhookConfig struct {
	Conditions     *WebhookConditions `json:"conditions,omitempty"`
	SignatureToken string             `json:"signatureToken,omitempty"`
}

// WebhookConditions limits the first four events to candidate origins.
type WebhookConditions struct {
	Origins []string `json:"origins,omitempty"`
}

// Webhook events Lever documents.
const (
	EventApplicationCreated     = "applicationCreated"
	EventCandidateHired         = "candidateHired"
	EventCandidateStageChange   = "candidateStageChange"
	EventCandidateArchiveChange = "candidateArchiveChange"
	EventCandidateDeleted       = "candidateDeleted"
	EventInterviewCreated       = "interviewCreated"
	EventInterviewUpdated       = "interviewUpdated"
	EventInterviewDeleted       = "interviewDeleted"
	EventContactCreated         = "contactCreated"
	EventContactUpdated         = "contactUpdated"
)

// Opportunity is a candidate's application (the fields the dashboard uses).
type Opportunity struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Stage     string    `json:"stage"` // stage id
	Tags      []string  `json:"tags"`
	CreatedAt int64     `json:"createdAt"`
	Archived  *Archived `json:"archived"` // nil while active
}

// Archived says when and why an opportunity was archived.
type Archived struct {
	ArchivedAt int64  `json:"archivedAt"`
	Reason     string `json:"reason"`
}
