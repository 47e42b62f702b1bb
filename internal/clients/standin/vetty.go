package standin

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// VettyPackage is a screening package. The id is numeric, as a Spring/JPA
// backend would likely send it.
type VettyPackage struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Vetty serves GET /packages as a Spring Data page ({content, last, …},
// page 0-based, size ≤ 100). The shape is our inference (see the client).
type Vetty struct {
	vendor
	dataMu   sync.RWMutex
	packages []VettyPackage
}

func newVetty(sh *shared) *Vetty {
	v := &Vetty{}
	v.vendor = vendor{
		name:       "vetty",
		shared:     sh,
		routes:     http.NewServeMux(),
		credential: bearer,
		forbidden:  func(p string) bool { return p == "/packages" },
		errorBody: func(status int, msg string) any {
			return map[string]any{
				"timestamp": time.Now().UTC().Format(time.RFC3339), "status": status,
				"error": http.StatusText(status), "message": msg,
			}
		},
	}
	pk := []struct{ name, desc string }{
		{"Basic", "SSN trace, national criminal database"},
		{"Standard", "Basic plus county criminal, 7 years"},
		{"Professional", "Standard plus employment and education verification"},
		{"Premium", "Professional plus federal criminal and civil"},
		{"Executive", "Premium plus credit and media search"},
		{"Driver (MVR)", "Motor vehicle record with Basic"},
		{"Healthcare", "Standard plus OIG/SAM exclusions and license check"},
		{"International", "Criminal and identity checks outside the US"},
	}
	for i, p := range pk {
		v.packages = append(v.packages, VettyPackage{ID: 1001 + int64(i), Name: p.name, Description: p.desc})
	}
	v.routes.HandleFunc("GET /packages", v.listPackages)
	v.routes.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		v.fail(w, http.StatusNotFound, "No handler found for "+r.Method+" "+r.URL.Path)
	})
	return v
}

func (v *Vetty) listPackages(w http.ResponseWriter, r *http.Request) {
	pk := snapshot(&v.dataMu, &v.packages)
	q := r.URL.Query()
	page, asked := 0, 20 // Spring's default page size
	var err error
	if s := q.Get("page"); s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 0 {
			v.fail(w, http.StatusBadRequest, "page must be a non-negative integer")
			return
		}
	}
	if s := q.Get("size"); s != "" {
		if asked, err = strconv.Atoi(s); err != nil || asked < 1 {
			v.fail(w, http.StatusBadRequest, "size must be a positive integer")
			return
		}
	}
	size := v.pageSize(asked, 100)
	lo, hi := window(len(pk), page*size, size)
	totalPages := (len(pk) + size - 1) / size
	writeJSON(w, http.StatusOK, map[string]any{
		"content": nonNil(pk[lo:hi]), "number": page, "size": size,
		"totalElements": len(pk), "totalPages": totalPages,
		"first": page == 0, "last": page >= totalPages-1, "empty": hi == lo,
	})
}

// Packages is a copy of the current packages.
func (v *Vetty) Packages() []VettyPackage { return snapshot(&v.dataMu, &v.packages) }

// SetPackages replaces the packages.
func (v *Vetty) SetPackages(p []VettyPackage) {
	v.dataMu.Lock()
	v.packages = slices.Clone(p)
	v.dataMu.Unlock()
}

// RemovePackage deletes the package named name; false if there was none.
func (v *Vetty) RemovePackage(name string) bool {
	v.dataMu.Lock()
	defer v.dataMu.Unlock()
	n := len(v.packages)
	v.packages = slices.DeleteFunc(v.packages, func(p VettyPackage) bool { return p.Name == name })
	return len(v.packages) < n
}
