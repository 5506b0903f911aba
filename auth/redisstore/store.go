package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// DefaultLockTTL is the lock's expiry when Options.LockTTL is zero: how long the
// fleet waits for a crashed renewer before another replica takes over.
const DefaultLockTTL = 10 * time.Second

// minLockTTL keeps the extension interval (a third of the TTL) above a few
// Redis round trips.
const minLockTTL = 100 * time.Millisecond

// maxValueSize bounds what Load accepts: a token is a few kilobytes.
const maxValueSize = 1 << 20

// maxNameLen bounds Options.Namespace and Options.Key.
const maxNameLen = 512

// Options configures a [Store]. Namespace and Key are required, and so is an
// encryption key unless AllowPlaintext is set.
type Options struct {
	// Namespace separates applications sharing one Redis, e.g. "myapp". It may
	// not contain ':', '{', '}', spaces or control characters.
	Namespace string
	// Key names the token within the namespace: one per client and user, e.g.
	// "client-id/alice". It may not contain '{', '}', spaces or control characters.
	Key string
	// EncryptionKeys are AES-256 keys ([KeySize] bytes each, e.g. from a secret
	// manager; every replica needs the same list). The first encrypts every new
	// value; all of them decrypt. To rotate, put the new key first and keep the
	// old one after it until every stored token has been rewritten (one renewal).
	EncryptionKeys [][]byte
	// AllowPlaintext lets the Store work without an encryption key, storing the
	// token as JSON anyone who can read Redis can use. With encryption keys set,
	// it also lets Load accept a plaintext value, to migrate to encryption.
	AllowPlaintext bool
	// TTL, when positive, makes Redis delete the stored token this long after
	// each Save. Set it a little past the refresh token's useful life (Mindbaz:
	// 7 days) so that abandoned tokens do not linger. Zero keeps the token until
	// it is replaced or deleted.
	TTL time.Duration
	// LockTTL is how long the lock outlives its holder: the holder extends it
	// every LockTTL/3 while it holds it, so a crashed holder blocks the others
	// for at most LockTTL. Zero means [DefaultLockTTL]; the minimum is 100ms.
	LockTTL time.Duration
	// Logger receives warnings about the lock (an extension that failed, a lock
	// lost to expiry, a release that failed). nil means silent.
	Logger *slog.Logger
}

// view is the options as every output shows them: the number of
// encryption keys, never the keys.
func (o Options) view() auth.View {
	return auth.View{Type: "redisstore.Options", Attrs: []slog.Attr{
		slog.String("namespace", o.Namespace), slog.String("key", o.Key), slog.Int("encryption_keys", len(o.EncryptionKeys)),
		slog.Bool("allow_plaintext", o.AllowPlaintext), slog.Duration("ttl", o.TTL), slog.Duration("lock_ttl", o.LockTTL)}}
}

// String describes the options without the encryption keys.
func (o Options) String() string { return o.view().String() }

// GoString is String, so that %#v shows the redacted view too.
func (o Options) GoString() string { return o.view().String() }

// Format prints String for every verb, so that no verb reaches a secret.
func (o Options) Format(f fmt.State, verb rune) { o.view().Format(f, verb) }

// LogValue logs the options without the encryption keys.
func (o Options) LogValue() slog.Value { return o.view().LogValue() }

// MarshalJSON encodes the options without the encryption keys.
func (o Options) MarshalJSON() ([]byte, error) { return o.view().MarshalJSON() }

// Store is an [auth.Store] and [auth.Locker] kept in Redis, so that all the
// replicas of a service share one token: one of them renews it while holding
// the lock, the others keep using the still-valid token or wait for the lock and
// then adopt the token it saved. Give it to each replica's Source with
// [auth.WithStore]. Create it with [New]; it is safe for concurrent use, and
// any number of Stores (in one process or many) may use the same Options.
type Store struct {
	rdb            redis.UniversalClient
	namespace, key string
	tokenKey       string // mindpeeker:{namespace:key}:token
	lockKey        string // mindpeeker:{namespace:key}:lock
	genKey         string // mindpeeker:{namespace:key}:gen
	sealer         *sealer
	allowPlaintext bool
	ttl, lockTTL   time.Duration
	logger         *slog.Logger
}

