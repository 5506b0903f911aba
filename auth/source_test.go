package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// clockStart is the fake clocks' starting time.
var clockStart = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: clockStart} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeGrant counts its calls and issues access-N / refresh-N tokens living
// life. hook, when set, runs first in call N and may block or fail it.
type fakeGrant struct {
	life  time.Duration
	hook  func(ctx context.Context, n int) error
	calls atomic.Int32

	mu    sync.Mutex
	prevs []*oauth2.Token
}

func (g *fakeGrant) Token(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	n := int(g.calls.Add(1))
	g.mu.Lock()
	if prev != nil {
		c := *prev
		prev = &c
	}
	g.prevs = append(g.prevs, prev)
	g.mu.Unlock()
	if g.hook != nil {
		if err := g.hook(ctx, n); err != nil {
			return nil, err
		}
	}
	return &oauth2.Token{
		AccessToken:  fmt.Sprintf("access-%d", n),
		RefreshToken: fmt.Sprintf("refresh-%d", n),
		ExpiresIn:    int64(g.life / time.Second),
	}, nil
}

// prev returns the prev argument of the i-th call (0-based).
func (g *fakeGrant) prev(i int) *oauth2.Token {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.prevs[i]
}

func (g *fakeGrant) count() int { return int(g.calls.Load()) }

// gate blocks call number n of a fakeGrant until released.
type gate struct {
	n       int
	entered chan context.Context // receives the grant's ctx when call n starts
	release chan struct{}
	once    sync.Once
}

func newGate(t *testing.T, n int) *gate {
	g := &gate{n: n, entered: make(chan context.Context, 1), release: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

func (g *gate) hook(ctx context.Context, n int) error {
	if n == g.n {
		g.entered <- ctx
		<-g.release
	}
	return nil
}

// open releases the blocked call; it may be called more than once.
func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// wait returns the ctx of the blocked call once it has started.
func (g *gate) wait(t *testing.T) context.Context {
	t.Helper()
	select {
	case ctx := <-g.entered:
		return ctx
	case <-time.After(5 * time.Second):
		t.Fatalf("grant call %d never started", g.n)
		return nil
	}
}

// logRecorder is a slog.Handler that keeps every record, formatted, and
// signals each one on C.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
	C     chan string
}

func newLogRecorder() *logRecorder { return &logRecorder{C: make(chan string, 100)} }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Resolve())
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	select {
	case r.C <- rec.Message:
	default:
	}
	return nil
}

func (r *logRecorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// waitFor waits until a record with message msg is logged.
func (r *logRecorder) waitFor(t *testing.T, msg string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got := <-r.C:
			if got == msg {
				return
			}
		case <-timeout:
			t.Fatalf("no log record %q; have:\n%s", msg, r.text())
		}
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestSourceFetchesOnceThenServesFromCache(t *testing.T) {
	clk := newClock()
	g := &fakeGrant{life: time.Hour}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))

	first, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "access-1", first.AccessToken)
	assert.Equal(t, "Bearer", first.TokenType)
	assert.True(t, first.Expiry.Equal(clockStart.Add(time.Hour)), "expiry %v", first.Expiry)
	assert.Nil(t, g.prev(0), "the first call has no previous token")

	for range 100 {
		clk.Advance(30 * time.Second) // 50 minutes in all: still before the renewal point
		tok, err := src.TokenContext(context.Background())
		require.NoError(t, err)
		require.Same(t, first, tok)
	}
	assert.Equal(t, 1, g.count(), "a cached token must not call the grant")
}

