package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Source caches the token, renews it before it expires, and is safe for
// concurrent use. It implements [oauth2.TokenSource].
//
// Renewal is ahead of time and in the background: once three quarters of a
// token's life (at most five minutes before expiry) have passed, the next
// caller starts a renewal and keeps using the current token, so no caller waits
// for the token endpoint while a valid token exists. When to renew is the
// Source's choice: [WithRenewBefore] sets it, and a grant that implements
// [RenewalPolicy] (the [Mindbaz] preset does) gives its server's preference.
// Callers wait only when there is no usable token: the first call, after
// [Source.Invalidate], or when a token ran out before a renewal succeeded. A token is never handed out in the last
// twentieth of its life (at most 10 seconds), so it is not sent after it expires.
//
// Only one renewal runs at a time, whoever asks. It runs on its own context
// (bounded by a timeout), so a caller whose context ends stops waiting without
// cancelling the renewal the others wait for.
type Source struct {
	grant           Grant
	store           Store
	locker          Locker
	httpClient      *http.Client
	logger          *slog.Logger
	now             func() time.Time
	defaultLifetime time.Duration
	renewTimeout    time.Duration
	renewBefore     time.Duration // 0: the default rule (see entryFor)
	tel             telemetry

	cur atomic.Pointer[entry] // the token callers get; nil until the first renewal

	// Read without the lock, so that callers in the renew-ahead window take
	// no lock while a renewal runs or waits out its backoff; written under mu.
	flying  atomic.Bool  // a renewal is in progress
	retryAt atomic.Int64 // UnixNano on s.now's clock: no background renewal before it, after a failure

	mu         sync.Mutex
	flight     *flight // the renewal in progress, if any
	failStreak int
}

// entry is an immutable cached token with the times that govern its use.
// saveTimeout bounds saving a new token, which outlives the renewal's context.
const saveTimeout = 10 * time.Second

type entry struct {
	tok      *oauth2.Token
	renewAt  time.Time // from here on, a caller starts a background renewal
	expireAt time.Time // from here on, the token is not handed out
}

type flight struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

// Option configures a [Source].
type Option func(*Source)

// WithStore makes the Source load its first token from st and save every new
// token to st before handing it out. When st implements [Locker], renewals hold
// its lock.
func WithStore(st Store) Option {
	return func(s *Source) {
		s.store = st
		s.locker, _ = st.(Locker)
	}
}

// WithHTTPClient sets the HTTP client for the token endpoint. The Source uses a
// copy that refuses redirects to another origin, since a token request carries
// secrets in its body.
func WithHTTPClient(c *http.Client) Option {
	return func(s *Source) { s.httpClient = TokenHTTPClient(c) }
}

