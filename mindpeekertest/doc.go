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
//   - A POST with an Idempotency-Key runs once; repeats get the stored first
//     response with the header "Idempotent-Replayed: true". A repeat that
//     arrives while the first is still running waits for it (it never gets a
//     409), then is answered from the record.
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