func TestSourceRenewsAheadWithoutMakingCallersWait(t *testing.T) {
	clk := newClock()
	gt := newGate(t, 2)
	g := &fakeGrant{life: time.Hour, hook: gt.hook}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))
	first, err := src.Token()
	require.NoError(t, err)

	clk.Advance(55*time.Minute + time.Second) // past renewAt (expiry - 5m), well before expiry
	tok, err := src.Token()
	require.NoError(t, err)
	require.Same(t, first, tok, "the caller that starts the renewal keeps the current token")
	gt.wait(t) // the renewal is now blocked inside the grant

	// While the renewal hangs, nobody waits for it: 100 callers with a short
	// deadline all get the current token at once.
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	start := time.Now()
	for range 100 {
		wg.Go(func() {
			tok, err := src.TokenContext(ctxTimeout(t, 2*time.Second))
			if err == nil && tok != first {
				err = fmt.Errorf("got %q", tok.AccessToken)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Less(t, time.Since(start), time.Second, "callers must not wait for the renewal")
	assert.Equal(t, 2, g.count(), "one background renewal, however many callers")

	gt.open()
	require.Eventually(t, func() bool {
		tok, err := src.Token()
		return err == nil && tok.AccessToken == "access-2"
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, 2, g.count())
	assert.Equal(t, "refresh-1", g.prev(1).RefreshToken, "the renewal gets the token it replaces")
}

func TestSourceReusesShortLivedToken(t *testing.T) {
	clk := newClock()
	g := &fakeGrant{life: 2 * time.Second}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))

	first, err := src.Token()
	require.NoError(t, err)
	for range 14 { // up to 1.4s: three quarters of the life are not yet gone
		clk.Advance(100 * time.Millisecond)
		tok, err := src.Token()
		require.NoError(t, err)
		require.Same(t, first, tok)
	}
	assert.Equal(t, 1, g.count(), "a 2-second token is reused, not fetched per call")

	clk.Advance(200 * time.Millisecond) // 1.6s: renew ahead, still serving the old one
	tok, err := src.Token()
	require.NoError(t, err)
	assert.Same(t, first, tok)
	require.Eventually(t, func() bool {
		tok, err := src.Token()
		return err == nil && tok.AccessToken == "access-2"
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, 2, g.count())
}

func TestSourceNeverServesTokenPastItsExpiryMargin(t *testing.T) {
	clk := newClock()
	gt := newGate(t, 2)
	g := &fakeGrant{life: time.Hour, hook: gt.hook}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))
	first, err := src.Token()
	require.NoError(t, err)
	margin := first.Expiry.Add(-10 * time.Second) // an hour's token stops 10s early

	clk.Advance(margin.Sub(clk.Now()) - time.Millisecond)
	tok, err := src.Token()
	require.NoError(t, err, "just before the margin the token is still served")
	require.Same(t, first, tok)
	gt.wait(t) // that call started a renewal, which hangs

	// (Not past the new token's life: the hung grant call started an hour before it.)
	for _, step := range []time.Duration{time.Millisecond, 5 * time.Second, 5 * time.Second, 30 * time.Second} {
		clk.Advance(step)
		tok, err := src.TokenContext(ctxTimeout(t, 20*time.Millisecond))
		require.ErrorIs(t, err, context.DeadlineExceeded, "at expiry%+v", clk.Now().Sub(first.Expiry))
		require.Nil(t, tok)
	}
	gt.open()
	tok, err = src.TokenContext(ctxTimeout(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "access-2", tok.AccessToken)
	assert.Equal(t, 2, g.count())
}

func TestSourceConcurrentCallersAtExpiryShareOneGrantCall(t *testing.T) {
	for _, n := range []int{50, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			clk := newClock()
			gt := newGate(t, 2)
			g := &fakeGrant{life: time.Hour, hook: gt.hook}
			src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))
			_, err := src.Token()
			require.NoError(t, err)
			clk.Advance(time.Hour + time.Second)

			var ready, done sync.WaitGroup
			toks := make([]*oauth2.Token, n)
			errs := make([]error, n)
			for i := range n {
				ready.Add(1)
				done.Go(func() {
					ready.Done()
					toks[i], errs[i] = src.TokenContext(ctxTimeout(t, 10*time.Second))
				})
			}
			ready.Wait()
			gt.wait(t)
			time.Sleep(10 * time.Millisecond) // let the callers reach the wait
			gt.open()
			done.Wait()
			for i := range n {
				require.NoError(t, errs[i])
				require.Equal(t, "access-2", toks[i].AccessToken)
			}
			assert.Equal(t, 2, g.count(), "all callers share one renewal")
		})
	}
}

