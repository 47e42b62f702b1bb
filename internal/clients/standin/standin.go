// Package standin runs local stand-ins of the four vendor APIs (Lever,
// CertnCentric, Vetty, ChartHop) on one loopback listener, speaking the
// shapes the clients expect (see docs/vendor-apis.md) with sample data.
// `patchbay demo` and the client tests run against them.
//
// Credential rules, the same for every vendor: any non-empty credential in
// the vendor's scheme is accepted, except one containing "invalid" (401
// everywhere) or "forbidden" (403 on the endpoints whose permission the
// wizard probes: Lever /tags and /requisitions, Certn /api/public/cases/,
// Vetty /packages, ChartHop /v1/org/{org}/job/data). A ChartHop org slug
// containing "unknown" answers 404.
//
// Lever runs two deployments, as Lever does: US (LeverURL) and EU
// (LeverEUURL). A Lever key containing EUAccountKey belongs to the EU
// deployment and is refused (401) by the US one, and one containing
// USAccountKey the other way round; a key containing NoConfidentialKey was
// created without confidential access: 403 on the confidential
// requisitions. UnresolvableLeverEU is an EU address whose name does not
// resolve, for a wrong guess of Lever's EU host.
//
// Behaviour can be changed while serving, from any goroutine: latency,
// faults (404, 429, 500, 503, hang, malformed JSON, oversized body, a
// Lever page with hasNext and no next), page size caps and the sample
// data itself. A hostile mode (hostile.go) answers as a vendor under an
// attacker's control would: redirects to another origin, wrong-shaped
// 200s, endless pages, the key echoed in every encoding, and names
// carrying terminal controls.
package standin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbay/patchbay/internal/clients/certn"
	"github.com/patchbay/patchbay/internal/clients/charthop"
	"github.com/patchbay/patchbay/internal/clients/lever"
	"github.com/patchbay/patchbay/internal/clients/vetty"
)

// EnvLatency names the variable LatencyFromEnv reads.
const EnvLatency = "PATCHBAY_DEMO_LATENCY"

// Mount points of each vendor under the listener; base URLs end with them.
const (
	LeverPrefix    = "/lever/v1"
	LeverEUPrefix  = "/lever-eu/v1"
	CertnPrefix    = "/certn"
	VettyPrefix    = "/vetty/cfapi/v1"
	ChartHopPrefix = "/charthop"
)

// Lever credential markers (see the package comment).
const (
	EUAccountKey      = "eu-account"
	USAccountKey      = "us-account"
	NoConfidentialKey = "no-confidential"
)

// UnresolvableLeverEU stands for a wrong guess of Lever's EU address: the
// .invalid top-level domain never resolves (RFC 2606), so a call fails the
// way a mistaken host name does, with "no such host".
const UnresolvableLeverEU = "https://api.eu.lever.invalid/v1"

// ParseLatency reads the value of PATCHBAY_DEMO_LATENCY (a Go duration
// such as "300ms"); empty means no added latency.
func ParseLatency(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a duration such as 300ms", EnvLatency, v)
	}
	if d < 0 || d > time.Minute {
		return 0, fmt.Errorf("%s=%q: want between 0 and 1m", EnvLatency, v)
	}
	return d, nil
}

// Options configure Start.
type Options struct {
	// Addr is the loopback host:port to listen on; "" picks a free port on
	// 127.0.0.1. Non-loopback addresses are refused: the stand-ins accept
	// any credential and must not be reachable from the network.
	Addr string
	// Latency delays every answer (the request's context still ends it).
	Latency time.Duration
	// PageSize caps every list page (0: each vendor's own maximum), so small
	// sample data still spans several pages.
	PageSize int
}

