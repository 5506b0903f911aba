package auth_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

func TestOriginMatches(t *testing.T) {
	for _, tt := range []struct {
		origin, u string
		want      bool
	}{
		{"https://api.example.com/v1", "https://api.example.com/other?x=1", true},
		{"https://api.example.com", "https://API.Example.COM/", true},
		{"HTTPS://api.example.com", "https://api.example.com", true},
		{"https://api.example.com", "https://api.example.com:443/", true},
		{"https://api.example.com:443", "https://api.example.com", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/x", true},
		{"http://[::1]:8080", "http://[::1]:8080/x", true},
		{"https://api.example.com", "http://api.example.com", false},
		{"https://api.example.com", "https://api.example.com:8443", false},
		{"http://api.example.com", "http://api.example.com:443", false},
		{"https://api.example.com", "https://api.example.com.evil.test", false},
		{"https://api.example.com", "https://evil.test/api.example.com", false},
		{"https://api.example.com", "https://user@evil.test", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8081", false},
		{"http://[::1]:8080", "http://[::2]:8080", false},
		// Only ASCII letters fold: "ſ" (long s) is not "s" to DNS.
		{"https://s.example.com", "https://ſ.example.com", false},
		{"https://bücher.example", "https://BÜCHER.example", true},
	} {
		o := auth.OriginOf(mustURL(tt.origin))
		u := mustURL(tt.u)
		assert.Equal(t, tt.want, o.Matches(u), "%s against %s", tt.u, tt.origin)
		assert.Equal(t, tt.want, auth.OriginOf(u) == o, "%s against %s: OriginOf", tt.u, tt.origin)
	}
	assert.Equal(t, "https://api.example.com:443", auth.OriginOf(mustURL("https://API.example.com/v1")).String())
	assert.Equal(t, "http://[::1]:8080", auth.OriginOf(mustURL("http://[::1]:8080")).String())
}

// TestOriginMatchesAllocatesNothing: Matches runs for every request sent
// through HTTPClient and every redirect hop.
func TestOriginMatchesAllocatesNothing(t *testing.T) {
	o := auth.OriginOf(mustURL("https://api.example.com/v1"))
	u, err := url.Parse("https://API.example.com/v1/sessions")
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(100, func() { o.Matches(u) }))
}

func mustURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}
