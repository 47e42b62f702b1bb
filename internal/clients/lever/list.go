package lever

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/patchbay/patchbay/internal/clients/httpx"
)

// Page is Lever's list envelope.
type Page[T any] struct {
	Data    []T    `json:"data"`
	Next    string `json:"next"`
	HasNext bool   `json:"hasNext"`
}

// CheckShape makes a 2xx without a "data" list malformed: `{}` or
// `{"data":null}` decode without error but say nothing about the account.
// Items that know their own shape (Stage, Tag) are checked too.
func (p *Page[T]) CheckShape() error {
	if p.Data == nil {
		return errors.New(`no "data" list in the answer`)
	}
	for i := range p.Data {
		if sh, ok := any(&p.Data[i]).(httpx.Shaped); ok {
			if err := sh.CheckShape(); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
	}
	return nil
}

// List reads every page of a list endpoint (path relative to /v1, e.g.
// "/stages") with the given filters, following "next" offset tokens, within
// the client's listing bounds (httpx.Listing).
//
// The stop rule is Lever's: hasNext says whether another page exists and
// next is the token to ask for it with. hasNext true without a next token
// is malformed: stopping there would return a silently short list.
func List[T any](ctx context.Context, c *Client, path string, query url.Values) ([]T, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = append([]string(nil), v...)
	}
	q.Set("limit", strconv.Itoa(c.api.PageSize(DefaultPageSize)))
	q.Del("offset")
	var all []T
	seen := map[string]bool{}
	pages := c.api.List(ctx, path)
	defer pages.Close()
	for {
		var page Page[T]
		if err := c.explain(pages.Get(q, &page)); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if !page.HasNext {
			return all, nil
		}
		if page.Next == "" {
			return nil, c.malformed(path, "hasNext is true but no next token was given")
		}
		if seen[page.Next] {
			return nil, c.malformed(path, "offset token repeated")
		}
		seen[page.Next] = true
		q.Set("offset", page.Next)
	}
}

// getPage reads one page (its envelope checked by CheckShape).
func getPage[T any](ctx context.Context, c *Client, path string, q url.Values) (Page[T], error) {
	var page Page[T]
	err := c.get(ctx, path, q, &page)
	return page, err
}

func (c *Client) malformed(path, why string) error {
	return c.explain(fmt.Errorf("%s GET %s: %w: %s", Vendor, path, httpx.ErrMalformed, why))
}

// Stages lists all pipeline stages.
func (c *Client) Stages(ctx context.Context) ([]Stage, error) {
	return List[Stage](ctx, c, "/stages", nil)
}

// Tags lists all tags with their candidate counts.
func (c *Client) Tags(ctx context.Context) ([]Tag, error) {
	return List[Tag](ctx, c, "/tags", nil)
}

// UserFilter narrows Users. Zero value: all active users.
type UserFilter struct {
	Email              string
	AccessRole         string
	IncludeDeactivated bool
}

// Users lists users.
func (c *Client) Users(ctx context.Context, f UserFilter) ([]User, error) {
	q := url.Values{}
	if f.Email != "" {
		q.Set("email", f.Email)
	}
	if f.AccessRole != "" {
		q.Set("accessRole", f.AccessRole)
	}
	if f.IncludeDeactivated {
		q.Set("includeDeactivated", "true")
	}
	return List[User](ctx, c, "/users", q)
}

// Postings lists postings.
func (c *Client) Postings(ctx context.Context) ([]Posting, error) {
	return List[Posting](ctx, c, "/postings", nil)
}

// Requisitions lists requisitions. status "" means all statuses.
func (c *Client) Requisitions(ctx context.Context, status string) ([]Requisition, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	return List[Requisition](ctx, c, "/requisitions", q)
}

// RequisitionFields lists the account's custom requisition fields.
func (c *Client) RequisitionFields(ctx context.Context) ([]RequisitionField, error) {
	return List[RequisitionField](ctx, c, "/requisition_fields", nil)
}

// Webhooks lists API-managed webhooks. Their signature tokens are secrets.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	return List[Webhook](ctx, c, "/webhooks", nil)
}

// NewWebhook is the body of POST /webhooks.
type NewWebhook struct {
	URL           string        `json:"url"`
	Event         string        `json:"event"`
	Configuration WebhookConfig `json:"configuration,omitzero"`
}

// CreateWebhook registers a webhook; the answer carries its signature token.
// Lever only delivers once a Super Admin switches the event group on.
func (c *Client) CreateWebhook(ctx context.Context, w NewWebhook) (Webhook, error) {
	var out struct {
		Data Webhook `json:"data"`
	}
	if err := c.explain(c.api.Do(ctx, "POST", "/webhooks", nil, w, &out)); err != nil {
		return Webhook{}, err
	}
	return out.Data, nil
}

// OpportunityFilter narrows Opportunities. Tags and StageIDs are ORed within
// each list (Lever repeats the parameter); tag matching is case-sensitive.
type OpportunityFilter struct {
	Tags     []string
	StageIDs []string
	Archived *bool
}

// Opportunities lists opportunities matching f.
func (c *Client) Opportunities(ctx context.Context, f OpportunityFilter) ([]Opportunity, error) {
	q := url.Values{}
	for _, t := range f.Tags {
		q.Add("tag", t)
	}
	for _, s := range f.StageIDs {
		q.Add("stage_id", s)
	}
	if f.Archived != nil {
		q.Set("archived", strconv.FormatBool(*f.Archived))
	}
	return List[Opportunity](ctx, c, "/opportunities", q)
}
