// Package mindpeekertest is a real, in-process fake of the MindPeeker API:
// the OAuth 2.0 token and authorize endpoints and the /v1 REST resources
// (sessions and API keys), with knobs to inject faults, delay or reformat
// token responses, revoke tokens and move the server's clock.
//
// It plays the role cloud.google.com/go/pubsub/pstest plays for Pub/Sub: the
// SDK's own test bed, the default server of the examples, and a public tool
// for users who want to test code that calls MindPeeker without a network.
// It deliberately imports nothing from the SDK and keeps its own wire types,
// written from the published contract, so it stays an independent check of
// the client rather than a mirror of its bugs.
//
// # Use in tests
//
//	srv := mindpeekertest.NewServer()
//	defer srv.Close()
//
//	// Point the SDK (or any HTTP client) at the fake:
//	//   BaseURL  = srv.APIURL()      e.g. http://127.0.0.1:41234/v1
//	//   TokenURL = srv.TokenURL()    e.g. http://127.0.0.1:41234/oauth2/token
//	//   ClientID = mindpeekertest.DefaultClientID
//	//   ClientSecret = mindpeekertest.DefaultClientSecret
//
//	srv.Inject(mindpeekertest.Fault{Kind: mindpeekertest.FaultStatus, Status: 503, Times: 2})
//	// ... exercise the code under test, then observe:
//	st := srv.Stats()
//
// The server starts with a confidential client (DefaultClientID /
// DefaultClientSecret), a public client (PublicClientID, which must use PKCE
// with the authorization code grant) and one user (DefaultUsername /
// DefaultPassword). All of them may ask for every scope. Add more with
// AddClient and AddUser; add data with CreateSession and CreateAPIKey, or
// start with demo data using WithSeedData.
//
// # Behaviour worth knowing
//
//   - Time: every expiry (access tokens, authorization codes, API keys,
//     idempotency records) is judged against the server clock, which is
//     time.Now unless WithClock gives another function. Advance that
//     function's result to expire tokens without sleeping.
//   - Refresh tokens are single-use and rotate. By default a reused (spent)
//     refresh token is refused with invalid_grant and revokes every token of
//     its family; WithLenientRefresh accepts it instead. Both modes count the
//     reuse in Stats.SpentRefreshReuse.
//   - Errors of the /v1 API use only the codes of the contract:
//     invalid_request 400 (also for an unknown method on a known route,
//     answered 405 with an Allow header), invalid_token 401, insufficient_scope
//     403, not_found 404, conflict 409, rate_limited 429, and internal for
//     every 5xx, injected ones included. The token endpoint answers OAuth
//     errors instead ({"error":"invalid_grant",...}).
//   - A POST with an Idempotency-Key runs once; repeats get the stored first
//     response with the header "Idempotent-Replayed: true". A repeat that
//     arrives while the first is still running waits for it (it never gets a
//     409), then is answered from the record. The same key with a different
//     body answers 409 conflict. Records expire after 24 hours of server
//     clock and are swept as new ones are stored.
//   - API keys cannot escalate scopes: a bearer token may create an API key
//     only with scopes it holds itself, and rotate only a key whose scopes
//     it holds (the new key keeps the old key's scopes); otherwise the
//     answer is 403 insufficient_scope naming the missing scopes. A token
//     with unrestricted scopes (IssueAccessToken with no scopes, or one
//     requested without a scope parameter by a client allowed every scope,
//     such as the default clients) may create or rotate any key. API keys
//     themselves cannot create, rotate or revoke keys.
//   - Requests keeps only the most recent DefaultRequestLog (10,000)
//     requests, and WithRequestLog(0) turns recording off, so a
//     long-running fake (such as "mindpeeker fake-server") stays bounded in
//     memory. Stats count every request either way.
//   - Faults (Inject) are checked after the request is recorded in Requests
//     and Stats, so faulted requests are counted too.
//   - Go's http.Transport silently retries a request whose reused
//     connection was closed before any answer if the request is replayable
//     (a GET, or any request carrying an Idempotency-Key header). Tests of
//     FaultDropBefore and FaultDropAfter that count requests should use a
//     transport without keep-alives, or expect that extra attempt.
//   - Nothing the server writes (responses, logs) contains a client secret,
//     a password, a token or a full API key, except the key itself in the
//     201 answer of a create or rotate call.
package mindpeekertest