func TestSourceWaiterCancelDoesNotCancelRenewal(t *testing.T) {
	clk := newClock()
	gt := newGate(t, 2)
	g := &fakeGrant{life: time.Hour, hook: gt.hook}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))
	_, err := src.Token()
	require.NoError(t, err)
	clk.Advance(2 * time.Hour)

	other := make(chan *oauth2.Token, 1)
	go func() {
		tok, err := src.TokenContext(context.Background())
		assert.NoError(t, err)
		other <- tok
	}()
	renewCtx := gt.wait(t)

	tok, err := src.TokenContext(ctxTimeout(t, 20*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Nil(t, tok)
	require.NoError(t, renewCtx.Err(), "the waiter's deadline must not cancel the renewal")
	_, hasDeadline := renewCtx.Deadline()
	assert.True(t, hasDeadline, "a renewal is bounded by its own timeout")

	gt.open()
	select {
	case tok := <-other:
		require.NotNil(t, tok)
		assert.Equal(t, "access-2", tok.AccessToken)
	case <-time.After(5 * time.Second):
		t.Fatal("the other caller never got the renewed token")
	}
	assert.Equal(t, 2, g.count())
}

func TestSourceInvalidateStormRenewsOnce(t *testing.T) {
	clk := newClock()
	gt := newGate(t, 2)
	g := &fakeGrant{life: time.Hour, hook: gt.hook}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))
	rejected, err := src.Token()
	require.NoError(t, err)

	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			src.Invalidate(rejected)
		})
	}
	close(start)
	wg.Wait()
	gt.wait(t)

	_, err = src.TokenContext(ctxTimeout(t, 20*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded, "an invalidated token is no longer served")

	gt.open()
	tok, err := src.TokenContext(ctxTimeout(t, 5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, "access-2", tok.AccessToken)
	assert.Equal(t, 2, g.count(), "50 invalidations of one token cause one renewal")
	assert.Equal(t, "refresh-1", g.prev(1).RefreshToken, "the invalidated token's refresh token is used")
}

func TestSourceInvalidateReplacedTokenIsNoop(t *testing.T) {
	clk := newClock()
	g := &fakeGrant{life: time.Hour}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))

	src.Invalidate(nil)
	src.Invalidate(&oauth2.Token{AccessToken: "never-issued"})
	assert.Equal(t, 0, g.count(), "nothing to invalidate yet")

	old, err := src.Token()
	require.NoError(t, err)
	src.Invalidate(old)
	current, err := src.TokenContext(ctxTimeout(t, 5*time.Second))
	require.NoError(t, err)
	require.Equal(t, "access-2", current.AccessToken)

	for range 10 {
		src.Invalidate(old) // a late 401 for the replaced token
		tok, err := src.Token()
		require.NoError(t, err)
		require.Same(t, current, tok)
	}
	assert.Equal(t, 2, g.count())
}

func TestSourceBackgroundFailureKeepsTokenAndBacksOff(t *testing.T) {
	clk := newClock()
	boom := errors.New("token endpoint down")
	g := &fakeGrant{life: time.Hour, hook: func(_ context.Context, n int) error {
		if n == 2 || n == 3 {
			return boom
		}
		return nil
	}}
	logs := newLogRecorder()
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now), auth.WithLogger(slog.New(logs)))
	first, err := src.Token()
	require.NoError(t, err)

	clk.Advance(56 * time.Minute)
	tok, err := src.Token()
	require.NoError(t, err)
	require.Same(t, first, tok)
	logs.waitFor(t, "auth: token renewal failed")

	for range 100 {
		tok, err := src.Token()
		require.NoError(t, err)
		require.Same(t, first, tok, "a failed renewal keeps the valid token in service")
	}
	clk.Advance(999 * time.Millisecond)
	_, err = src.Token()
	require.NoError(t, err)
	assert.Equal(t, 2, g.count(), "no renewal attempt before the 1s back-off passes")

	clk.Advance(time.Millisecond)
	_, err = src.Token()
	require.NoError(t, err)
	logs.waitFor(t, "auth: token renewal failed")
	assert.Equal(t, 3, g.count())

	clk.Advance(1999 * time.Millisecond)
	_, err = src.Token()
	require.NoError(t, err)
	assert.Equal(t, 3, g.count(), "the second back-off is 2s")

	clk.Advance(time.Millisecond)
	require.Eventually(t, func() bool {
		tok, err := src.Token()
		return err == nil && tok.AccessToken == "access-4"
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, 4, g.count())
	assert.Contains(t, logs.text(), "failures=2")
	assert.NotContains(t, logs.text(), "refresh-1")
}

