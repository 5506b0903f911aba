package redisstore_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth/redisstore"
)

const (
	secretAccess  = "access-token-SECRET-1234567890"
	secretRefresh = "refresh-token-SECRET-0987654321"
)

func sampleToken() *oauth2.Token {
	tok := &oauth2.Token{
		AccessToken: secretAccess, TokenType: "Bearer", RefreshToken: secretRefresh,
		Expiry: time.Date(2030, 1, 2, 3, 4, 5, 6e8, time.UTC), ExpiresIn: 3600,
	}
	return tok.WithExtra(map[string]any{"scope": "sessions:read apikeys:write"})
}

func assertSameToken(t *testing.T, want, got *oauth2.Token) {
	t.Helper()
	require.NotNil(t, got)
	assert.Equal(t, want.AccessToken, got.AccessToken)
	assert.Equal(t, want.TokenType, got.TokenType)
	assert.Equal(t, want.RefreshToken, got.RefreshToken)
	assert.True(t, want.Expiry.Equal(got.Expiry), "expiry %s, want %s", got.Expiry, want.Expiry)
	assert.Equal(t, want.ExpiresIn, got.ExpiresIn)
	assert.Equal(t, want.Extra("scope"), got.Extra("scope"))
}

func TestStoreRoundTripEncrypted(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	st := newStore(t, rdb, "client/alice")
	assert.Equal(t, "mindpeeker:{test:client/alice}:token", st.TokenKey())
	assert.Equal(t, "mindpeeker:{test:client/alice}:lock", st.LockKey())

	got, err := st.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, got, "an empty store loads nil")

	require.NoError(t, st.Save(ctx, sampleToken()))
	got, err = st.Load(ctx)
	require.NoError(t, err)
	assertSameToken(t, sampleToken(), got)

	raw, err := rdb.Get(ctx, st.TokenKey()).Bytes()
	require.NoError(t, err)
	for _, secret := range []string{secretAccess, secretRefresh, "sessions:read", "expiry"} {
		assert.NotContains(t, string(raw), secret, "the stored value shows %q", secret)
	}
	assert.Equal(t, time.Duration(-1), rdb.PTTL(ctx, st.TokenKey()).Val(), "no TTL by default")

	require.NoError(t, st.Save(ctx, sampleToken()))
	raw2 := rdb.Get(ctx, st.TokenKey()).Val()
	assert.NotEqual(t, string(raw), raw2, "each write uses a new nonce")

	require.NoError(t, st.Delete(ctx))
	got, err = st.Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, got)
	require.NoError(t, st.Delete(ctx), "deleting nothing is fine")
}

func TestStoreRefusesTamperedValues(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	st := newStore(t, rdb, "tamper")
	require.NoError(t, st.Save(ctx, sampleToken()))
	good, err := rdb.Get(ctx, st.TokenKey()).Bytes()
	require.NoError(t, err)

	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name  string
		value []byte
	}{
		{"format byte", flip(0)},
		{"key id", flip(1)},
		{"nonce", flip(6)},
		{"ciphertext", flip(len(good) / 2)},
		{"tag", flip(len(good) - 1)},
		{"truncated", good[:len(good)-1]},
		{"too short", good[:20]},
		{"empty", []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, rdb.Set(ctx, st.TokenKey(), tt.value, 0).Err())
			got, err := st.Load(ctx)
			require.ErrorIs(t, err, redisstore.ErrUndecryptable)
			assert.Nil(t, got)
		})
	}
}

func TestStoreRefusesValueMovedToAnotherName(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	alice, bob := newStore(t, rdb, "client/alice"), newStore(t, rdb, "client/bob")
	otherNS := newStore(t, rdb, "client/alice", func(o *redisstore.Options) { o.Namespace = "other" })
	require.NoError(t, alice.Save(ctx, sampleToken()))
	raw := rdb.Get(ctx, alice.TokenKey()).Val()

	for _, st := range []*redisstore.Store{bob, otherNS} {
		require.NoError(t, rdb.Set(ctx, st.TokenKey(), raw, 0).Err())
		_, err := st.Load(ctx)
		require.ErrorIs(t, err, redisstore.ErrUndecryptable, "%s accepted %s's value", st, alice)
		assert.ErrorContains(t, err, "another key name")
	}
}

func TestStoreKeyRotation(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	oldKey, newKey := testKey(1), testKey(2)
	keys := func(ks ...[]byte) func(*redisstore.Options) {
		return func(o *redisstore.Options) { o.EncryptionKeys = ks }
	}
	before := newStore(t, rdb, "rotate", keys(oldKey))
	during := newStore(t, rdb, "rotate", keys(newKey, oldKey))
	after := newStore(t, rdb, "rotate", keys(newKey))

	require.NoError(t, before.Save(ctx, sampleToken()))
	got, err := during.Load(ctx)
	require.NoError(t, err, "the old key still decrypts once listed after the new one")
	assertSameToken(t, sampleToken(), got)
	_, err = after.Load(ctx)
	require.ErrorIs(t, err, redisstore.ErrUndecryptable)
	assert.ErrorContains(t, err, "not in Options.EncryptionKeys")

	require.NoError(t, during.Save(ctx, sampleToken())) // the next renewal rewrites with the new key
	got, err = after.Load(ctx)
	require.NoError(t, err)
	assertSameToken(t, sampleToken(), got)
	_, err = before.Load(ctx)
	require.ErrorIs(t, err, redisstore.ErrUndecryptable, "a value written with the new key needs the new key")
}

