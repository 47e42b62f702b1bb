package standin

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Lever stand-in JSON shapes, written independently of the client's types so
// a drift between client and documented shape shows up in tests.

// LeverStage is a pipeline stage.
type LeverStage struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// LeverTag is a tag and its candidate count.
type LeverTag struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

type leverUser struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Username      string `json:"username"`
	Email         string `json:"email"`
	CreatedAt     int64  `json:"createdAt"`
	DeactivatedAt *int64 `json:"deactivatedAt"`
	AccessRole    string `json:"accessRole"`
}

type leverPosting struct {
	ID              string            `json:"id"`
	Text            string            `json:"text"`
	State           string            `json:"state"`
	Confidentiality string            `json:"confidentiality"`
	Categories      map[string]string `json:"categories"`
	CreatedAt       int64             `json:"createdAt"`
	UpdatedAt       int64             `json:"updatedAt"`
}

type leverRequisition struct {
	ID              string         `json:"id"`
	RequisitionCode string         `json:"requisitionCode"`
	Name            string         `json:"name"`
	Status          string         `json:"status"`
	HeadcountTotal  int            `json:"headcountTotal"`
	HeadcountHired  int            `json:"headcountHired"`
	Confidentiality string         `json:"confidentiality"`
	CustomFields    map[string]any `json:"customFields"`
	CreatedAt       int64          `json:"createdAt"`
}

type leverField struct {
	ID         string              `json:"id"`
	Text       string              `json:"text"`
	Type       string              `json:"type"`
	IsRequired bool                `json:"isRequired"`
	Options    []map[string]string `json:"options,omitempty"`
	Subfields  []map[string]string `json:"subfields,omitempty"`
}

type leverWebhook struct {
	ID            string         `json:"id"`
	Event         string         `json:"event"`
	URL           string         `json:"url"`
	Configuration map[string]any `json:"configuration"`
	CreatedAt     int64          `json:"createdAt"`
}

type leverOpportunity struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Stage     string   `json:"stage"`
	Tags      []string `json:"tags"`
	CreatedAt int64    `json:"createdAt"`
	Archived  any      `json:"archived"`
}

// Lever serves /v1 of Lever's Data API. Sample data can be changed while
// serving to simulate drift (a stage renamed, tags moving).
type Lever struct {
	vendor
	region string // "us" or "eu": the deployment

	dataMu        sync.RWMutex
	stages        []LeverStage
	tags          []LeverTag
	users         []leverUser
	postings      []leverPosting
	requisitions  []leverRequisition
	fields        []leverField
	webhooks      []leverWebhook
	opportunities []leverOpportunity
}

// leverForbidden are the endpoints a "forbidden" key may not read: one from
// Certn's probe set and one from ChartHop's, so both show a named 403.
var leverForbidden = []string{"/tags", "/requisitions"}

