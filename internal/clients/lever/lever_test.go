package lever_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/patchbay/patchbay/internal/clients/httpx"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/clients/standin"
)

const key = "lever-key-8f3c2a9d41"

func startStandins(t *testing.T, opts standin.Options) *standin.Servers {
	t.Helper()
	s, err := standin.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newClient(t *testing.T, s *standin.Servers, apiKey string, opts httpx.Options) *lever.Client {
	t.Helper()
	c, err := lever.New(nil, s.LeverURL, apiKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noWait records retry and limiter waits instead of spending them.
type noWait struct {
	mu sync.Mutex
	d  []time.Duration
}

func (n *noWait) sleep(ctx context.Context, d time.Duration) error {
	n.mu.Lock()
	n.d = append(n.d, d)
	n.mu.Unlock()
	return ctx.Err()
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		region, want string
		wantErr      bool
	}{
		{"us", "https://api.lever.co/v1", false},
		{"sandbox", "https://api.sandbox.lever.co/v1", false},
		{"mars", "", true},
	}
	for _, tt := range tests {
		t.Setenv(lever.EnvURL, "http://127.0.0.1:9999/lever/v1") // read by cmd/patchbay, never here
		got, err := lever.BaseURL(tt.region)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("BaseURL(%q) = %q, %v", tt.region, got, err)
		}
	}
}

func TestVerify(t *testing.T) {
	s := startStandins(t, standin.Options{})
	tests := []struct {
		name    string
		key     string
		wantErr error
	}{
		{"valid", key, nil},
		{"forbidden keys may still read stages", "forbidden-" + key, nil},
		{"invalid", "invalid-" + key, httpx.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newClient(t, s, tt.key, httpx.Options{}).Verify(context.Background())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestListingsSpanPages(t *testing.T) {
	s := startStandins(t, standin.Options{PageSize: 3})
	c := newClient(t, s, key, httpx.Options{})
	ctx := context.Background()

	s.Lever.ResetRequests()
	stages, err := c.Stages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 10 || s.Lever.Requests() != 4 {
		t.Fatalf("%d stages in %d requests, want 10 in 4", len(stages), s.Lever.Requests())
	}
	var names []string
	for _, st := range stages {
		if st.ID == "" {
			t.Errorf("stage %q has no id", st.Text)
		}
		names = append(names, st.Text)
	}
	for _, want := range []string{"New applicant", "Phone screen", "On-site interview", "Background Check", "Offer", "Hired"} {
		if !slices.Contains(names, want) {
			t.Errorf("stage %q missing from %v", want, names)
		}
	}

	tags, err := c.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, tg := range tags {
		counts[tg.Text] = tg.Count
	}
	if counts["CERTN - Complete (Clear)"] != 9 || counts["CERTN - In Progress"] != 4 || counts["CERTN - Submitted"] != 3 {
		t.Fatalf("tags = %v", tags)
	}

	users, err := c.Users(ctx, lever.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.Users(ctx, lever.UserFilter{IncludeDeactivated: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 6 || len(all) != 7 || all[6].Active() {
		t.Fatalf("users: %d active, %d in all", len(users), len(all))
	}
	admins, err := c.Users(ctx, lever.UserFilter{AccessRole: "super admin"})
	if err != nil || len(admins) != 1 || admins[0].Email != "priya@example.com" {
		t.Fatalf("super admins = %+v, %v", admins, err)
	}

	postings, err := c.Postings(ctx)
	if err != nil || len(postings) != 8 || postings[0].Categories.Team != "Engineering" {
		t.Fatalf("postings = %+v, %v", postings, err)
	}
	reqs, err := c.Requisitions(ctx, "")
	if err != nil || len(reqs) != 6 {
		t.Fatalf("requisitions = %d, %v", len(reqs), err)
	}
	open, err := c.Requisitions(ctx, "open")
	var cc string
	if err == nil && len(open) > 0 {
		err = json.Unmarshal(open[0].CustomFields["cost_center"], &cc)
	}
	if err != nil || len(open) != 3 || cc != "R&D" {
		t.Fatalf("open requisitions = %+v, %v", open, err)
	}
	fields, err := c.RequisitionFields(ctx)
	if err != nil || len(fields) != 5 || fields[0].ID != "cost_center" || !fields[0].IsRequired || len(fields[0].Options) != 3 || len(fields[3].Subfields) != 3 {
		t.Fatalf("requisition fields = %+v, %v", fields, err)
	}
	hooks, err := c.Webhooks(ctx)
	if err != nil || len(hooks) != 1 || hooks[0].Event != lever.EventCandidateHired || hooks[0].Configuration.Conditions == nil {
		t.Fatalf("webhooks = %+v, %v", hooks, err)
	}
}

func TestOpportunitiesFilters(t *testing.T) {
	s := startStandins(t, standin.Options{PageSize: 5})
	c := newClient(t, s, key, httpx.Options{})
	ctx := context.Background()
	all, err := c.Opportunities(ctx, lever.OpportunityFilter{})
	if err != nil || len(all) != 24 {
		t.Fatalf("opportunities = %d, %v", len(all), err)
	}
	certn, err := c.Opportunities(ctx, lever.OpportunityFilter{Tags: []string{"CERTN - Submitted", "CERTN - In Progress"}})
	if err != nil || len(certn) != 7 {
		t.Fatalf("CERTN submitted|in progress = %d, %v", len(certn), err)
	}
	lower, err := c.Opportunities(ctx, lever.OpportunityFilter{Tags: []string{"certn - submitted"}})
	if err != nil || len(lower) != 0 {
		t.Fatalf("tag match must be case-sensitive: %d, %v", len(lower), err)
	}
	stages, _ := c.Stages(ctx)
	var offer string
	for _, st := range stages {
		if st.Text == "Offer" {
			offer = st.ID
		}
	}
	atOffer, err := c.Opportunities(ctx, lever.OpportunityFilter{StageIDs: []string{offer}})
	if err != nil || len(atOffer) != 9 {
		t.Fatalf("at Offer = %d, %v", len(atOffer), err)
	}
	archived := true
	arch, err := c.Opportunities(ctx, lever.OpportunityFilter{Archived: &archived})
	if err != nil || len(arch) != 1 || arch[0].Archived == nil {
		t.Fatalf("archived = %+v, %v", arch, err)
	}
}

func TestDriftIsVisible(t *testing.T) {
	s := startStandins(t, standin.Options{})
	c := newClient(t, s, key, httpx.Options{})
	ctx := context.Background()
	if !s.Lever.RemoveStage("Background Check") {
		t.Fatal("sample has no Background Check stage")
	}
	s.Lever.SetTags([]standin.LeverTag{{Text: "CERTN - Complete (Clear)", Count: 10}})
	stages, err := c.Stages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stages {
		if st.Text == "Background Check" {
			t.Fatal("removed stage still listed")
		}
	}
	tags, err := c.Tags(ctx)
	if err != nil || len(tags) != 1 || tags[0].Count != 10 {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
}

func TestCreateWebhook(t *testing.T) {
	s := startStandins(t, standin.Options{})
	c := newClient(t, s, key, httpx.Options{})
	before := s.Lever.WebhookCount()
	hook, err := c.CreateWebhook(context.Background(), lever.NewWebhook{
		URL: "https://certn.example.com/lever", Event: lever.EventCandidateStageChange,
		Configuration: lever.WebhookConfig{Conditions: &lever.WebhookConditions{Origins: []string{"applied"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if hook.ID == "" || len(hook.Configuration.SignatureToken) != 48 || hook.Event != lever.EventCandidateStageChange {
		t.Fatalf("webhook = %+v", hook)
	}
	if s.Lever.WebhookCount() != before+1 {
		t.Fatal("webhook not stored")
	}
	_, err = c.CreateWebhook(context.Background(), lever.NewWebhook{URL: "http://plain.example.com", Event: lever.EventCandidateHired})
	var ue *httpx.UnexpectedError
	if !errors.As(err, &ue) || ue.Status != 400 || !strings.Contains(ue.Excerpt, "https") {
		t.Fatalf("plain-http webhook: err = %v", err)
	}
}

func TestProbe(t *testing.T) {
	s := startStandins(t, standin.Options{})
	ctx := context.Background()
	tests := []struct {
		name       string
		key        string
		endpoints  []string
		wantDenied []string
		wantErr    error
	}{
		{"valid key, certn set", key, certnEndpoints, nil, nil},
		{"valid key, charthop set", key, charthopEndpoints, nil, nil},
		{"forbidden key, certn set", "forbidden-" + key, certnEndpoints, []string{"/tags"}, nil},
		{"forbidden key, charthop set", "forbidden-" + key, charthopEndpoints, []string{"/requisitions", lever.ConfidentialRequisitions}, nil},
		{"key without confidential access", standin.NoConfidentialKey + "-" + key, charthopEndpoints, []string{lever.ConfidentialRequisitions}, nil},
		{"invalid key", "invalid-" + key, charthopEndpoints, nil, httpx.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newClient(t, s, tt.key, httpx.Options{}).Probe(ctx, tt.endpoints)
			if len(res) != len(tt.endpoints) {
				t.Fatalf("results = %+v", res)
			}
			for i, r := range res {
				if r.Endpoint != tt.endpoints[i] {
					t.Errorf("result %d is for %s, want %s", i, r.Endpoint, tt.endpoints[i])
				}
				wantAllowed := tt.wantErr == nil && !slices.Contains(tt.wantDenied, r.Endpoint)
				if r.Allowed != wantAllowed {
					t.Errorf("%s allowed = %v (%v)", r.Endpoint, r.Allowed, r.Err)
				}
				if tt.wantErr != nil && !errors.Is(r.Err, tt.wantErr) {
					t.Errorf("%s err = %v, want %v", r.Endpoint, r.Err, tt.wantErr)
				}
			}
			if got := lever.Denied(res); !slices.Equal(got, tt.wantDenied) {
				t.Errorf("Denied = %v, want %v", got, tt.wantDenied)
			}
			if err := lever.ProbeError(res); !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("ProbeError = %v, want %v", err, tt.wantErr)
			}
			for _, r := range res {
				var fe *httpx.ForbiddenError
				if r.Forbidden() && (!errors.As(r.Err, &fe) || fe.Endpoint != r.Endpoint) {
					t.Errorf("forbidden result carries %v", r.Err)
				}
			}
		})
	}
}

func TestProbeUnreachableIsNotDenied(t *testing.T) {
	s := startStandins(t, standin.Options{})
	c := newClient(t, s, key, httpx.Options{})
	s.Close()
	res := c.Probe(context.Background(), certnEndpoints)
	if len(lever.Denied(res)) != 0 || !errors.Is(lever.ProbeError(res), httpx.ErrUnreachable) {
		t.Fatalf("results = %+v", res)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name         string
		fault        standin.Fault
		opts         httpx.Options
		wantErr      error
		wantStatus   int // for UnexpectedError
		wantRequests int64
		wantWaits    []time.Duration // nil: not checked
	}{
		{name: "429 twice with Retry-After, then success",
			fault: standin.Fault{Kind: standin.FaultRateLimit, RetryAfter: "1", Count: 2}, wantRequests: 3,
			wantWaits: []time.Duration{time.Second, time.Second}},
		{name: "429 forever stops after 3 retries",
			fault: standin.Fault{Kind: standin.FaultRateLimit, RetryAfter: "1"}, wantErr: httpx.ErrRateLimited, wantRequests: 4,
			wantWaits: []time.Duration{time.Second, time.Second, time.Second}},
		{name: "Retry-After beyond the budget fails at once",
			fault: standin.Fault{Kind: standin.FaultRateLimit, RetryAfter: "30"}, opts: httpx.Options{Timeout: 2 * time.Second},
			wantErr: httpx.ErrRateLimited, wantRequests: 1, wantWaits: []time.Duration{}},
		{name: "503 forever is unreachable",
			fault: standin.Fault{Kind: standin.FaultUnavailable}, wantErr: httpx.ErrUnreachable, wantRequests: 4},
		{name: "500 is not retried",
			fault: standin.Fault{Kind: standin.FaultServerError}, wantStatus: 500, wantRequests: 1},
		{name: "hang becomes unreachable at the timeout",
			fault: standin.Fault{Kind: standin.FaultTimeout}, opts: httpx.Options{Timeout: 150 * time.Millisecond},
			wantErr: httpx.ErrUnreachable, wantRequests: 1},
		{name: "malformed JSON",
			fault: standin.Fault{Kind: standin.FaultMalformed}, wantErr: httpx.ErrMalformed, wantRequests: 1},
		{name: "oversized body",
			fault: standin.Fault{Kind: standin.FaultOversized}, wantErr: httpx.ErrTooLarge, wantRequests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startStandins(t, standin.Options{})
			waits := &noWait{}
			opts := tt.opts
			opts.Sleep = waits.sleep
			c := newClient(t, s, key, opts)
			s.Lever.SetFault(tt.fault)
			_, err := c.Stages(context.Background())
			switch {
			case tt.wantStatus != 0:
				var ue *httpx.UnexpectedError
				if !errors.As(err, &ue) || ue.Status != tt.wantStatus {
					t.Fatalf("err = %v, want HTTP %d", err, tt.wantStatus)
				}
			case tt.wantErr == nil && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := s.Lever.Requests(); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
			if tt.wantWaits != nil && fmt.Sprint(waits.d) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits = %v, want %v", waits.d, tt.wantWaits)
			}
		})
	}
}

// The limiter holds for real: 15 concurrent calls at 50/s with burst 5
// cannot finish before (15-5)/50 s = 200 ms. A lower bound only, so load
// cannot make it flake.
func TestRateLimitHolds(t *testing.T) {
	s := startStandins(t, standin.Options{})
	c := newClient(t, s, key, httpx.Options{Limiter: rate.NewLimiter(50, 5)})
	start := time.Now()
	var wg sync.WaitGroup
	for range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Verify(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if elapsed := time.Since(start); elapsed < 195*time.Millisecond {
		t.Fatalf("15 calls took %v; the limiter let more than the burst through", elapsed)
	}
	if s.Lever.Requests() != 15 {
		t.Fatalf("requests = %d", s.Lever.Requests())
	}
}

func TestDefaultLimiterIsLevers(t *testing.T) {
	s := startStandins(t, standin.Options{})
	lim := newClient(t, s, key, httpx.Options{}).API().Limiter()
	if lim.Limit() != 10 || lim.Burst() != 20 {
		t.Fatalf("limiter = %v/s burst %d", lim.Limit(), lim.Burst())
	}
	shared := lever.NewLimiter()
	if newClient(t, s, key, httpx.Options{Limiter: shared}).API().Limiter() != shared {
		t.Fatal("Options.Limiter ignored")
	}
}

func TestCallLogNeverHoldsTheKey(t *testing.T) {
	s := startStandins(t, standin.Options{PageSize: 2})
	var mu sync.Mutex
	var calls []httpx.Call
	onCall := func(c httpx.Call) { mu.Lock(); calls = append(calls, c); mu.Unlock() }
	ctx := context.Background()
	for _, k := range []string{key, "forbidden-" + key, "invalid-" + key} {
		c := newClient(t, s, k, httpx.Options{OnCall: onCall, Sleep: (&noWait{}).sleep})
		c.Stages(ctx)
		c.Probe(ctx, append(slices.Clone(certnEndpoints), charthopEndpoints...))
		s.Lever.SetFault(standin.Fault{Kind: standin.FaultRateLimit, RetryAfter: "1", Count: 1})
		c.Tags(ctx)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) < 20 {
		t.Fatalf("only %d calls logged", len(calls))
	}
	seen := map[int]bool{}
	for _, call := range calls {
		dump := fmt.Sprintf("%+v", call)
		if strings.Contains(dump, key) || strings.Contains(dump, "?") {
			t.Fatalf("call log entry leaks: %s", dump)
		}
		if call.Vendor != "lever" || call.Method != "GET" || call.Latency <= 0 {
			t.Fatalf("call = %s", dump)
		}
		seen[call.Status] = true
	}
	for _, st := range []int{200, 401, 403, 429} {
		if !seen[st] {
			t.Errorf("no call with status %d logged", st)
		}
	}
}

// The endpoints the app's live-check table probes for each integration.
var (
	certnEndpoints    = []string{"/stages", "/tags", "/opportunities"}
	charthopEndpoints = []string{"/requisitions", lever.ConfidentialRequisitions, "/requisition_fields", "/postings", "/users"}
)