// Servers is a running set of stand-ins.
type Servers struct {
	Lever    *Lever // the US deployment
	LeverEU  *Lever // the EU deployment
	Certn    *Certn
	Vetty    *Vetty
	ChartHop *ChartHop

	// Base URLs to hand to the clients (and to PATCHBAY_*_URL).
	LeverURL, CertnURL, VettyURL, ChartHopURL string
	// LeverEUURL is the EU deployment's (not in Env: PATCHBAY_LEVER_URL
	// names one address for every region).
	LeverEUURL string

	srv       *http.Server
	ln        net.Listener
	done      chan struct{}
	closeOnce sync.Once
	serveErr  chan error
	shared    *shared
	elsewhere *http.Server
}

// shared is the state every vendor reads on each request.
type shared struct {
	latency   atomic.Int64
	pageSize  atomic.Int64
	done      <-chan struct{}
	elsewhere string // the other origin FaultRedirect points to
}

// Start listens and serves until Close.
func Start(opts Options) (*Servers, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	if opts.Latency < 0 || opts.PageSize < 0 {
		return nil, errors.New("standin: negative latency or page size")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("standin: %w", err)
	}
	s := &Servers{ln: ln, done: make(chan struct{}), serveErr: make(chan error, 1)}
	elsewhere, elsewhereURL, err := startElsewhere()
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.elsewhere = elsewhere
	s.shared = &shared{done: s.done, elsewhere: elsewhereURL}
	s.shared.latency.Store(int64(opts.Latency))
	s.shared.pageSize.Store(int64(opts.PageSize))

	s.Lever = newLever(s.shared, "us")
	s.LeverEU = newLever(s.shared, "eu")
	s.Certn = newCertn(s.shared)
	s.Vetty = newVetty(s.shared)
	s.ChartHop = newChartHop(s.shared)

	root := "http://" + ln.Addr().String()
	s.LeverURL = root + LeverPrefix
	s.LeverEUURL = root + LeverEUPrefix
	s.CertnURL = root + CertnPrefix
	s.VettyURL = root + VettyPrefix
	s.ChartHopURL = root + ChartHopPrefix

	mux := http.NewServeMux()
	mux.Handle(LeverPrefix+"/", http.StripPrefix(LeverPrefix, s.Lever))
	mux.Handle(LeverEUPrefix+"/", http.StripPrefix(LeverEUPrefix, s.LeverEU))
	mux.Handle(CertnPrefix+"/", http.StripPrefix(CertnPrefix, s.Certn))
	mux.Handle(VettyPrefix+"/", http.StripPrefix(VettyPrefix, s.Vetty))
	mux.Handle(ChartHopPrefix+"/", http.StripPrefix(ChartHopPrefix, s.ChartHop))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"message": "patchbay stand-ins: use one of the base URLs",
			"bases":   s.Env(),
		})
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { s.serveErr <- s.srv.Serve(ln) }()
	return s, nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("standin: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("standin: address %q is not loopback; the stand-ins accept any credential and must stay local", addr)
	}
	return nil
}

// Addr is the listening host:port.
func (s *Servers) Addr() string { return s.ln.Addr().String() }

// Env gives the PATCHBAY_<VENDOR>_URL=… lines pointing the clients here.
func (s *Servers) Env() []string {
	return []string{
		lever.EnvURL + "=" + s.LeverURL,
		certn.EnvURL + "=" + s.CertnURL,
		vetty.EnvURL + "=" + s.VettyURL,
		charthop.EnvURL + "=" + s.ChartHopURL,
	}
}

// SetLatency changes the delay added to every answer.
func (s *Servers) SetLatency(d time.Duration) { s.shared.latency.Store(int64(max(d, 0))) }

// SetPageSize changes the page size cap (0: vendor maximum).
func (s *Servers) SetPageSize(n int) { s.shared.pageSize.Store(int64(max(n, 0))) }

// Requests is the number of requests each vendor received, by vendor name.
func (s *Servers) Requests() map[string]int64 {
	out := map[string]int64{}
	for _, v := range s.vendors() {
		out[v.name] = v.Requests()
	}
	return out
}