func newLever(sh *shared, region string) *Lever {
	l := &Lever{region: region}
	name := "lever"
	if region != "us" {
		name += "-" + region
	}
	l.vendor = vendor{
		name:   name,
		shared: sh,
		routes: http.NewServeMux(),
		credential: func(r *http.Request) string {
			user, pass, ok := r.BasicAuth()
			if !ok || pass != "" {
				return ""
			}
			return user
		},
		forbidden: func(p string) bool { return slices.Contains(leverForbidden, p) },
		errorBody: func(status int, msg string) any {
			return map[string]string{"code": leverCode(status), "message": msg}
		},
		refuse: l.refuse,
	}
	l.seed()
	m := l.routes
	m.HandleFunc("GET /stages", func(w http.ResponseWriter, r *http.Request) { leverList(l, w, r, l.Stages()) })
	m.HandleFunc("GET /stages/{id}", l.getStage)
	m.HandleFunc("GET /tags", func(w http.ResponseWriter, r *http.Request) { leverList(l, w, r, l.Tags()) })
	m.HandleFunc("GET /users", l.listUsers)
	m.HandleFunc("GET /postings", func(w http.ResponseWriter, r *http.Request) { leverList(l, w, r, snapshot(&l.dataMu, &l.postings)) })
	m.HandleFunc("GET /requisitions", l.listRequisitions)
	m.HandleFunc("GET /requisition_fields", func(w http.ResponseWriter, r *http.Request) { leverList(l, w, r, snapshot(&l.dataMu, &l.fields)) })
	m.HandleFunc("GET /webhooks", func(w http.ResponseWriter, r *http.Request) { leverList(l, w, r, snapshot(&l.dataMu, &l.webhooks)) })
	m.HandleFunc("POST /webhooks", l.createWebhook)
	m.HandleFunc("GET /opportunities", l.listOpportunities)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		l.fail(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return l
}

// refuse applies the region and confidential-access key rules.
func (l *Lever) refuse(r *http.Request, key string) (int, string) {
	other := map[string]string{"us": EUAccountKey, "eu": USAccountKey}[l.region]
	if strings.Contains(key, other) {
		return http.StatusUnauthorized, "invalid API key"
	}
	c := r.URL.Query().Get("confidentiality")
	if strings.Contains(key, NoConfidentialKey) && r.URL.Path == "/requisitions" && (c == "confidential" || c == "all") {
		return http.StatusForbidden, "this API key does not have access to confidential data"
	}
	return 0, ""
}

func leverCode(status int) string {
	switch status {
	case 400:
		return "BadRequestError"
	case 401:
		return "UnauthorizedError"
	case 403:
		return "ForbiddenError"
	case 404:
		return "ResourceNotFound"
	case 429:
		return "TooManyRequests"
	case 503:
		return "ServiceUnavailable"
	}
	return "InternalServerError"
}

// snapshot copies *s under the read lock (the pointer matters: reading the
// slice header before locking would race with writers).
func snapshot[T any](mu *sync.RWMutex, s *[]T) []T {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Clone(*s)
}

// leverList answers with one page: limit 1–100 (Lever's range), offset only
// a token this stand-in handed out.
func leverList[T any](l *Lever, w http.ResponseWriter, r *http.Request, items []T) {
	q := r.URL.Query()
	asked := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			l.fail(w, http.StatusBadRequest, "limit must be an integer between 1 and 100")
			return
		}
		asked = n
	}
	offset := 0
	if s := q.Get("offset"); s != "" {
		n, ok := decodeOffset(s)
		if !ok {
			l.fail(w, http.StatusBadRequest, "invalid offset token")
			return
		}
		offset = n
	}
	lo, hi := window(len(items), offset, l.pageSize(asked, 100))
	page := map[string]any{"data": nonNil(items[lo:hi]), "hasNext": hi < len(items)}
	if hi < len(items) && r.Context().Value(noNextKey{}) == nil {
		page["next"] = encodeOffset(hi)
	}
	writeJSON(w, http.StatusOK, page)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Offset tokens are opaque to clients, as Lever's are.
func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("standin:" + strconv.Itoa(n)))
}

func decodeOffset(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), "standin:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

func (l *Lever) getStage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, s := range l.Stages() {
		if s.ID == id {
			writeJSON(w, http.StatusOK, map[string]any{"data": s})
			return
		}
	}
	l.fail(w, http.StatusNotFound, "stages "+id+" was not found")
}

func (l *Lever) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out []leverUser
	for _, u := range snapshot(&l.dataMu, &l.users) {
		if u.DeactivatedAt != nil && q.Get("includeDeactivated") != "true" {
			continue
		}
		if e := q.Get("email"); e != "" && !strings.EqualFold(e, u.Email) {
			continue
		}
		if a := q.Get("accessRole"); a != "" && a != u.AccessRole {
			continue
		}
		out = append(out, u)
	}
	leverList(l, w, r, out)
}

// listRequisitions applies the status filter and Lever's confidentiality
// filter: non-confidential by default, "confidential", or "all".
func (l *Lever) listRequisitions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status, conf := q.Get("status"), q.Get("confidentiality")
	if conf == "" {
		conf = "non-confidential"
	}
	if !slices.Contains([]string{"non-confidential", "confidential", "all"}, conf) {
		l.fail(w, http.StatusBadRequest, "confidentiality must be one of non-confidential, confidential, all")
		return
	}
	var out []leverRequisition
	for _, rq := range snapshot(&l.dataMu, &l.requisitions) {
		if (status == "" || rq.Status == status) && (conf == "all" || rq.Confidentiality == conf) {
			out = append(out, rq)
		}
	}
	leverList(l, w, r, out)
}

