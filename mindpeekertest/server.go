package mindpeekertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Paths the server answers.
const (
	apiPrefix     = "/v1"
	tokenPath     = "/oauth2/token"
	authorizePath = "/oauth2/authorize"
	maxBodyBytes  = 1 << 20
)

// Server is a running fake MindPeeker API (token endpoint, authorize
// endpoint and the /v1 resources). Create it with NewServer (or
// NewServerListener), point clients at URL / APIURL / TokenURL, and Close it
// when done. All methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL, such as "http://127.0.0.1:41234",
	// with no trailing slash.
	URL string

	now     func() time.Time
	handler http.Handler

	hs        *httptest.Server // NewServer
	hsrv      *http.Server     // NewServerListener
	serveDone chan struct{}    // closed when hsrv.Serve returns
	done      chan struct{}    // closed by Close: ends hangs, waits and sleeps
	closeOnce sync.Once

	reqSeq atomic.Uint64 // X-Request-Id counter

	mu sync.Mutex // guards everything below
	st state
}

// state is the mutable state of a Server, guarded by Server.mu.
type state struct {
	seq uint64 // id sequence, see newIDLocked

	tokenLifetime time.Duration
	tokenLatency  time.Duration
	lenient       bool
	style         TokenResponseStyle
	denyAuthz     bool

	clients  map[string]*client
	users    map[string]string
	access   map[string]*accessToken
	refresh  map[string]*refreshToken
	families map[string]*family
	codes    map[string]*authCode

	sessions   map[string]*session
	keys       map[string]*apiKey // by id
	keysByHash map[string]*apiKey // by hashKey(full key)

	idem          map[idemKey]*idemRecord
	idemNextSweep time.Time // see sweepIdemLocked
	faults        []*queuedFault

	stats    Stats
	requests requestLog
}

// NewServer starts a fake MindPeeker API on a loopback port and returns it
// ready to use. Close it when done (typically with defer or t.Cleanup).
func NewServer(opts ...Option) *Server {
	s := newServer(opts)
	s.hs = httptest.NewUnstartedServer(s.handler)
	// Set URL before serving: handlers read it (JWT issuer).
	s.URL = "http://" + s.hs.Listener.Addr().String()
	s.hs.Start()
	return s
}

// NewServerListener serves the fake on l, which it takes ownership of (Close
// closes it). Use it to run the fake as a standalone process on a fixed
// address, e.g. a "fake-server --addr" command. URL is derived from l's
// address; an unspecified host (0.0.0.0 or ::) is spelled 127.0.0.1.
func NewServerListener(l net.Listener, opts ...Option) *Server {
	s := newServer(opts)
	s.hsrv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.serveDone = make(chan struct{})
	s.URL = "http://" + listenerHost(l.Addr())
	go func() {
		defer close(s.serveDone)
		_ = s.hsrv.Serve(l)
	}()
	return s
}

func listenerHost(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func newServer(opts []Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{now: cfg.now, done: make(chan struct{})}
	s.st = state{
		tokenLifetime: cfg.tokenLifetime,
		tokenLatency:  cfg.tokenLatency,
		lenient:       cfg.lenientRefresh,
		clients:       map[string]*client{},
		users:         map[string]string{},
		access:        map[string]*accessToken{},
		refresh:       map[string]*refreshToken{},
		families:      map[string]*family{},
		codes:         map[string]*authCode{},
		sessions:      map[string]*session{},
		keys:          map[string]*apiKey{},
		keysByHash:    map[string]*apiKey{},
		idem:          map[idemKey]*idemRecord{},
		stats:         Stats{TokenRequestsByGrant: map[string]int{}},
		requests:      requestLog{max: cfg.requestLog},
	}
	s.handler = http.HandlerFunc(s.serveHTTP)
	s.AddClient(DefaultClientID, DefaultClientSecret)
	s.AddClient(PublicClientID, "")
	s.AddUser(DefaultUsername, DefaultPassword)
	if cfg.seedData {
		s.seed()
	}
	return s
}

// Close stops the server. Requests held by FaultHang, token latency or an
// idempotency wait are released first, so Close does not hang; it returns
// once every handler has returned. Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.hs != nil {
			s.hs.Close()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.hsrv.Shutdown(ctx); err != nil {
			_ = s.hsrv.Close()
		}
		<-s.serveDone
	})
}

// Handler returns the server's HTTP handler, to mount the fake in another
// server or call it directly (e.g. with httptest.NewRecorder). Faults that
// drop connections need a real connection to hijack; on a recorder they
// abort the handler with http.ErrAbortHandler instead.
func (s *Server) Handler() http.Handler { return s.handler }

// APIURL returns the base URL of the REST API: URL + "/v1".
func (s *Server) APIURL() string { return s.URL + apiPrefix }

// TokenURL returns the URL of the OAuth 2.0 token endpoint.
func (s *Server) TokenURL() string { return s.URL + tokenPath }

// AuthorizeURL returns the URL of the OAuth 2.0 authorization endpoint.
func (s *Server) AuthorizeURL() string { return s.URL + authorizePath }

// endpoint classifies a request path.
type endpoint int

const (
	epOther endpoint = iota
	epAPI
	epToken
	epAuthorize
)

func classify(path string) endpoint {
	switch {
	case path == tokenPath:
		return epToken
	case path == authorizePath:
		return epAuthorize
	case path == apiPrefix || strings.HasPrefix(path, apiPrefix+"/"):
		return epAPI
	}
	return epOther
}

// innerHandler serves a request whose body was already read.
type innerHandler func(w http.ResponseWriter, r *http.Request, body []byte)

// serveHTTP is the entry of every request: it assigns the request id,
// records the request, applies a queued fault, then routes.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_%08d", s.reqSeq.Add(1)))
	ep := classify(r.URL.Path)
	body, bodyErr := readBody(r)
	s.record(r, ep, body)

	var inner innerHandler
	switch ep {
	case epAPI:
		inner = s.serveAPI
	case epToken:
		inner = s.serveToken
	case epAuthorize:
		inner = s.serveAuthorize
	default:
		inner = func(w http.ResponseWriter, r *http.Request, _ []byte) {
			writeAPIError(w, errNotFound("no such route: "+r.Method+" "+r.URL.Path))
		}
	}
	if bodyErr != nil {
		inner = func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			writeAPIError(w, errInvalidRequest(bodyErr.Error()))
		}
	}
	if f := s.takeFault(r.Method, r.URL.Path, ep); f != nil {
		s.applyFault(f, ep, w, r, body, inner)
		return
	}
	inner(w, r, body)
}

var errBodyTooLarge = errors.New("request body too large")

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, errors.New("cannot read request body")
	}
	if len(b) > maxBodyBytes {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// sleep waits d, or until ctx is done or the server closes. It reports
// whether the full duration elapsed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}