func (s *Servers) vendors() []*vendor {
	return []*vendor{&s.Lever.vendor, &s.LeverEU.vendor, &s.Certn.vendor, &s.Vetty.vendor, &s.ChartHop.vendor}
}

// Close stops serving; requests hanging on a timeout fault are released.
func (s *Servers) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		s.elsewhere.Close()
		err = s.srv.Close()
		if serr := <-s.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	})
	return err
}

// FaultKind is a failure a stand-in can be told to produce.
type FaultKind int

const (
	FaultNone        FaultKind = iota
	FaultRateLimit             // 429, with Fault.RetryAfter as Retry-After
	FaultServerError           // 500
	FaultUnavailable           // 503, with Fault.RetryAfter as Retry-After
	FaultTimeout               // never answers; holds until the client gives up
	FaultMalformed             // 200 with truncated JSON
	FaultOversized             // 200 with a valid JSON body over 1 MiB
	FaultNotFound              // 404 in the vendor's error shape (a path that is not there)
	FaultNoNext                // Lever lists: hasNext true on a page without a next token
)

var faultNames = map[FaultKind]string{
	FaultNone: "none", FaultRateLimit: "429", FaultServerError: "500", FaultUnavailable: "503",
	FaultTimeout: "timeout", FaultMalformed: "malformed", FaultOversized: "oversized",
	FaultNotFound: "404", FaultNoNext: "no-next",
}

func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// ParseFaultKind reads a name as printed by String ("429", "timeout", …).
func ParseFaultKind(s string) (FaultKind, error) {
	for k, n := range faultNames {
		if strings.EqualFold(s, n) {
			return k, nil
		}
	}
	return FaultNone, fmt.Errorf("unknown fault %q (want none, 404, 429, 500, 503, timeout, malformed, oversized, redirect, wrong-shape, endless-pages, echo-key or no-next)", s)
}

// Fault is what a vendor does instead of answering normally.
type Fault struct {
	Kind FaultKind
	// RetryAfter is sent as the Retry-After header on 429/503 ("" sends none).
	RetryAfter string
	// Path limits the fault to one path relative to the vendor base (e.g.
	// "/tags"); "" means every path.
	Path string
	// Count is how many requests the fault affects before clearing itself;
	// 0 means until changed.
	Count int
}

// vendor is what every stand-in shares: counting, latency, faults, auth.
type vendor struct {
	name   string
	shared *shared
	routes *http.ServeMux

	credential func(r *http.Request) string     // "" when absent or in the wrong scheme
	forbidden  func(path string) bool           // probed endpoints for "forbidden" keys
	errorBody  func(status int, msg string) any // the vendor's error shape
	// refuse, when set, is a vendor's own credential rule: a status (0:
	// none) and message for an accepted-looking credential.
	refuse func(r *http.Request, cred string) (int, string)

	requests atomic.Int64
	endless  atomic.Int64 // numbers FaultEndlessPages pages
	mu       sync.Mutex
	fault    Fault
	perPath  map[string]int64 // requests by URL path, under mu
}

// SetFault makes the vendor fail as f says, until cleared or f.Count runs out.
func (v *vendor) SetFault(f Fault) {
	v.mu.Lock()
	v.fault = f
	v.mu.Unlock()
}

// ClearFault restores normal answers.
func (v *vendor) ClearFault() { v.SetFault(Fault{}) }

// Requests counts every request the vendor received, failed ones included.
func (v *vendor) Requests() int64 { return v.requests.Load() }

// RequestsTo counts the requests the vendor received for one path
// (relative to its base, e.g. "/stages"), failed ones included.
func (v *vendor) RequestsTo(path string) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.perPath[path]
}

// ResetRequests sets the counters back to zero.
func (v *vendor) ResetRequests() {
	v.mu.Lock()
	v.requests.Store(0)
	v.perPath = nil
	v.mu.Unlock()
}

