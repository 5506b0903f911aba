// Package redisstore keeps an OAuth 2.0 token in Redis so that every replica of
// a service shares one token instead of each obtaining its own.
//
// Each replica renewing on its own wastes client-credentials requests, and with
// single-use refresh tokens it is wrong: replicas race to spend the same refresh
// token, and a strict server answers the second one by revoking the whole token
// family. A [Store] is an [auth.Store] and an [auth.Locker]; given to each
// replica's [auth.Source] with [auth.WithStore], it makes the fleet behave as one
// client:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"}) // or a cluster, sentinel, TLS client
//	st, err := redisstore.New(rdb, redisstore.Options{
//		Namespace:      "myapp",
//		Key:            clientID + "/" + username,
//		EncryptionKeys: [][]byte{key}, // 32 bytes, the same in every replica
//	})
//	src := auth.NewSource(grant, auth.WithStore(st))
//
// # How the fleet renews
//
// A Source serves its cached token without touching Redis. When the token nears
// its end, the Source looks at the stored token and adopts it if another replica
// has already renewed; otherwise it takes the Store's lock, reloads the token
// under it, and only then calls the token endpoint, saving the new token before
// releasing the lock. The other replicas keep using the still-valid token
// meanwhile, or, when theirs has run out, wait; while the lock is held they look
// at the stored token every 25-50ms and adopt the new one as soon as it is saved,
// all together, rather than taking the lock one after the other. So a renewal
// costs the fleet one token request and a few Redis commands per replica
// (BENCHMARKS.md counts them for 10 to 1,000 replicas).
//
// Some servers (Ory Hydra and others built on fosite) revoke the previous access
// token when its refresh token is spent, so the other replicas' next call gets a
// 401. Sent through [auth.NewTransport], that call is retried once after
// [auth.Source.Invalidate], whose renewal adopts the stored token: still no
// extra token request.
//
// The lock is a Redis key set with SET NX and an expiry (Options.LockTTL, default
// 10s) holding a random owner token. Its holder extends it every LockTTL/3 while
// it runs, and releases it with a compare-and-delete script, so a holder never
// releases a lock that expired and was taken by another. A holder that crashes
// stops extending it: the others wait at most LockTTL. Waiters poll with backoff
// and jitter, at most 50ms apart.
//
// A lock with an expiry can be lost while held: a holder paused, or cut off from
// Redis, for longer than LockTTL, while the token endpoint stays reachable, may
// still be renewing when another replica takes over. Two things keep that from
// doing harm. The lease ([Store.LockLease], an [auth.LeaseLocker]) ends as soon
// as the holder learns of the loss, an extension finding another owner or none
// succeeding within LockTTL, and a Source checks it before spending a token or
// refresh token: it spends nothing, and renews again, adopting the new holder's
// token. And saves are fenced ([Store.SaveIf], an [auth.FencedStore]): each saved
// token has a generation, and a Source saves only if the store still holds the
// generation it loaded under the lock, so a renewer that learned too late (its
// request already answered) adopts the newer token instead of overwriting it.
// Only a loss in the instant between the check and the token request can still
// present a refresh token another replica spent. Keep LockTTL well above a Redis
// outage you expect to ride out, and well below the time the fleet can wait for
// a token.
//
// # When Redis is unavailable
//
// Calls keep working while the cached token is valid (cache hits never touch
// Redis). A renewal without a refresh token (client credentials) goes to the
// grant, with a logged warning, and keeps the new token in memory. A renewal
// that would spend a refresh token fails instead, with an error saying so: a
// refresh token shared by the fleet is spent only under the lock, since spending
// it twice can revoke it for everyone. That behaviour is [auth.Source]'s.
//
// How long a command takes to fail is the Redis client's choice: go-redis
// retries (MaxRetries, DialerRetries) for about two seconds by default, and a
// renewal makes about five commands. Lower those options for a faster fallback;
// [auth.WithRenewTimeout] bounds the whole renewal.
//
// # A rate limit shared by the fleet
//
// Replicas sharing a client id share its rate limit, so a 429 one of them gets
// is meant for all of them. A [RateGate], given to each replica's client
// (client.Config.RateGate), closes the gate for the API origin fleet-wide
// until the Retry-After ends: the other replicas wait for it instead of each
// collecting a 429 of its own.
//
//	gate, err := redisstore.NewRateGate(rdb, redisstore.RateGateOptions{Namespace: "myapp", Key: clientID})
//	defer gate.Stop()
//	c, err := client.New(client.Config{ClientID: clientID, ClientSecret: secret, RateGate: gate})
//
// The check before each attempt is answered from the replica's memory, kept
// up to date by a Redis subscription; a close costs one script on Redis,
// whatever the size of the fleet. Its state, at
// "mindpeeker:{namespace:key}:gate", is an origin and a time.
//
// # Keys in Redis
//
// The token is stored at "mindpeeker:{namespace:key}:token", its generation (a
// decimal counter, nothing secret) at "mindpeeker:{namespace:key}:gen" and the
// lock at "mindpeeker:{namespace:key}:lock". The hash tag {namespace:key} puts
// them in the same Redis Cluster slot, so that one script may read or write the
// token and its generation together. A token saved by a version of this package
// without generations is generation 0, and replicas of such a version read and
// write the token as before (their saves are not fenced). One Redis may serve many applications
// (namespaces), clients and users (keys). The token key has no expiry unless
// Options.TTL is set; set it a little past the refresh token's useful life so
// abandoned tokens do not linger.
//
// # Encryption at rest
//
// Values are encrypted with AES-256-GCM: a format byte, a 4-byte key id (from an
// HMAC of the key, so the key is not revealed), a random 12-byte nonce per write,
// then the ciphertext of the token's JSON (access and refresh token, type, expiry
// and expires_in, scope and id_token when present). The Redis key name is
// authenticated with it, so a value copied to another name does not decrypt.
// Options.EncryptionKeys lists the keys: the first encrypts, any of them decrypts,
// so a key is rotated by putting the new one first and keeping the old one until
// the next renewal has rewritten the token. [New] refuses to run without a key
// unless Options.AllowPlaintext is set, and a Store with keys refuses plaintext
// values it did not write (see [ErrNotEncrypted]).
//
// The Store's String, GoString and LogValue show its names, never keys or tokens.
//
// # Why this package is in the main module
//
// It imports github.com/redis/go-redis/v9, yet it lives in the SDK's module
// rather than a nested one, so it is versioned and released with the [auth]
// package it implements. A program that never imports it pays almost nothing:
// with module graph pruning (go 1.17 and later) its build downloads at most
// go-redis's go.mod file to resolve the module graph, never its source code, and
// compiles and links none of it.
package redisstore