// WithLogger makes the Source log renewals (at debug level) and failures that it
// works around (at warn level). Secrets are never logged. nil means silent.
func WithLogger(l *slog.Logger) Option {
	return func(s *Source) {
		if l != nil {
			s.logger = l
		}
	}
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// WithDefaultLifetime sets how long a token lives when the server says nothing:
// no expires_in and not a JWT with an exp claim. The default is one hour.
func WithDefaultLifetime(d time.Duration) Option { return func(s *Source) { s.defaultLifetime = d } }

// WithRenewBefore makes the Source renew a token, in the background, once only
// d of its life remains, instead of the default (after three quarters of its
// life, at most five minutes before expiry). Use it for a server that asks
// clients to reuse each token as long as possible (Mindbaz). It overrides the
// grant's [RenewalPolicy]; d <= 0 restores the default rule.
//
// d is capped at half the token's life, so that a short-lived token is still
// reused. A token is never handed out in the last twentieth of its life (at
// most 10 seconds): choose d larger than that, or renewals are no longer in the
// background and callers wait for them.
func WithRenewBefore(d time.Duration) Option {
	return func(s *Source) { s.renewBefore = max(d, 0) }
}

// RenewalPolicy is implemented by a [Grant] whose server prefers tokens renewed
// at a given point: [NewSource] reads RenewBefore once and uses it as
// [WithRenewBefore] would, unless that option is given. 0 means the default
// rule. [Password] implements it with its RenewMargin field, which the
// [Mindbaz] preset sets.
type RenewalPolicy interface {
	RenewBefore() time.Duration
}

// WithRenewTimeout bounds one renewal, lock and store included. Default 60s.
func WithRenewTimeout(d time.Duration) Option { return func(s *Source) { s.renewTimeout = d } }

// NewSource returns a Source that obtains tokens from g.
func NewSource(g Grant, opts ...Option) *Source {
	s := &Source{
		grant: g, httpClient: TokenHTTPClient(nil), now: time.Now,
		defaultLifetime: time.Hour, renewTimeout: time.Minute,
		logger: slog.New(slog.DiscardHandler),
	}
	if p, ok := g.(RenewalPolicy); ok {
		s.renewBefore = max(p.RenewBefore(), 0)
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Token returns a valid token; it implements [oauth2.TokenSource]. The token is
// shared with other callers and must not be modified.
func (s *Source) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext returns a valid token, waiting for a renewal only when no valid
// token is cached. ctx bounds the wait, not the renewal.
func (s *Source) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	if e := s.cur.Load(); e != nil {
		now := s.now()
		if now.Before(e.renewAt) {
			return e.tok, nil
		}
		if now.Before(e.expireAt) {
			s.renewInBackground(e, now)
			return e.tok, nil
		}
	}
	return s.wait(ctx)
}

// Invalidate tells the Source that the server refused rejected (a 401): the
// token is no longer handed out and a renewal starts, unless rejected has
// already been replaced. Any number of requests that met the same 401 cause one
// renewal.
func (s *Source) Invalidate(rejected *oauth2.Token) {
	if rejected == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.cur.Load()
	if e == nil || e.tok.AccessToken != rejected.AccessToken || e.expireAt.IsZero() {
		return
	}
	s.cur.Store(&entry{tok: e.tok}) // zero times: unusable, but its refresh token stays
	s.logger.Debug("auth: token rejected by the server; renewing")
	if s.flight == nil {
		s.startFlight()
	}
}

// String describes the Source without any token or secret.
func (s *Source) String() string { return fmt.Sprintf("auth.Source{grant: %T}", s.grant) }

// GoString is String: %#v would otherwise print the grant's secrets.
func (s *Source) GoString() string { return s.String() }

// LogValue logs the grant's type only.
func (s *Source) LogValue() slog.Value { return slog.StringValue(s.String()) }

func (s *Source) renewInBackground(e *entry, now time.Time) {
	if s.flying.Load() || now.UnixNano() < s.retryAt.Load() {
		return // the common case in the window: no lock, no allocation
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flight == nil && s.cur.Load() == e && now.UnixNano() >= s.retryAt.Load() {
		s.startFlight()
	}
}

func (s *Source) wait(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	if e := s.cur.Load(); e != nil && s.now().Before(e.expireAt) {
		s.mu.Unlock() // renewed while we took the lock
		return e.tok, nil
	}
	f := s.flight
	if f == nil {
		f = s.startFlight()
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: waiting for a token: %w", ctx.Err())
	}
}

// startFlight starts one renewal; s.mu must be held.
func (s *Source) startFlight() *flight {
	f := &flight{done: make(chan struct{})}
	s.flight = f
	s.flying.Store(true)
	var prev *oauth2.Token
	if e := s.cur.Load(); e != nil {
		prev = e.tok
	}
	go s.fly(f, prev)
	return f
}

func (s *Source) fly(f *flight, prev *oauth2.Token) {
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), oauth2.HTTPClient, s.httpClient), s.renewTimeout)
	defer cancel()
	grant := grantType(s.grant)
	ctx, span := s.tel.start(ctx, "mindpeeker.token.renew", grant)
	start := time.Now()
	e, err := s.renew(ctx, prev)

	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	serving := err != nil && cur != nil && s.now().Before(cur.expireAt)
	s.tel.renewed(ctx, span, grant, time.Since(start), err, serving)
	if err != nil {
		s.failStreak++
		s.retryAt.Store(s.now().Add(min(time.Second<<min(s.failStreak-1, 5), 30*time.Second)).UnixNano())
		attrs := []any{"error", err, "failures", s.failStreak, "grant", grant, "serving_current_token", serving}
		if serving { // callers are not told: this line is how anyone learns of it
			attrs = append(attrs, "valid_for", cur.expireAt.Sub(s.now()).Round(time.Second))
		}
		s.logger.Warn("auth: token renewal failed", attrs...)
	} else {
		s.failStreak = 0
		s.retryAt.Store(0)
		s.cur.Store(e)
		f.tok = e.tok
	}
	f.err = err
	s.flight = nil
	s.flying.Store(false)
	close(f.done)
}

