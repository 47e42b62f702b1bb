package standin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func start(t *testing.T, opts Options) *Servers {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type authFn func(r *http.Request, cred string)

func basicAuth(r *http.Request, cred string) { r.SetBasicAuth(cred, "") }
func apiKey(r *http.Request, cred string)    { r.Header.Set("Authorization", "Api-Key "+cred) }
func bearerAuth(r *http.Request, cred string) {
	r.Header.Set("Authorization", "Bearer "+cred)
}

func get(t *testing.T, url string, auth authFn, cred string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if auth != nil {
		auth(req, cred)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:80", "example.com:80", "nonsense"} {
		if s, err := Start(Options{Addr: addr}); err == nil {
			s.Close()
			t.Errorf("Start(%q) accepted", addr)
		}
	}
}

func TestEnv(t *testing.T) {
	s := start(t, Options{})
	env := s.Env()
	want := []string{"PATCHBAY_LEVER_URL=" + s.LeverURL, "PATCHBAY_CERTN_URL=" + s.CertnURL,
		"PATCHBAY_VETTY_URL=" + s.VettyURL, "PATCHBAY_CHARTHOP_URL=" + s.ChartHopURL}
	if strings.Join(env, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Env = %q", env)
	}
	if !strings.HasPrefix(s.LeverURL, "http://127.0.0.1:") || !strings.HasSuffix(s.LeverURL, "/lever/v1") {
		t.Fatalf("LeverURL = %q", s.LeverURL)
	}
}

func TestParseLatency(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"", 0, false},
		{"300ms", 300 * time.Millisecond, false},
		{" 2s ", 2 * time.Second, false},
		{"300", 0, true},
		{"-1s", 0, true},
		{"2h", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseLatency(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseLatency(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestCredentialRules(t *testing.T) {
	s := start(t, Options{})
	tests := []struct {
		name   string
		url    string
		auth   authFn
		cred   string
		status int
	}{
		{"lever ok", s.LeverURL + "/stages", basicAuth, "key", 200},
		{"lever missing", s.LeverURL + "/stages", nil, "", 401},
		{"lever wrong scheme", s.LeverURL + "/stages", bearerAuth, "key", 401},
		{"lever invalid", s.LeverURL + "/stages", basicAuth, "an-invalid-key", 401},
		{"lever forbidden on unprobed stages", s.LeverURL + "/stages", basicAuth, "forbidden-key", 200},
		{"lever forbidden on tags", s.LeverURL + "/tags", basicAuth, "forbidden-key", 403},
		{"lever forbidden on requisitions", s.LeverURL + "/requisitions", basicAuth, "forbidden-key", 403},
		{"lever unknown path", s.LeverURL + "/nope", basicAuth, "key", 404},
		{"lever refuses a non-empty basic password", s.LeverURL + "/stages", func(r *http.Request, cred string) { r.SetBasicAuth(cred, "secret") }, "key", 401},
		{"lever us refuses an EU account's key", s.LeverURL + "/stages", basicAuth, EUAccountKey + "-key", 401},
		{"lever eu accepts an EU account's key", s.LeverEUURL + "/stages", basicAuth, EUAccountKey + "-key", 200},
		{"lever eu refuses a US account's key", s.LeverEUURL + "/stages", basicAuth, USAccountKey + "-key", 401},
		{"lever eu accepts other keys", s.LeverEUURL + "/stages", basicAuth, "key", 200},
		{"lever requisitions without confidential access", s.LeverURL + "/requisitions", basicAuth, NoConfidentialKey + "-key", 200},
		{"lever confidential requisitions without confidential access", s.LeverURL + "/requisitions?confidentiality=confidential", basicAuth, NoConfidentialKey + "-key", 403},
		{"lever all requisitions without confidential access", s.LeverURL + "/requisitions?confidentiality=all", basicAuth, NoConfidentialKey + "-key", 403},
		{"lever confidential requisitions", s.LeverURL + "/requisitions?confidentiality=confidential", basicAuth, "key", 200},
		{"lever unknown confidentiality", s.LeverURL + "/requisitions?confidentiality=secret", basicAuth, "key", 400},
		{"certn ok", s.CertnURL + "/api/public/cases/", apiKey, "key", 200},
		{"certn bearer refused", s.CertnURL + "/api/public/cases/", bearerAuth, "key", 401},
		{"certn forbidden", s.CertnURL + "/api/public/cases/", apiKey, "forbidden", 403},
		{"vetty ok", s.VettyURL + "/packages", bearerAuth, "key", 200},
		{"vetty invalid", s.VettyURL + "/packages", bearerAuth, "invalid", 401},
		{"vetty forbidden", s.VettyURL + "/packages", bearerAuth, "forbidden", 403},
		{"charthop ok", s.ChartHopURL + "/v1/org/acme/job/data", bearerAuth, "key", 200},
		{"charthop forbidden", s.ChartHopURL + "/v1/org/acme/job/data", bearerAuth, "forbidden", 403},
		{"charthop unknown org", s.ChartHopURL + "/v1/org/unknown-co/job/data", bearerAuth, "key", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := get(t, tt.url, tt.auth, tt.cred)
			if status != tt.status {
				t.Fatalf("status = %d, want %d (%s)", status, tt.status, body)
			}
			if !json.Valid(body) {
				t.Fatalf("body is not JSON: %s", body)
			}
		})
	}
}

// Lever lists non-confidential requisitions unless asked otherwise.
func TestLeverConfidentialityFilter(t *testing.T) {
	s := start(t, Options{})
	count := func(query string) (conf, other int) {
		_, _, body := get(t, s.LeverURL+"/requisitions"+query, basicAuth, "key")
		var page struct {
			Data []struct{ Confidentiality string } `json:"data"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Data {
			if r.Confidentiality == "confidential" {
				conf++
			} else {
				other++
			}
		}
		return conf, other
	}
	if c, o := count(""); c != 0 || o == 0 {
		t.Errorf("default: %d confidential, %d other", c, o)
	}
	if c, o := count("?confidentiality=confidential"); c == 0 || o != 0 {
		t.Errorf("confidential: %d confidential, %d other", c, o)
	}
	if c, o := count("?confidentiality=all"); c == 0 || o == 0 {
		t.Errorf("all: %d confidential, %d other", c, o)
	}
}

// FaultNoNext: a page that says hasNext without the token to follow.
func TestLeverNoNextFault(t *testing.T) {
	s := start(t, Options{PageSize: 3})
	s.Lever.SetFault(Fault{Kind: FaultNoNext})
	_, _, body := get(t, s.LeverURL+"/stages", basicAuth, "key")
	var page map[string]any
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if _, ok := page["next"]; ok || page["hasNext"] != true || len(page["data"].([]any)) != 3 {
		t.Fatalf("page = %s", body)
	}
}

func TestNotFoundFault(t *testing.T) {
	s := start(t, Options{})
	s.Vetty.SetFault(Fault{Kind: FaultNotFound, Path: "/packages"})
	if status, _, body := get(t, s.VettyURL+"/packages", bearerAuth, "key"); status != 404 || !json.Valid(body) {
		t.Fatalf("status %d, %s", status, body)
	}
}

func TestLeverPagination(t *testing.T) {
	s := start(t, Options{PageSize: 4})
	var texts []string
	next := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		url := s.LeverURL + "/stages?limit=100"
		if next != "" {
			url += "&offset=" + next
		}
		status, _, body := get(t, url, basicAuth, "k")
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		var page struct {
			Data    []LeverStage `json:"data"`
			Next    string       `json:"next"`
			HasNext bool         `json:"hasNext"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Data) > 4 {
			t.Fatalf("page of %d items, cap is 4", len(page.Data))
		}
		for _, st := range page.Data {
			texts = append(texts, st.Text)
		}
		if !page.HasNext {
			break
		}
		next = page.Next
	}
	if strings.Join(texts, ",") != strings.Join(sampleStages, ",") {
		t.Fatalf("stages = %v", texts)
	}
	for _, bad := range []string{"limit=0", "limit=101", "offset=garbage", "offset=" + base64.RawURLEncoding.EncodeToString([]byte("x:1"))} {
		if status, _, _ := get(t, s.LeverURL+"/stages?"+bad, basicAuth, "k"); status != 400 {
			t.Errorf("%s: status %d, want 400", bad, status)
		}
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Options{})
	tests := []struct {
		fault      Fault
		status     int
		retryAfter string
		check      func([]byte) bool
	}{
		{Fault{Kind: FaultRateLimit, RetryAfter: "2"}, 429, "2", json.Valid},
		{Fault{Kind: FaultUnavailable}, 503, "", json.Valid},
		{Fault{Kind: FaultServerError}, 500, "", json.Valid},
		{Fault{Kind: FaultMalformed}, 200, "", func(b []byte) bool { return !json.Valid(b) }},
		{Fault{Kind: FaultOversized}, 200, "", func(b []byte) bool { return len(b) > 1<<20 && json.Valid(b) }},
	}
	for _, tt := range tests {
		t.Run(tt.fault.Kind.String(), func(t *testing.T) {
			s.Vetty.SetFault(tt.fault)
			defer s.Vetty.ClearFault()
			status, h, body := get(t, s.VettyURL+"/packages", bearerAuth, "k")
			if status != tt.status || h.Get("Retry-After") != tt.retryAfter || !tt.check(body) {
				t.Fatalf("status %d, Retry-After %q, %d bytes", status, h.Get("Retry-After"), len(body))
			}
		})
	}
}

func TestFaultCountAndPath(t *testing.T) {
	s := start(t, Options{})
	s.Lever.SetFault(Fault{Kind: FaultServerError, Path: "/tags", Count: 2})
	for i, want := range []int{200, 500, 500, 200} {
		path := "/tags"
		if i == 0 {
			path = "/stages"
		}
		if status, _, _ := get(t, s.LeverURL+path, basicAuth, "k"); status != want {
			t.Fatalf("request %d to %s: status %d, want %d", i, path, status, want)
		}
	}
	if got := s.Requests()["lever"]; got != 4 {
		t.Fatalf("lever requests = %d", got)
	}
	s.Lever.ResetRequests()
	if s.Lever.Requests() != 0 {
		t.Fatal("ResetRequests did not reset")
	}
}

func TestTimeoutFaultHoldsUntilClientGivesUp(t *testing.T) {
	s := start(t, Options{})
	s.Certn.SetFault(Fault{Kind: FaultTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.CertnURL+"/api/public/cases/", nil)
	apiKey(req, "k")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a hanging stand-in answered")
	}
}

func TestCloseReleasesHungRequests(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.ChartHop.SetFault(Fault{Kind: FaultTimeout})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("GET", s.ChartHopURL+"/v1/org/a/job/data", nil)
		bearerAuth(req, "k")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for s.ChartHop.Requests() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	<-done // would hang forever if Close left the handler blocked
}

func TestMutableDataIsRaceFree(t *testing.T) {
	s := start(t, Options{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.Lever.AddStage("Extra")
			s.Lever.RenameStage("Offer", "Offer extended")
			s.Lever.RemoveStage("Extra")
			s.Lever.SetTags([]LeverTag{{Text: "CERTN - Submitted", Count: i}})
			s.SetLatency(0)
			s.SetPageSize(i)
			s.Vetty.RemovePackage("Basic")
		}()
		go func() {
			defer wg.Done()
			get(t, s.LeverURL+"/stages", basicAuth, "k")
			get(t, s.VettyURL+"/packages", bearerAuth, "k")
		}()
	}
	wg.Wait()
	if len(s.Lever.Tags()) != 1 {
		t.Fatalf("tags = %v", s.Lever.Tags())
	}
	if s.Lever.RemoveStage("no such stage") {
		t.Fatal("removed a stage that does not exist")
	}
}

func TestSampleTagCountsMatchOpportunities(t *testing.T) {
	s := start(t, Options{})
	for _, tag := range s.Lever.Tags() {
		status, _, body := get(t, s.LeverURL+"/opportunities?tag="+strings.ReplaceAll(tag.Text, " ", "+"), basicAuth, "k")
		var page struct {
			Data []json.RawMessage `json:"data"`
		}
		if status != 200 || json.Unmarshal(body, &page) != nil || len(page.Data) != tag.Count {
			t.Errorf("tag %q: count %d, opportunities %d (status %d)", tag.Text, tag.Count, len(page.Data), status)
		}
	}
}

func TestParseFaultKind(t *testing.T) {
	for k := FaultNone; k <= FaultOversized; k++ {
		got, err := ParseFaultKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseFaultKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseFaultKind("explode"); err == nil {
		t.Error("accepted an unknown fault")
	}
}
