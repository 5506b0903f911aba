package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// eventLog is an ordered record of what happened, from several goroutines.
type eventLog struct {
	mu sync.Mutex
	ev []string
}

func (l *eventLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev = append(l.ev, fmt.Sprintf(format, args...))
}

func (l *eventLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ev...)
}

// probeStore is a Store and Locker over a MemoryStore that records every call
// and whether the lock was held, and fails on demand.
type probeStore struct {
	mem     auth.MemoryStore
	log     *eventLog
	held    atomic.Bool
	lockErr atomic.Pointer[error]
	saveErr error
	loadErr error
	onSave  func(*oauth2.Token)
}

func (p *probeStore) Lock(ctx context.Context) (func(), error) {
	if err := p.lockErr.Load(); err != nil {
		p.log.add("lock failed")
		return nil, *err
	}
	if _, ok := ctx.Deadline(); !ok {
		p.log.add("lock without deadline")
	}
	p.log.add("lock")
	p.held.Store(true)
	return func() {
		p.held.Store(false)
		p.log.add("unlock")
	}, nil
}

func (p *probeStore) Load(ctx context.Context) (*oauth2.Token, error) {
	p.log.add("load held=%v", p.held.Load())
	if p.loadErr != nil {
		return nil, p.loadErr
	}
	return p.mem.Load(ctx)
}

func (p *probeStore) Save(ctx context.Context, t *oauth2.Token) error {
	p.log.add("save %s held=%v", t.AccessToken, p.held.Load())
	if p.onSave != nil {
		p.onSave(t)
	}
	if p.saveErr != nil {
		return p.saveErr
	}
	return p.mem.Save(ctx, t)
}

func (p *probeStore) failLocks(err error) { p.lockErr.Store(&err) }

func TestSourceAdoptsValidStoredToken(t *testing.T) {
	clk := newClock()
	st := &auth.MemoryStore{}
	require.NoError(t, st.Save(context.Background(), &oauth2.Token{
		AccessToken: "stored", TokenType: "Bearer", RefreshToken: "stored-rt", Expiry: clockStart.Add(time.Hour)}))
	g := &fakeGrant{life: time.Hour}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithClock(clk.Now))

	tok, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "stored", tok.AccessToken)
	assert.Equal(t, 0, g.count(), "a valid stored token needs no grant call")

	clk.Advance(time.Hour) // expired: renewed with the stored refresh token
	tok, err = src.Token()
	require.NoError(t, err)
	assert.Equal(t, "access-1", tok.AccessToken)
	assert.Equal(t, "stored-rt", g.prev(0).RefreshToken)
}

func TestSourceRenewsExpiredStoredTokenWithItsRefreshToken(t *testing.T) {
	srv := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		answerWith("application/json", `{"access_token":"fresh","expires_in":3600,"refresh_token":"rotated"}`)(w, r)
	})
	st := &auth.MemoryStore{}
	require.NoError(t, st.Save(context.Background(), &oauth2.Token{
		AccessToken: "stale", RefreshToken: "from-store", Expiry: time.Now().Add(-time.Minute)}))
	src := auth.NewSource(auth.RefreshToken{TokenURL: srv.URL, ClientID: "cli", RefreshToken: "configured"},
		auth.WithStore(st), auth.WithHTTPClient(srv.Client()))

	tok, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "fresh", tok.AccessToken)
	assert.Equal(t, []string{"from-store"}, srv.request(0).Form["refresh_token"], "the stored refresh token is the newest")
	saved, err := st.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "rotated", saved.RefreshToken, "the rotated refresh token is persisted")
}

func TestSourceSavesTokenBeforeHandingItOut(t *testing.T) {
	clk := newClock()
	log := &eventLog{}
	st := &probeStore{log: log}
	var src *auth.Source
	st.onSave = func(tok *oauth2.Token) {
		// Nobody may get the token before it is saved: a caller asking now waits.
		got, err := src.TokenContext(ctxTimeout(t, 30*time.Millisecond))
		if errors.Is(err, context.DeadlineExceeded) {
			log.add("caller waited during save")
		} else {
			log.add("caller got %v during save", got)
		}
	}
	g := &fakeGrant{life: time.Hour, hook: func(_ context.Context, n int) error {
		log.add("grant %d held=%v", n, st.held.Load())
		return nil
	}}
	src = auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithClock(clk.Now))

	tok, err := src.Token()
	require.NoError(t, err)
	log.add("returned %s", tok.AccessToken)
	assert.Equal(t, []string{
		"load held=false", // a look for a token to adopt without the lock, then the renewal under it
		"lock", "load held=true", "grant 1 held=true", "save access-1 held=true",
		"caller waited during save", "unlock", "returned access-1",
	}, log.list())

	saved, err := st.mem.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, saved.AccessToken)
	assert.Equal(t, tok.RefreshToken, saved.RefreshToken)
	assert.True(t, tok.Expiry.Equal(saved.Expiry), "the saved token carries the normalized expiry")
}

