package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// rotatingServer is a grant whose refresh tokens are single-use and rotate,
// like Mindbaz's: it records every refresh token presented and refuses a spent one.
type rotatingServer struct {
	mu        sync.Mutex
	next      int
	spent     map[string]bool
	presented []string
}

func (r *rotatingServer) Token(_ context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spent == nil {
		r.spent = map[string]bool{}
	}
	if prev != nil && prev.RefreshToken != "" {
		r.presented = append(r.presented, prev.RefreshToken)
		if r.spent[prev.RefreshToken] {
			return nil, &auth.TokenError{Grant: "refresh_token", Code: "invalid_grant", Err: errors.New("spent")}
		}
		r.spent[prev.RefreshToken] = true
	}
	r.next++
	return &oauth2.Token{AccessToken: fmt.Sprint("at", r.next), RefreshToken: fmt.Sprint("rt", r.next), ExpiresIn: 60}, nil
}

// flakyStore fails the saves (Save or SaveIf) it is told to fail.
type flakyStore struct {
	auth.MemoryStore
	failSaves atomic.Int32
}

func (f *flakyStore) Save(ctx context.Context, t *oauth2.Token) error {
	if f.failSaves.Add(-1) >= 0 {
		return errors.New("disk full")
	}
	return f.MemoryStore.Save(ctx, t)
}

func (f *flakyStore) SaveIf(ctx context.Context, t *oauth2.Token, generation uint64) error {
	if f.failSaves.Add(-1) >= 0 {
		return errors.New("disk full")
	}
	return f.MemoryStore.SaveIf(ctx, t, generation)
}

// A failed save leaves the store one token behind; the next renewal must spend
// the refresh token this process holds, not the store's spent one.
func TestRenewalAfterFailedSaveSpendsTheNewestRefreshToken(t *testing.T) {
	srv := &rotatingServer{}
	st := &flakyStore{}
	clk := newClock()
	src := auth.NewSource(srv, auth.WithStore(st), auth.WithClock(clk.Now))
	ctx := context.Background()

	_, err := src.TokenContext(ctx) // at1/rt1, saved
	require.NoError(t, err)
	st.failSaves.Store(1)
	clk.Advance(time.Hour)
	tok, err := src.TokenContext(ctx) // spends rt1 -> at2/rt2, save fails
	require.NoError(t, err, "a token that could not be saved is still handed out")
	assert.Equal(t, "at2", tok.AccessToken)
	clk.Advance(time.Hour)
	tok, err = src.TokenContext(ctx) // must spend rt2, not the store's rt1
	require.NoError(t, err)
	assert.Equal(t, "at3", tok.AccessToken)
	assert.Equal(t, []string{"rt1", "rt2"}, srv.presented)
	stored, _ := st.Load(ctx)
	assert.Equal(t, "rt3", stored.RefreshToken, "the store has caught up")
}

// countingStore counts loads (Load or LoadGeneration), so a test can wait until
// every Source has read it.
type countingStore struct {
	*auth.MemoryStore
	loads atomic.Int32
}

func (c *countingStore) Load(ctx context.Context) (*oauth2.Token, error) {
	c.loads.Add(1)
	return c.MemoryStore.Load(ctx)
}

func (c *countingStore) LoadGeneration(ctx context.Context) (*oauth2.Token, uint64, error) {
	c.loads.Add(1)
	return c.MemoryStore.LoadGeneration(ctx)
}

// Sources sharing a MemoryStore renew one at a time (it is a Locker), so a
// single-use refresh token is spent once. The grant waits (briefly) until every
// Source has read the store: without the lock they all read rt1 and spend it.
func TestSourcesSharingAMemoryStoreSpendOnce(t *testing.T) {
	const sources = 8
	srv := &rotatingServer{}
	mem := &auth.MemoryStore{}
	clk := newClock()
	ctx := context.Background()
	first := auth.NewSource(srv, auth.WithStore(mem), auth.WithClock(clk.Now))
	_, err := first.TokenContext(ctx)
	require.NoError(t, err)
	clk.Advance(time.Hour)

	st := &countingStore{MemoryStore: mem}
	slowGrant := auth.GrantFunc(func(ctx context.Context, prev *oauth2.Token) (*oauth2.Token, error) {
		deadline := time.Now().Add(200 * time.Millisecond)
		for st.loads.Load() < sources && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		return srv.Token(ctx, prev)
	})
	var wg sync.WaitGroup
	for range sources {
		src := auth.NewSource(slowGrant, auth.WithStore(st), auth.WithClock(clk.Now))
		wg.Go(func() {
			_, err := src.TokenContext(ctx)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, []string{"rt1"}, srv.presented, "one renewal; the others adopted its token")
}

// A JWT whose exp is already past on this clock (skew) and no expires_in: the
// token gets the default lifetime instead of never being reused.
func TestJWTExpiredOnArrivalIsReused(t *testing.T) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1000}`))
	jwt := "eyJhbGciOiJub25lIn0." + payload + ".sig"
	var calls atomic.Int32
	src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		calls.Add(1)
		return &oauth2.Token{AccessToken: jwt}, nil
	}))
	for range 5 {
		_, err := src.Token()
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, calls.Load())
}

func TestTransportAndURLErrorsHideSecrets(t *testing.T) {
	rt, err := auth.NewTransport(nil, "https://api.example.com", auth.NewSource(auth.ClientCredentials{ClientSecret: "TOPSECRET"}))
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, rt), "TOPSECRET", verb)
	}
	_, err = auth.NewTransport(nil, "https://user:TOPSECRET@/x", nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "TOPSECRET")
	_, err = auth.ClientCredentials{TokenURL: "http://user:TOPSECRET@%zz"}.Token(context.Background(), nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "TOPSECRET")
}