// leaseAttempts bounds how often one renewal starts over after learning, before
// spending anything, that it lost the store's lock (see [LeaseLocker]).
const leaseAttempts = 3

// renew obtains the next token: from the shared store when another process (or
// Source) already renewed, else from the grant, saving it before returning. A
// renewal that lost the store's lock before spending starts over, waiting for the
// lock, so that it adopts what the new holder saves.
func (s *Source) renew(ctx context.Context, prev *oauth2.Token) (e *entry, err error) {
	for range leaseAttempts {
		if e, err = s.renewOnce(ctx, prev); !errors.Is(err, ErrLeaseLost) {
			break
		}
		s.logger.Warn("auth: the token store's lock was lost before renewing; taking it again")
	}
	return e, err
}

// fence is what a renewal knows of the shared store when it obtains a token: the
// lease of the lock it holds (nil without one) and, when fenced, the generation
// of the token it loaded (see [FencedStore]).
type fence struct {
	lease  context.Context
	gen    uint64
	fenced bool
}

func (s *Source) renewOnce(ctx context.Context, prev *oauth2.Token) (*entry, error) {
	if s.store == nil {
		return s.obtain(ctx, prev, fence{})
	}
	var f fence
	if s.locker != nil {
		unlock, lease, adopted, err := s.lockOrAdopt(ctx, prev)
		if adopted != nil {
			return adopted, nil
		}
		if err != nil {
			if prev != nil && prev.RefreshToken != "" {
				// A shared refresh token is spent only under the lock.
				return nil, fmt.Errorf("auth: cannot lock the token store, not spending the shared refresh token: %w", err)
			}
			s.logger.Warn("auth: token store lock unavailable; renewing without it", "error", err)
		} else {
			defer unlock()
			f.lease = lease
		}
	}
	stored, err := s.load(ctx, &f)
	switch {
	case err != nil && s.locker != nil && prev != nil && prev.RefreshToken != "":
		// Another process may have rotated the refresh token we hold; only
		// the store knows, so spending ours could present a spent one.
		return nil, fmt.Errorf("auth: cannot read the token store, not spending the shared refresh token: %w", err)
	case err != nil:
		s.logger.Warn("auth: token store unavailable; renewing from the grant", "error", err)
	case stored != nil && stored.AccessToken != "" && prev != nil && stored.Expiry.Before(prev.Expiry):
		// The store is behind this Source (saving prev failed): prev's
		// refresh token is the newest, and the store's may be spent.
		s.logger.Warn("auth: the token store holds an older token than this process; renewing from its own")
	case stored != nil && stored.AccessToken != "":
		if prev == nil || stored.AccessToken != prev.AccessToken {
			if e := s.entryFor(stored); s.now().Before(e.renewAt) {
				s.logger.Debug("auth: using the token from the store")
				return e, nil
			}
		}
		if prev == nil || stored.RefreshToken != "" {
			prev = stored // its refresh token is the newest there is
		}
	}
	return s.obtain(ctx, prev, f)
}

// While another process holds the store's lock, a renewal tries to take it for
// lockTry (one attempt or two), then waits lockPoll (jittered by half) before it
// looks at the store and tries again.
const (
	lockTry  = 5 * time.Millisecond
	lockPoll = 50 * time.Millisecond
)