func (v *vendor) takeFault(path string) (Fault, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f := v.fault
	if f.Kind == FaultNone || (f.Path != "" && f.Path != path) {
		return Fault{}, false
	}
	if f.Count > 0 {
		v.fault.Count--
		if v.fault.Count == 0 {
			v.fault = Fault{}
		}
	}
	return f, true
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.requests.Add(1)
	v.mu.Lock()
	if v.perPath == nil {
		v.perPath = map[string]int64{}
	}
	v.perPath[r.URL.Path]++
	v.mu.Unlock()
	if d := time.Duration(v.shared.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-v.shared.done:
			t.Stop()
			return
		}
	}
	if f, ok := v.takeFault(r.URL.Path); ok {
		if f.Kind != FaultNoNext {
			v.serveFault(w, r, f)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), noNextKey{}, true))
	}
	cred := v.credential(r)
	switch {
	case cred == "" || strings.Contains(cred, "invalid"):
		v.fail(w, http.StatusUnauthorized, "invalid or missing credential")
		return
	case strings.Contains(cred, "forbidden") && v.forbidden(r.URL.Path):
		v.fail(w, http.StatusForbidden, "this credential is not allowed to access "+r.URL.Path)
		return
	}
	if v.refuse != nil {
		if status, msg := v.refuse(r, cred); status != 0 {
			v.fail(w, status, msg)
			return
		}
	}
	v.routes.ServeHTTP(w, r)
}

func (v *vendor) fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, v.errorBody(status, msg))
}

func (v *vendor) serveFault(w http.ResponseWriter, r *http.Request, f Fault) {
	if v.serveHostile(w, r, f) {
		return
	}
	switch f.Kind {
	case FaultRateLimit, FaultUnavailable:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		status := http.StatusTooManyRequests
		if f.Kind == FaultUnavailable {
			status = http.StatusServiceUnavailable
		}
		v.fail(w, status, http.StatusText(status))
	case FaultServerError:
		v.fail(w, http.StatusInternalServerError, "stand-in internal error")
	case FaultNotFound:
		v.fail(w, http.StatusNotFound, "No handler found for "+r.Method+" "+r.URL.Path)
	case FaultTimeout:
		select {
		case <-r.Context().Done():
		case <-v.shared.done:
		}
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"data": [{"id": "truncated`))
	case FaultOversized:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(oversized())
	}
}

// noNextKey marks a request under FaultNoNext.
type noNextKey struct{}

// oversized is a well-formed envelope just over 1.5 MiB, so only the size
// limit (not a parse error) can reject it.
var oversized = sync.OnceValue(func() []byte {
	var b strings.Builder
	b.WriteString(`{"data":[`)
	item := `{"id":"` + strings.Repeat("0", 32) + `","text":"` + strings.Repeat("x", 200) + `"}`
	for i := 0; b.Len() < 3<<19; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item)
	}
	b.WriteString(`],"hasNext":false}`)
	return []byte(b.String())
})

// pageSize is the size a list request gets: the asked size within
// [1, vendorMax], then the Options.PageSize cap.
func (v *vendor) pageSize(asked, vendorMax int) int {
	n := asked
	if n <= 0 || n > vendorMax {
		n = vendorMax
	}
	if c := int(v.shared.pageSize.Load()); c > 0 && n > c {
		n = c
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func bearer(r *http.Request) string {
	return schemeValue(r, "Bearer")
}

func schemeValue(r *http.Request, scheme string) string {
	h := r.Header.Get("Authorization")
	if len(h) <= len(scheme)+1 || !strings.EqualFold(h[:len(scheme)], scheme) || h[len(scheme)] != ' ' {
		return ""
	}
	return strings.TrimSpace(h[len(scheme)+1:])
}

// window is the slice [lo, hi) of a list of n items for a page.
func window(n, offset, size int) (int, int) {
	lo := min(max(offset, 0), n)
	return lo, min(lo+size, n)
}
