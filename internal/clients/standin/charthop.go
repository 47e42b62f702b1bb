package standin

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ChartHopJob is one job row. Fields are free-form, as ChartHop returns the
// fields asked for; "id" is always present.
type ChartHopJob map[string]any

// ChartHop serves GET /v1/org/{org}/job/data with fields=, q=key:value,
// limit= and a from= cursor ({data, next}; our inference of the shape).
// Any org slug works except one containing "unknown" (404).
type ChartHop struct {
	vendor
	dataMu sync.RWMutex
	jobs   []ChartHopJob
}

// Compiled on first use: the stand-ins are linked into every binary (demo).
var chartHopJobPath = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/v1/org/[^/]+/job/data$`) })

func newChartHop(sh *shared) *ChartHop {
	c := &ChartHop{}
	c.vendor = vendor{
		name:       "charthop",
		shared:     sh,
		routes:     http.NewServeMux(),
		credential: bearer,
		forbidden:  func(path string) bool { return chartHopJobPath().MatchString(path) },
		errorBody: func(status int, msg string) any {
			return map[string]any{"status": status, "message": msg}
		},
	}
	jobs := []struct{ title, dept, open string }{
		{"Chief People Officer", "People", "filled"},
		{"Senior Backend Engineer", "Engineering", "open"},
		{"Senior Backend Engineer", "Engineering", "filled"},
		{"Frontend Engineer", "Engineering", "open"},
		{"Site Reliability Engineer", "Engineering", "open"},
		{"Account Executive", "Sales", "filled"},
		{"Account Executive", "Sales", "open"},
		{"People Operations Partner", "People", "open"},
		{"Data Analyst", "Finance", "filled"},
	}
	for i, j := range jobs {
		id := strings.ReplaceAll(newID("charthop-job", int64(i)), "-", "")[:24]
		c.jobs = append(c.jobs, ChartHopJob{"id": id, "title": j.title, "department": j.dept, "open": j.open})
	}
	c.routes.HandleFunc("GET /v1/org/{org}/job/data", c.jobData)
	c.routes.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, http.StatusNotFound, "not found")
	})
	return c
}

func (c *ChartHop) jobData(w http.ResponseWriter, r *http.Request) {
	if org := r.PathValue("org"); strings.Contains(org, "unknown") {
		c.fail(w, http.StatusNotFound, fmt.Sprintf("org %s not found", org))
		return
	}
	q := r.URL.Query()
	rows := c.Jobs()
	if filter := q.Get("q"); filter != "" {
		// Only single key:value equality of Carrot's filter language.
		k, v, ok := strings.Cut(filter, ":")
		if !ok || strings.ContainsAny(filter, " ()") {
			c.fail(w, http.StatusBadRequest, "stand-in supports only key:value filters")
			return
		}
		rows = slices.DeleteFunc(rows, func(j ChartHopJob) bool { return fmt.Sprint(j[k]) != v })
	}
	asked := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			c.fail(w, http.StatusBadRequest, "limit must be a positive integer")
			return
		}
		asked = n
	}
	offset := 0
	if s := q.Get("from"); s != "" {
		n, ok := decodeOffset(s)
		if !ok {
			c.fail(w, http.StatusBadRequest, "invalid from cursor")
			return
		}
		offset = n
	}
	var fields []string
	if s := q.Get("fields"); s != "" {
		fields = strings.Split(s, ",")
	}
	lo, hi := window(len(rows), offset, c.pageSize(asked, 200))
	data := make([]ChartHopJob, 0, hi-lo)
	for _, j := range rows[lo:hi] {
		row := ChartHopJob{"id": j["id"]}
		for k, v := range j {
			if len(fields) == 0 || slices.Contains(fields, k) {
				row[k] = v
			}
		}
		data = append(data, row)
	}
	page := map[string]any{"data": data}
	if hi < len(rows) {
		page["next"] = encodeOffset(hi)
	}
	writeJSON(w, http.StatusOK, page)
}

// Jobs is a copy of the current job rows.
func (c *ChartHop) Jobs() []ChartHopJob {
	c.dataMu.RLock()
	defer c.dataMu.RUnlock()
	out := make([]ChartHopJob, len(c.jobs))
	for i, j := range c.jobs {
		row := ChartHopJob{}
		for k, v := range j {
			row[k] = v
		}
		out[i] = row
	}
	return out
}

// SetJobs replaces the job rows; each should carry an "id".
func (c *ChartHop) SetJobs(jobs []ChartHopJob) {
	c.dataMu.Lock()
	c.jobs = slices.Clone(jobs)
	c.dataMu.Unlock()
}