func TestSourceReturnsGrantErrorsUnchanged(t *testing.T) {
	t.Run("custom", func(t *testing.T) {
		boom := &auth.TokenError{Grant: "custom", Code: "temporarily_unavailable"}
		src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return nil, boom
		}))
		_, err := src.Token()
		var te *auth.TokenError
		require.ErrorAs(t, err, &te)
		assert.Same(t, boom, te)
	})
	t.Run("expired token after failures", func(t *testing.T) {
		clk := newClock()
		boom := errors.New("down")
		g := &fakeGrant{life: time.Hour, hook: func(_ context.Context, n int) error {
			if n > 1 {
				return boom
			}
			return nil
		}}
		src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithClock(clk.Now))
		_, err := src.Token()
		require.NoError(t, err)
		clk.Advance(2 * time.Hour)
		tok, err := src.Token()
		require.ErrorIs(t, err, boom, "past expiry the caller gets the failure, never the old token")
		assert.Nil(t, tok)
	})
	t.Run("token endpoint", func(t *testing.T) {
		srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"unknown client"}`)
		})
		src := auth.NewSource(auth.ClientCredentials{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "s3cr3t-client"},
			auth.WithHTTPClient(srv.Client()))
		_, err := src.Token()
		var te *auth.TokenError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "client_credentials", te.Grant)
		assert.Equal(t, "invalid_client", te.Code)
		assert.Equal(t, "unknown client", te.Description)
		assert.Equal(t, http.StatusUnauthorized, te.StatusCode)
		var re *oauth2.RetrieveError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "invalid_client", re.ErrorCode)
		assert.NotContains(t, err.Error(), "s3cr3t-client")
		assert.Equal(t, 1, srv.count(), "no retry in another auth style")
	})
}

func TestSourceRenewTimeoutBoundsAHungGrant(t *testing.T) {
	hung := auth.GrantFunc(func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
		<-ctx.Done() // a token endpoint that never answers
		return nil, ctx.Err()
	})
	src := auth.NewSource(hung, auth.WithRenewTimeout(30*time.Millisecond))
	start := time.Now()
	_, err := src.Token() // no deadline of its own: the renewal timeout ends the wait
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestSourceRejectsGrantWithoutAccessToken(t *testing.T) {
	src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{TokenType: "Bearer"}, nil
	}))
	_, err := src.Token()
	require.Error(t, err)
}

// tokenServer is an httptest token endpoint that records its requests.
type tokenServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recordedRequest
}

type recordedRequest struct {
	Path   string
	Header http.Header
	Form   map[string][]string
}

func newTokenServer(t *testing.T, h http.HandlerFunc) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts.mu.Lock()
		ts.reqs = append(ts.reqs, recordedRequest{Path: r.URL.Path, Header: r.Header.Clone(), Form: r.PostForm})
		ts.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.reqs)
}

func (ts *tokenServer) request(i int) recordedRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.reqs[i]
}

// answer returns a handler that writes body with the content type.
func answerWith(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
	}
}

// unsignedJWT returns a JWT whose payload is claims (not signed: the Source only reads exp).
func unsignedJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".sig"
}

func TestSourceNormalizesTokenResponses(t *testing.T) {
	jwtExp := clockStart.Add(45 * time.Minute)
	jwt := unsignedJWT(fmt.Sprintf(`{"sub":"x","exp":%d}`, jwtExp.Unix()))
	const form, js = "application/x-www-form-urlencoded", "application/json"
	tests := []struct {
		name, contentType, body string
		wantExpiry              time.Time
		wantType                string
	}{
		{"number", js, `{"access_token":"a","token_type":"bearer","expires_in":3600}`, clockStart.Add(time.Hour), "Bearer"},
		{"string", js, `{"access_token":"a","token_type":"BEARER","expires_in":"1800"}`, clockStart.Add(30 * time.Minute), "Bearer"},
		{"jwt exp", js, `{"access_token":"` + jwt + `","token_type":"Bearer"}`, jwtExp, "Bearer"},
		{"number beats jwt", js, `{"access_token":"` + jwt + `","expires_in":60}`, clockStart.Add(time.Minute), "Bearer"},
		{"absent", js, `{"access_token":"opaque","token_type":"Bearer"}`, clockStart.Add(20 * time.Minute), "Bearer"},
		{"no token type", js, `{"access_token":"a","expires_in":600}`, clockStart.Add(10 * time.Minute), "Bearer"},
		{"form", form, `access_token=a&token_type=bearer&expires_in=600`, clockStart.Add(10 * time.Minute), "Bearer"},
		{"form absent", form, `access_token=a&token_type=Bearer`, clockStart.Add(20 * time.Minute), "Bearer"},
		{"text/plain form", "text/plain", `access_token=a&token_type=bearer&expires_in=120`, clockStart.Add(2 * time.Minute), "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTokenServer(t, answerWith(tt.contentType, tt.body))
			clk := newClock()
			src := auth.NewSource(auth.ClientCredentials{TokenURL: srv.URL, ClientID: "id", ClientSecret: "secret"},
				auth.WithClock(clk.Now), auth.WithHTTPClient(srv.Client()), auth.WithDefaultLifetime(20*time.Minute))
			tok, err := src.Token()
			require.NoError(t, err)
			assert.Equal(t, tt.wantType, tok.TokenType)
			assert.True(t, tok.Expiry.Equal(tt.wantExpiry), "expiry %v, want %v", tok.Expiry, tt.wantExpiry)

			// Served until its margin, then renewed: the normalized expiry is used.
			clk.Advance(tt.wantExpiry.Sub(clockStart))
			_, err = src.TokenContext(ctxTimeout(t, 5*time.Second))
			require.NoError(t, err)
			assert.Equal(t, 2, srv.count())
		})
	}
}