// New returns a Store keeping one token in rdb under the names derived from
// opts.Namespace and opts.Key. rdb is the caller's client (a *redis.Client,
// *redis.ClusterClient, failover client or ring), so that TLS, authentication
// and topology are the caller's choice. New does not contact Redis.
//
// New refuses options without an encryption key (with [ErrNoEncryptionKey])
// unless AllowPlaintext is set, and keys that are not [KeySize] bytes long.
func New(rdb redis.UniversalClient, opts Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client")
	}
	if err := checkName("Namespace", opts.Namespace, ":{}"); err != nil {
		return nil, err
	}
	if err := checkName("Key", opts.Key, "{}"); err != nil {
		return nil, err
	}
	switch {
	case opts.TTL < 0:
		return nil, fmt.Errorf("redisstore: negative TTL %s", opts.TTL)
	case opts.LockTTL == 0:
		opts.LockTTL = DefaultLockTTL
	case opts.LockTTL < minLockTTL:
		return nil, fmt.Errorf("redisstore: LockTTL %s is below the minimum %s", opts.LockTTL, minLockTTL)
	}
	s := &Store{
		rdb: rdb, namespace: opts.Namespace, key: opts.Key,
		allowPlaintext: opts.AllowPlaintext, ttl: opts.TTL, lockTTL: opts.LockTTL,
		logger: opts.Logger,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	// The hash tag {namespace:key} puts the token, its generation and its lock
	// in one cluster slot, so that one script may use them together.
	base := "mindpeeker:{" + opts.Namespace + ":" + opts.Key + "}:"
	s.tokenKey, s.lockKey, s.genKey = base+"token", base+"lock", base+"gen"
	switch {
	case len(opts.EncryptionKeys) > 0:
		sl, err := newSealer(opts.EncryptionKeys)
		if err != nil {
			return nil, err
		}
		s.sealer = sl
	case !opts.AllowPlaintext:
		return nil, ErrNoEncryptionKey
	}
	return s, nil
}

func checkName(field, v, forbidden string) error {
	if v == "" {
		return fmt.Errorf("redisstore: Options.%s is empty", field)
	}
	if len(v) > maxNameLen {
		return fmt.Errorf("redisstore: Options.%s is longer than %d bytes", field, maxNameLen)
	}
	if i := strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(forbidden, r)
	}); i >= 0 {
		return fmt.Errorf("redisstore: Options.%s %q may not contain %q", field, v, v[i:i+1])
	}
	return nil
}

// TokenKey returns the Redis key holding the token, "mindpeeker:{namespace:key}:token".
func (s *Store) TokenKey() string { return s.tokenKey }

// LockKey returns the Redis key of the lock, "mindpeeker:{namespace:key}:lock".
func (s *Store) LockKey() string { return s.lockKey }

// GenerationKey returns the Redis key holding the stored token's generation (see
// [Store.SaveIf]), "mindpeeker:{namespace:key}:gen": a decimal counter, nothing
// secret.
func (s *Store) GenerationKey() string { return s.genKey }

var (
	// loadScript reads the token (bounded, as GETRANGE) and its generation in
	// one atomic step, and whether the token key exists when its value is empty.
	loadScript = redis.NewScript(`
local v = redis.call("GETRANGE", KEYS[1], 0, ARGV[1])
local n = 1
if v == "" then n = redis.call("EXISTS", KEYS[1]) end
return {n, v, redis.call("GET", KEYS[2]) or "0"}`)
	// saveScript stores a value as the next generation, only if the current
	// generation is ARGV[3] (unless that is empty), with ARGV[2] milliseconds of
	// expiry on both keys (none when 0). It returns {saved, generation}.
	saveScript = redis.NewScript(`
local g = tonumber(redis.call("GET", KEYS[2]) or "0")
if ARGV[3] ~= "" and g ~= tonumber(ARGV[3]) then return {0, g} end
g = string.format("%d", g + 1)
if ARGV[2] ~= "0" then
	redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
	redis.call("SET", KEYS[2], g, "PX", ARGV[2])
else
	redis.call("SET", KEYS[1], ARGV[1])
	redis.call("SET", KEYS[2], g)
end
return {1, g}`)
	// deleteScript deletes the token and moves the generation on, so that a
	// renewer that loaded the deleted token cannot save over the deletion.
	deleteScript = redis.NewScript(`
redis.call("DEL", KEYS[1])
return redis.call("INCR", KEYS[2])`)
)

