package standin

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// CertnCase is a case as the Certn stand-in lists it (id, status, created:
// the fields the client reads; Centric's real case carries more).
type CertnCase struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Created string `json:"created"`
}

// Certn serves CertnCentric's /api/public/cases/ with Django REST
// Framework limit/offset pages ({count, next, previous, results}, next an
// absolute URL).
type Certn struct {
	vendor
	dataMu sync.RWMutex
	cases  []CertnCase
}

const certnCasesPath = "/api/public/cases/"

func newCertn(sh *shared) *Certn {
	c := &Certn{}
	c.vendor = vendor{
		name:       "certn",
		shared:     sh,
		routes:     http.NewServeMux(),
		credential: func(r *http.Request) string { return schemeValue(r, "Api-Key") },
		forbidden:  func(p string) bool { return p == certnCasesPath },
		errorBody:  func(_ int, msg string) any { return map[string]string{"detail": msg} },
	}
	statuses := []string{"COMPLETE", "COMPLETE", "IN_PROGRESS", "APPLICANT_STARTED", "SUBMITTED", "COMPLETE", "IN_PROGRESS"}
	for i, s := range statuses {
		c.cases = append(c.cases, CertnCase{
			ID:      newID("certn-case", int64(i)),
			Status:  s,
			Created: time.UnixMilli(sampleEpoch + int64(i)*day).UTC().Format(time.RFC3339),
		})
	}
	c.routes.HandleFunc("GET "+certnCasesPath, c.listCases)
	c.routes.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, http.StatusNotFound, "Not found.")
	})
	return c
}

func (c *Certn) listCases(w http.ResponseWriter, r *http.Request) {
	cases := snapshot(&c.dataMu, &c.cases)
	q := r.URL.Query()
	limit, offset := 0, 0
	var err error
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 {
			c.fail(w, http.StatusBadRequest, "limit must be a positive integer")
			return
		}
	}
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			c.fail(w, http.StatusBadRequest, "offset must be a non-negative integer")
			return
		}
	}
	size := c.pageSize(limit, 100)
	lo, hi := window(len(cases), offset, size)
	link := func(off int) any {
		u := url.URL{Scheme: "http", Host: r.Host, Path: CertnPrefix + certnCasesPath,
			RawQuery: url.Values{"limit": {strconv.Itoa(size)}, "offset": {strconv.Itoa(off)}}.Encode()}
		return u.String()
	}
	var next, prev any
	if hi < len(cases) {
		next = link(hi)
	}
	if lo > 0 {
		prev = link(max(lo-size, 0))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"count": len(cases), "next": next, "previous": prev, "results": nonNil(cases[lo:hi]),
	})
}

// Cases is a copy of the current cases.
func (c *Certn) Cases() []CertnCase { return snapshot(&c.dataMu, &c.cases) }

// SetCases replaces the cases.
func (c *Certn) SetCases(cs []CertnCase) {
	c.dataMu.Lock()
	c.cases = slices.Clone(cs)
	c.dataMu.Unlock()
}
