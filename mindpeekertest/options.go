package mindpeekertest

import "time"

// Default credentials every new Server knows. Both clients may ask for every
// scope, and the user may sign in through either of them.
const (
	// DefaultClientID is a confidential client allowed the
	// client_credentials, password, refresh_token and authorization_code
	// grants. It authenticates with DefaultClientSecret.
	DefaultClientID = "mp-test-client"
	// DefaultClientSecret is the secret of DefaultClientID.
	DefaultClientSecret = "mp-test-secret"
	// PublicClientID is a public client (no secret) allowed the password,
	// refresh_token and authorization_code grants; the authorization code
	// grant requires PKCE (S256) for it.
	PublicClientID = "mp-public-client"
	// DefaultUsername is the user the password grant accepts and as whom
	// the authorize endpoint consents.
	DefaultUsername = "alice"
	// DefaultPassword is the password of DefaultUsername.
	DefaultPassword = "wonderland"
)

const (
	defaultTokenLifetime = time.Hour
	authCodeLifetime     = 60 * time.Second
	idempotencyTTL       = 24 * time.Hour
	// DefaultRequestLog is how many requests Server.Requests keeps by
	// default: the most recent ones; older ones are dropped.
	DefaultRequestLog = 10_000
)

// config is what the Options of NewServer set.
type config struct {
	now            func() time.Time
	tokenLifetime  time.Duration
	tokenLatency   time.Duration
	lenientRefresh bool
	seedData       bool
	requestLog     int
}

func defaultConfig() config {
	return config{now: time.Now, tokenLifetime: defaultTokenLifetime, requestLog: DefaultRequestLog}
}

// Option configures a Server at construction. Behaviour that tests change
// midway has a Set method on Server instead.
type Option func(*config)

// WithClock sets the server's notion of time: token, authorization code, API
// key and idempotency record expiry, and every created_at, are judged with
// now. Use a function whose result your test advances to expire tokens
// without sleeping. now must be safe for concurrent use. Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithTokenLifetime sets the lifetime (expires_in) of the access tokens the
// server issues. Default one hour. See also Server.SetTokenLifetime.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) { c.tokenLifetime = d }
}

// WithTokenLatency makes the token endpoint wait d before answering, to test
// single-flight token renewal and timeouts. The wait ends early when the
// request's context is done or the server is closed. See also
// Server.SetTokenLatency.
func WithTokenLatency(d time.Duration) Option {
	return func(c *config) { c.tokenLatency = d }
}

// WithLenientRefresh makes the server accept a refresh token that was
// already spent (the behaviour of many real servers), instead of the strict
// default that refuses it with invalid_grant and revokes its whole family.
// The reuse is counted in Stats.SpentRefreshReuse either way.
func WithLenientRefresh() Option {
	return func(c *config) { c.lenientRefresh = true }
}

// WithSeedData starts the server with three sessions and one API key, so
// that demos and examples have something to list.
func WithSeedData() Option {
	return func(c *config) { c.seedData = true }
}

// WithRequestLog sets how many requests Server.Requests keeps: the most
// recent n, older ones being dropped. n <= 0 disables recording altogether
// (Requests then returns nil), which a long-running fake that nobody
// inspects may prefer, since recorded headers include credentials. Stats
// are counted either way. Default DefaultRequestLog.
func WithRequestLog(n int) Option {
	return func(c *config) { c.requestLog = max(n, 0) }
}