// storedToken is the JSON inside a value: the token plus the extra fields worth keeping.
type storedToken struct {
	*oauth2.Token
	Scope   string `json:"scope,omitempty"`
	IDToken string `json:"id_token,omitempty"`
}

// Load returns the stored token, or nil and no error when there is none. It
// fails with [ErrUndecryptable] or [ErrNotEncrypted] (wrapped) when the stored
// value is not one this Store may trust, and with the Redis error when Redis
// cannot be reached; an [auth.Source] then logs a warning and renews from its
// grant.
func (s *Store) Load(ctx context.Context) (*oauth2.Token, error) {
	tok, _, err := s.LoadGeneration(ctx)
	return tok, err
}

// LoadGeneration is [Store.Load], and also returns the token's generation: the
// number of saves and deletions so far, 0 for a token saved by a version of
// this package without generations. Token and generation are read in one
// atomic step (a script).
func (s *Store) LoadGeneration(ctx context.Context) (*oauth2.Token, uint64, error) {
	// GETRANGE, not GET: a value larger than any token is never read whole.
	res, err := loadScript.Run(ctx, s.rdb, []string{s.tokenKey, s.genKey}, maxValueSize).Slice()
	if err != nil {
		return nil, 0, wrapErr(ctx, "loading the token", err)
	}
	exists, raw, gen, err := parseLoad(res)
	if err != nil {
		return nil, 0, err
	}
	if !exists { // an empty value (never one this Store wrote) is an error below
		return nil, gen, nil
	}
	tok, err := s.decode(raw)
	return tok, gen, err
}

// parseLoad reads loadScript's answer.
func parseLoad(res []any) (exists bool, raw []byte, gen uint64, err error) {
	if len(res) != 3 {
		return false, nil, 0, errors.New("redisstore: loading the token: unexpected answer from Redis")
	}
	n, _ := res[0].(int64)
	v, ok1 := res[1].(string)
	g, ok2 := res[2].(string)
	if !ok1 || !ok2 {
		return false, nil, 0, errors.New("redisstore: loading the token: unexpected answer from Redis")
	}
	if gen, err = strconv.ParseUint(g, 10, 64); err != nil {
		return false, nil, 0, fmt.Errorf("redisstore: the stored generation %.20q is not a number", g)
	}
	return n == 1, []byte(v), gen, nil
}

// decode turns a stored value into a token.
func (s *Store) decode(raw []byte) (*oauth2.Token, error) {
	if len(raw) > maxValueSize {
		return nil, fmt.Errorf("redisstore: the stored token is larger than %d bytes", maxValueSize)
	}
	data := raw
	var err error
	switch {
	case len(raw) > 0 && raw[0] == '{':
		if !s.allowPlaintext {
			return nil, ErrNotEncrypted
		}
	case s.sealer == nil:
		return nil, fmt.Errorf("%w: it is encrypted and the Store has no encryption key", ErrUndecryptable)
	default:
		if data, err = s.sealer.open(raw, s.tokenKey); err != nil {
			return nil, err
		}
	}
	st := storedToken{Token: new(oauth2.Token)}
	if err := json.Unmarshal(data, &st); err != nil {
		// The error names a position, never the content.
		return nil, fmt.Errorf("redisstore: the stored token is not valid JSON: %w", err)
	}
	tok := st.Token
	if extra := st.extra(); len(extra) > 0 {
		tok = tok.WithExtra(extra)
	}
	return tok, nil
}