// lockOrAdopt takes the store's lock, unless the store holds a fresh token that
// another process saved: then it returns that token's entry. It looks before
// each attempt, without the lock (adopting spends nothing), so that a fleet's
// replicas adopt a new token together as soon as it is saved, instead of taking
// the lock one after the other to read it.
func (s *Source) lockOrAdopt(ctx context.Context, prev *oauth2.Token) (unlock func(), lease context.Context, adopted *entry, err error) {
	for {
		stored, loadErr := s.store.Load(ctx)
		if loadErr != nil {
			// The store is unreachable: a short attempt would time out for
			// that reason too, so wait for the lock as long as it takes, or
			// for its own error.
			unlock, lease, err = s.lock(ctx)
			return unlock, lease, nil, err
		}
		if stored != nil && stored.AccessToken != "" &&
			(prev == nil || stored.AccessToken != prev.AccessToken && !stored.Expiry.Before(prev.Expiry)) {
			if e := s.entryFor(stored); s.now().Before(e.renewAt) {
				s.logger.Debug("auth: using the token from the store")
				return nil, nil, e, nil
			}
		}
		tryCtx, cancel := context.WithTimeout(ctx, lockTry)
		unlock, lease, err = s.lock(tryCtx)
		cancel()
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return unlock, lease, nil, err
		}
		t := time.NewTimer(lockPoll/2 + rand.N(lockPoll/2))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, nil, fmt.Errorf("auth: waiting for the token store's lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// lock takes the store's lock, and its lease when the locker is a [LeaseLocker].
func (s *Source) lock(ctx context.Context) (unlock func(), lease context.Context, err error) {
	if ll, ok := s.locker.(LeaseLocker); ok {
		lease, unlock, err = ll.LockLease(ctx)
		return unlock, lease, err
	}
	unlock, err = s.locker.Lock(ctx)
	return unlock, nil, err
}

// load reads the store, noting in f the generation when it is a [FencedStore].
func (s *Source) load(ctx context.Context, f *fence) (*oauth2.Token, error) {
	fs, ok := s.store.(FencedStore)
	if !ok {
		return s.store.Load(ctx)
	}
	tok, gen, err := fs.LoadGeneration(ctx)
	f.gen, f.fenced = gen, err == nil
	return tok, err
}

// obtain asks the grant for a token and saves it before anyone can use it. It
// spends nothing once the lease of f has ended.
func (s *Source) obtain(ctx context.Context, prev *oauth2.Token, f fence) (*entry, error) {
	if f.lease != nil && f.lease.Err() != nil {
		return nil, fmt.Errorf("auth: not renewing: %w", ErrLeaseLost)
	}
	start := s.now()
	grant := grantType(s.grant)
	reqCtx, span := s.tel.start(ctx, "mindpeeker.token.request", grant)
	tok, err := s.grant.Token(reqCtx, prev)
	s.tel.end(span, grant, err)
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("auth: the grant returned no access token")
	}
	s.normalize(tok, start)
	if s.store != nil {
		// Saved even when the renewal's own deadline has just passed: the
		// server has spent the old refresh token, so this one must be kept.
		saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
		defer cancel()
		if newer := s.save(saveCtx, tok, f); newer != nil {
			return newer, nil
		}
	}
	s.logger.Debug("auth: token obtained", "expires_in", tok.Expiry.Sub(start).Round(time.Second))
	return s.entryFor(tok), nil
}

// save stores tok; conditionally when f is fenced, so that a renewer that lost
// the lock does not overwrite a newer token. It returns the newer token's entry
// when the store holds one, for the Source to adopt; nil when tok was saved, or
// when saving failed and tok is kept in memory only.
func (s *Source) save(ctx context.Context, tok *oauth2.Token, f fence) *entry {
	fs, _ := s.store.(FencedStore)
	if fs == nil || !f.fenced {
		if err := s.store.Save(ctx, tok); err != nil {
			// The token is valid and its predecessor may be spent: keep it in
			// memory (the next renewal saves again) rather than lose it too.
			s.logger.Error("auth: saving the new token failed; it is kept in memory only", "error", err)
		}
		return nil
	}
	err := fs.SaveIf(ctx, tok, f.gen)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrStale) {
		s.logger.Error("auth: saving the new token failed; it is kept in memory only", "error", err)
		return nil
	}
	newer, _, err := fs.LoadGeneration(ctx)
	if err == nil && newer != nil && newer.AccessToken != "" {
		if e := s.entryFor(newer); s.now().Before(e.expireAt) {
			s.logger.Warn("auth: another process saved a newer token during this renewal (the lock was lost); using it")
			return e
		}
	}
	s.logger.Error("auth: another process saved a newer token during this renewal, which cannot be used; this one is kept in memory only", "error", err)
	return nil
}

