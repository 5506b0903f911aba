package transport_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

// newEngine returns an engine for srv with fast backoff; opts mutate the defaults.
func newEngine(t *testing.T, baseURL string, authz transport.Authorizer, opts ...func(*transport.Options)) *transport.Engine {
	t.Helper()
	o := transport.Options{
		BaseURL: baseURL, HTTPClient: &http.Client{}, Authorizer: authz,
		MaxRetries: 3, MaxRetryWait: 5 * time.Second, MinRetryWait: time.Millisecond, UserAgent: "test-agent",
	}
	for _, f := range opts {
		f(&o)
	}
	e, err := transport.New(o)
	require.NoError(t, err)
	return e
}

// tokenGrant hands out tokens "t1", "t2", ... and counts calls.
type tokenGrant struct {
	calls atomic.Int32
	delay time.Duration
}

func (g *tokenGrant) Token(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
	n := g.calls.Add(1)
	time.Sleep(g.delay)
	return &oauth2.Token{AccessToken: "t" + string(rune('0'+n)), ExpiresIn: 3600}, nil
}

func bearerSource(g auth.Grant) transport.Authorizer {
	return transport.Bearer(auth.NewSource(g))
}

// recorder is an httptest server that answers with a scripted handler and
// records what it received.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	hits atomic.Int32
}

func newRecorder(t *testing.T, h func(n int, w http.ResponseWriter, r *http.Request)) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rec.hits.Add(1))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Clone(context.Background()))
		rec.mu.Unlock()
		h(n, w, r)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// debugLogger returns a logger writing JSON lines at debug level into buf.
func debugLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