func (st *storedToken) extra() map[string]any {
	m := map[string]any{}
	if st.Scope != "" {
		m["scope"] = st.Scope
	}
	if st.IDToken != "" {
		m["id_token"] = st.IDToken
	}
	return m
}

// Save replaces the stored token with t: the JSON of t (access_token,
// token_type, refresh_token, expiry, expires_in, plus scope and id_token when
// the server sent them), encrypted with the first encryption key, with
// Options.TTL as its expiry when set. The generation moves on by one.
func (s *Store) Save(ctx context.Context, t *oauth2.Token) error {
	return s.save(ctx, t, "")
}

// SaveIf is [Store.Save] if the store still holds generation, and fails with an
// error wrapping [auth.ErrStale] otherwise, saving nothing: another process
// saved (or deleted) the token since this one loaded generation. The check and
// the write are one script, atomic on the Redis server. An [auth.Source] saves
// with it, so that a renewer that lost the lock never overwrites a newer token.
func (s *Store) SaveIf(ctx context.Context, t *oauth2.Token, generation uint64) error {
	return s.save(ctx, t, strconv.FormatUint(generation, 10))
}

// save runs saveScript, conditionally when ifGen is not empty.
func (s *Store) save(ctx context.Context, t *oauth2.Token, ifGen string) error {
	value, err := s.encode(t)
	if err != nil {
		return err
	}
	res, err := saveScript.Run(ctx, s.rdb, []string{s.tokenKey, s.genKey}, value, s.ttl.Milliseconds(), ifGen).Int64Slice()
	if err != nil {
		return wrapErr(ctx, "saving the token", err)
	}
	if len(res) != 2 {
		return errors.New("redisstore: saving the token: unexpected answer from Redis")
	}
	if res[0] == 0 {
		return fmt.Errorf("redisstore: saving the token: %w (generation %d, not %s)", auth.ErrStale, res[1], ifGen)
	}
	return nil
}

// encode turns t into the value stored: its JSON, sealed when the Store encrypts.
func (s *Store) encode(t *oauth2.Token) ([]byte, error) {
	if t == nil {
		return nil, errors.New("redisstore: Save: nil token")
	}
	st := storedToken{Token: t}
	st.Scope, _ = t.Extra("scope").(string)
	st.IDToken, _ = t.Extra("id_token").(string)
	value, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("redisstore: encoding the token: %w", err)
	}
	if s.sealer != nil {
		return s.sealer.seal(value, s.tokenKey)
	}
	return value, nil
}

// Delete removes the stored token, as a logout does, and moves the generation
// on, so that a renewal under way cannot save it back. It is not an error when
// there is none. The lock is left alone.
func (s *Store) Delete(ctx context.Context) error {
	if err := deleteScript.Run(ctx, s.rdb, []string{s.tokenKey, s.genKey}).Err(); err != nil {
		return wrapErr(ctx, "deleting the token", err)
	}
	return nil
}

// wrapErr describes a failed Redis command. When ctx has ended, the error
// wraps ctx.Err() too: go-redis may report a deadline as a network timeout.
func wrapErr(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("redisstore: %s: %w (%w)", op, ctxErr, err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// String describes the Store by its key names; keys and tokens are never shown.
func (s *Store) String() string {
	enc := "AES-256-GCM"
	switch {
	case s.sealer == nil:
		enc = "none (AllowPlaintext)"
	case len(s.sealer.keys) > 1:
		enc = fmt.Sprintf("AES-256-GCM, %d keys", len(s.sealer.keys))
	}
	return fmt.Sprintf("redisstore.Store{namespace: %q, key: %q, encryption: %s}", s.namespace, s.key, enc)
}

// GoString is String.
func (s *Store) GoString() string { return s.String() }

// LogValue logs the Store's names only.
func (s *Store) LogValue() slog.Value {
	return slog.GroupValue(slog.String("store", "redis"), slog.String("namespace", s.namespace),
		slog.String("key", s.key), slog.Bool("encrypted", s.sealer != nil))
}

var (
	_ auth.FencedStore = (*Store)(nil)
	_ auth.LeaseLocker = (*Store)(nil)
)