func TestSourceLockFailure(t *testing.T) {
	lockErr := errors.New("lock service down")
	t.Run("without refresh token the renewal proceeds", func(t *testing.T) {
		st := &probeStore{log: &eventLog{}}
		st.failLocks(lockErr)
		logs := newLogRecorder()
		g := &fakeGrant{life: time.Hour}
		src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithLogger(slog.New(logs)))
		tok, err := src.Token()
		require.NoError(t, err)
		assert.Equal(t, "access-1", tok.AccessToken)
		assert.Contains(t, logs.text(), "lock unavailable")
		assert.Equal(t, []string{"load held=false", "lock failed", "load held=false", "save access-1 held=false"}, st.log.list())
	})
	t.Run("with a refresh token it is not spent without the lock", func(t *testing.T) {
		clk := newClock()
		st := &probeStore{log: &eventLog{}}
		g := &fakeGrant{life: time.Hour}
		src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithClock(clk.Now))
		_, err := src.Token()
		require.NoError(t, err)

		st.failLocks(lockErr)
		clk.Advance(2 * time.Hour)
		tok, err := src.Token()
		require.ErrorIs(t, err, lockErr)
		assert.Nil(t, tok)
		assert.Equal(t, 1, g.count(), "the shared refresh token was not spent")
	})
}

func TestSourceSaveFailureStillReturnsToken(t *testing.T) {
	logs := newLogRecorder()
	st := &probeStore{log: &eventLog{}, saveErr: errors.New("disk full")}
	g := &fakeGrant{life: time.Hour}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithLogger(slog.New(logs)))
	tok, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "access-1", tok.AccessToken)
	assert.Contains(t, logs.text(), "ERROR auth: saving the new token failed")
	assert.Contains(t, logs.text(), "disk full")
	assert.NotContains(t, logs.text(), "access-1")
	assert.NotContains(t, logs.text(), "refresh-1")
}

func TestSourceStoreLoadFailureFallsBackToGrant(t *testing.T) {
	logs := newLogRecorder()
	st := &probeStore{log: &eventLog{}, loadErr: errors.New("unreadable")}
	g := &fakeGrant{life: time.Hour}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithLogger(slog.New(logs)))
	tok, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "access-1", tok.AccessToken)
	assert.Contains(t, logs.text(), "token store unavailable")
}

// TestSourcesShareFileStore runs two Sources (as two processes would) over one
// token file: however they race, each token comes from one grant call and the
// other Source adopts it from the file.
func TestSourcesShareFileStore(t *testing.T) {
	clk := newClock()
	g := &fakeGrant{life: time.Hour}
	path := filepath.Join(t.TempDir(), "token.json")
	newSrc := func() *auth.Source {
		return auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(auth.NewFileStore(path)), auth.WithClock(clk.Now))
	}
	a, b := newSrc(), newSrc()

	for round := 1; round <= 3; round++ {
		var wg sync.WaitGroup
		toks := make([]*oauth2.Token, 20)
		for i := range toks {
			src := a
			if i%2 == 1 {
				src = b
			}
			wg.Go(func() {
				tok, err := src.TokenContext(ctxTimeout(t, 10*time.Second))
				assert.NoError(t, err)
				toks[i] = tok
			})
		}
		wg.Wait()
		for _, tok := range toks {
			require.NotNil(t, tok)
			assert.Equal(t, fmt.Sprintf("access-%d", round), tok.AccessToken)
		}
		assert.Equal(t, round, g.count(), "one grant call per token, across both Sources")
		clk.Advance(time.Hour)
	}
	// Each renewal spent the newest refresh token.
	for i := 1; i < g.count(); i++ {
		assert.Equal(t, fmt.Sprintf("refresh-%d", i), g.prev(i).RefreshToken)
	}
}

func TestSourceUnreadableSharedStoreDoesNotSpendRefreshToken(t *testing.T) {
	clk := newClock()
	st := &probeStore{log: &eventLog{}}
	g := &fakeGrant{life: time.Hour}
	src := auth.NewSource(auth.GrantFunc(g.Token), auth.WithStore(st), auth.WithClock(clk.Now))
	_, err := src.Token()
	require.NoError(t, err)

	st.loadErr = errors.New("token file unreadable")
	clk.Advance(2 * time.Hour)
	_, err = src.Token()
	require.ErrorIs(t, err, st.loadErr)
	assert.Equal(t, 1, g.count(), "another process may have rotated the refresh token: not spent blind")
}