// listOpportunities applies tag (case-sensitive) and stage_id filters, each
// repeatable and ORed, as Lever does.
func (l *Lever) listOpportunities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tags, stages := q["tag"], q["stage_id"]
	var out []leverOpportunity
	for _, o := range snapshot(&l.dataMu, &l.opportunities) {
		if len(tags) > 0 && !slices.ContainsFunc(o.Tags, func(t string) bool { return slices.Contains(tags, t) }) {
			continue
		}
		if len(stages) > 0 && !slices.Contains(stages, o.Stage) {
			continue
		}
		if a := q.Get("archived"); a != "" && (a == "true") != (o.Archived != nil) {
			continue
		}
		out = append(out, o)
	}
	leverList(l, w, r, out)
}

var leverEvents = []string{
	"applicationCreated", "candidateHired", "candidateStageChange", "candidateArchiveChange",
	"candidateDeleted", "interviewCreated", "interviewUpdated", "interviewDeleted",
	"contactCreated", "contactUpdated",
}

func (l *Lever) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		URL           string         `json:"url"`
		Event         string         `json:"event"`
		Configuration map[string]any `json:"configuration"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		l.fail(w, http.StatusBadRequest, "body must be JSON")
		return
	}
	if u, err := url.Parse(in.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		l.fail(w, http.StatusBadRequest, "url must be an https URL")
		return
	}
	if !slices.Contains(leverEvents, in.Event) {
		l.fail(w, http.StatusBadRequest, "unknown event")
		return
	}
	cfg := map[string]any{}
	for k, v := range in.Configuration {
		cfg[k] = v
	}
	cfg["signatureToken"] = randomHex(24)
	hook := leverWebhook{
		ID: newID("webhook", time.Now().UnixNano()), Event: in.Event, URL: in.URL,
		Configuration: cfg, CreatedAt: time.Now().UnixMilli(),
	}
	l.dataMu.Lock()
	l.webhooks = append(l.webhooks, hook)
	l.dataMu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"data": hook})
}

// Stages is a copy of the current stages.
func (l *Lever) Stages() []LeverStage { return snapshot(&l.dataMu, &l.stages) }

// SetStages replaces the stages.
func (l *Lever) SetStages(s []LeverStage) {
	l.dataMu.Lock()
	l.stages = slices.Clone(s)
	l.dataMu.Unlock()
}

// AddStage appends a stage and returns its id.
func (l *Lever) AddStage(text string) string {
	l.dataMu.Lock()
	defer l.dataMu.Unlock()
	id := newID("stage:"+text, int64(len(l.stages)))
	l.stages = append(l.stages, LeverStage{ID: id, Text: text})
	return id
}

// RemoveStage deletes the stage named text; false if there was none.
func (l *Lever) RemoveStage(text string) bool {
	l.dataMu.Lock()
	defer l.dataMu.Unlock()
	n := len(l.stages)
	l.stages = slices.DeleteFunc(l.stages, func(s LeverStage) bool { return s.Text == text })
	return len(l.stages) < n
}

// RenameStage renames a stage, keeping its id; false if there was none.
func (l *Lever) RenameStage(from, to string) bool {
	l.dataMu.Lock()
	defer l.dataMu.Unlock()
	for i := range l.stages {
		if l.stages[i].Text == from {
			l.stages[i].Text = to
			return true
		}
	}
	return false
}

// Tags is a copy of the current tags.
func (l *Lever) Tags() []LeverTag { return snapshot(&l.dataMu, &l.tags) }

// SetTags replaces the tag list and counts (opportunities are left alone).
func (l *Lever) SetTags(t []LeverTag) {
	l.dataMu.Lock()
	l.tags = slices.Clone(t)
	l.dataMu.Unlock()
}

// WebhookCount is the number of webhooks (sample plus created).
func (l *Lever) WebhookCount() int {
	l.dataMu.RLock()
	defer l.dataMu.RUnlock()
	return len(l.webhooks)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