// normalize gives tok an absolute Expiry on s's clock and the type "Bearer",
// whatever the server sent: expires_in as a number or a string (JSON or form),
// else the JWT exp claim, else the default lifetime.
func (s *Source) normalize(tok *oauth2.Token, start time.Time) {
	if strings.EqualFold(tok.TokenType, "bearer") || tok.TokenType == "" {
		tok.TokenType = "Bearer"
	}
	if tok.ExpiresIn == 0 {
		// x/oauth2 leaves ExpiresIn unset for client credentials and form answers.
		tok.ExpiresIn = extraSeconds(tok.Extra("expires_in"))
	}
	tok.ExpiresIn = min(tok.ExpiresIn, maxExpiresIn) // no overflow below
	if tok.ExpiresIn <= 0 {
		// Zero, negative or unreadable: as if absent. x/oauth2 may already
		// have turned a negative expires_in into an Expiry in the past (on
		// the wall clock), which would make every call fetch a new token.
		tok.ExpiresIn = 0
		if !tok.Expiry.After(time.Now()) {
			tok.Expiry = time.Time{}
		}
	}
	switch exp, isJWT := JWTExpiry(tok.AccessToken); {
	case tok.ExpiresIn > 0:
		tok.Expiry = start.Add(time.Duration(tok.ExpiresIn) * time.Second)
	case isJWT && exp.After(start):
		tok.Expiry = exp
	case tok.Expiry.IsZero() || !tok.Expiry.After(start):
		// Nothing usable (an exp already past on this clock, skewed): the
		// default, rather than a token that is never reused.
		tok.Expiry = start.Add(s.defaultLifetime)
		tok.ExpiresIn = int64(s.defaultLifetime / time.Second)
	}
}

// extraSeconds reads an expires_in kept in a token's extra fields: a JSON number
// (float64), a JSON string, or a form value (int64 or string, as Token.Extra
// parses it). It returns 0 when there is none or it is not a number.
func extraSeconds(v any) int64 {
	var n int64
	switch v := v.(type) {
	case int64:
		n = min(v, maxExpiresIn)
	case float64:
		n, _ = ParseExpiresIn([]byte(strconv.FormatFloat(v, 'g', -1, 64)))
	case string:
		n, _ = ParseExpiresIn([]byte(strconv.Quote(v)))
	}
	return n
}

// entryFor computes when tok should be renewed and when it stops being used.
// By default the margins grow with the token's lifetime, so a token that lives
// 2 seconds is reused for 1.5 of them, and one that lives an hour is renewed 5
// minutes early; s.renewBefore, when set, replaces the renewal margin.
func (s *Source) entryFor(tok *oauth2.Token) *entry {
	life := time.Duration(tok.ExpiresIn) * time.Second
	if left := tok.Expiry.Sub(s.now()); life <= 0 || life < left {
		life = left
	}
	renewMargin := min(life/4, 5*time.Minute)
	if s.renewBefore > 0 {
		renewMargin = min(s.renewBefore, life/2)
	}
	return &entry{
		tok:      tok,
		renewAt:  tok.Expiry.Add(-renewMargin),
		expireAt: tok.Expiry.Add(-min(life/20, 10*time.Second)),
	}
}

var _ oauth2.TokenSource = (*Source)(nil)

// Invalidator is implemented by token sources that can be told that the
// server refused a token (a 401); [*Source] implements it. A client.Client
// renews and retries once on a 401 with any TokenSource that implements it,
// and with a plain oauth2.TokenSource that returns a new token when asked
// again. Invalidate must not block on the network: start the renewal, and
// hand out the new token from the next Token call.
type Invalidator interface {
	Invalidate(rejected *oauth2.Token)
}

var _ Invalidator = (*Source)(nil)