func TestStorePlaintext(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	plain, err := redisstore.New(rdb, redisstore.Options{Namespace: "test", Key: "plain", AllowPlaintext: true})
	require.NoError(t, err)
	assert.Contains(t, plain.String(), "none (AllowPlaintext)")
	require.NoError(t, plain.Save(ctx, sampleToken()))
	raw := rdb.Get(ctx, plain.TokenKey()).Val()
	assert.True(t, strings.HasPrefix(raw, "{"), "stored as JSON")
	assert.Contains(t, raw, `"expires_in":3600`)
	got, err := plain.Load(ctx)
	require.NoError(t, err)
	assertSameToken(t, sampleToken(), got)

	// An encrypting Store does not trust a plaintext value...
	enc := newStore(t, rdb, "plain")
	_, err = enc.Load(ctx)
	require.ErrorIs(t, err, redisstore.ErrNotEncrypted)
	// ...unless AllowPlaintext says it is migrating, and then it writes encrypted.
	migrating := newStore(t, rdb, "plain", func(o *redisstore.Options) { o.AllowPlaintext = true })
	got, err = migrating.Load(ctx)
	require.NoError(t, err)
	require.NoError(t, migrating.Save(ctx, got))
	got, err = enc.Load(ctx)
	require.NoError(t, err)
	assertSameToken(t, sampleToken(), got)

	// A Store without a key cannot read an encrypted value.
	_, err = plain.Load(ctx)
	require.ErrorIs(t, err, redisstore.ErrUndecryptable)
}

func TestStoreTTL(t *testing.T) {
	rdb := startRedis(t).Client(t)
	ctx := t.Context()
	st := newStore(t, rdb, "ttl", func(o *redisstore.Options) { o.TTL = 8 * 24 * time.Hour })
	require.NoError(t, st.Save(ctx, sampleToken()))
	ttl := rdb.PTTL(ctx, st.TokenKey()).Val()
	assert.Greater(t, ttl, 8*24*time.Hour-time.Minute)
	assert.LessOrEqual(t, ttl, 8*24*time.Hour)
}

func TestStoreRefusesOversizedValue(t *testing.T) {
	rdb := startRedis(t).Client(t)
	st := newStore(t, rdb, "big")
	require.NoError(t, rdb.Set(t.Context(), st.TokenKey(), bytes.Repeat([]byte{1}, 1<<20+1), 0).Err())
	_, err := st.Load(t.Context())
	require.ErrorContains(t, err, "larger than")
}

func TestStoreSaveNil(t *testing.T) {
	st := newStore(t, redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), "nil")
	require.Error(t, st.Save(t.Context(), nil))
}

func TestNewValidatesOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	t.Cleanup(func() { _ = rdb.Close() })
	valid := redisstore.Options{Namespace: "myapp", Key: "client-id/user", EncryptionKeys: [][]byte{testKey(1)}}
	tests := []struct {
		name    string
		mod     func(*redisstore.Options)
		wantErr string
		is      error
	}{
		{"valid", func(*redisstore.Options) {}, "", nil},
		{"no key", func(o *redisstore.Options) { o.EncryptionKeys = nil }, "no encryption key", redisstore.ErrNoEncryptionKey},
		{"plaintext allowed", func(o *redisstore.Options) { o.EncryptionKeys, o.AllowPlaintext = nil, true }, "", nil},
		{"short key", func(o *redisstore.Options) { o.EncryptionKeys = [][]byte{make([]byte, 16)} }, "is 16 bytes, want 32", nil},
		{"short old key", func(o *redisstore.Options) { o.EncryptionKeys = append(o.EncryptionKeys, nil) }, "key 1 is 0 bytes", nil},
		{"empty namespace", func(o *redisstore.Options) { o.Namespace = "" }, "Namespace is empty", nil},
		{"colon in namespace", func(o *redisstore.Options) { o.Namespace = "a:b" }, `may not contain ":"`, nil},
		{"empty key", func(o *redisstore.Options) { o.Key = "" }, "Key is empty", nil},
		{"brace in key", func(o *redisstore.Options) { o.Key = "a}b" }, `may not contain "}"`, nil},
		{"space in key", func(o *redisstore.Options) { o.Key = "a b" }, `may not contain " "`, nil},
		{"long key", func(o *redisstore.Options) { o.Key = strings.Repeat("k", 513) }, "longer than", nil},
		{"colon in key", func(o *redisstore.Options) { o.Key = "tenant:client/user" }, "", nil},
		{"negative TTL", func(o *redisstore.Options) { o.TTL = -time.Second }, "negative TTL", nil},
		{"tiny lock TTL", func(o *redisstore.Options) { o.LockTTL = time.Millisecond }, "below the minimum", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := valid
			tt.mod(&opts)
			st, err := redisstore.New(rdb, opts)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, st)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
		})
	}
	_, err := redisstore.New(nil, valid)
	require.Error(t, err)
}

func TestSecretsAreRedacted(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	key := []byte("0123456789abcdef0123456789ABCDEF")
	opts := redisstore.Options{Namespace: "myapp", Key: "client/alice", EncryptionKeys: [][]byte{key, testKey(7)}}
	st, err := redisstore.New(rdb, opts)
	require.NoError(t, err)

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("x", "store", st, "opts", opts)
	var out strings.Builder
	for _, v := range []any{st, opts, &opts} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	all := out.String() + logs.String()
	for _, leak := range []string{string(key), hex.EncodeToString(key), base64.StdEncoding.EncodeToString(key),
		fmt.Sprint(key), fmt.Sprint(testKey(7)), "0123456789"} {
		assert.NotContains(t, all, leak)
	}
	assert.Contains(t, all, "client/alice", "the names are shown")
	assert.Contains(t, all, "encryption_keys: 2", "the keys are counted, not shown")
}
