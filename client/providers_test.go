package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/client"
)

// The tests in this file check every guarantee of client.Do and
// client.HTTPClient against the APIs other than MindPeeker's that the SDK
// serves, each one a server written from its seed document alone
// (../shared/seeds/; see the seedSite constructors in providers_sites_test.go):
// a 401 renewed once (final for MindTouch, whose credential is a signature
// computed per request: there is nothing to renew, and a re-signed retry of a
// refused signature would be refused again), a 429's Retry-After waited, a 5xx
// retried, the API's own error shape typed as *APIError, and no credential on
// another origin, asked for directly or through a redirect.
//
// They run in a synctest bubble over an in-process transport, so that the
// waits are measured on a fake clock: deterministic and instant.

const (
	siteBase  = "http://127.0.0.1:1" // the API's origin
	otherBase = "http://127.0.0.2:1" // another origin, which must see no credential
	otherPath = otherBase + "/elsewhere"
)

// seedSite is one API as its document describes it.
type seedSite struct {
	name string
	// mux serves the API's token endpoint, if it has one; the common resource
	// handlers are added by serve.
	mux *http.ServeMux
	// base is the API's base URL for client.Config; resource a GET under it
	// that answers 200 {"id":"1"} to an authorized request.
	base, resource string
	// authorized checks the credential of an API request.
	authorized func(r *http.Request) bool
	// writeError writes an error answer of the API's own shape.
	writeError func(w http.ResponseWriter, status int, code, message string)
	// configure sets the API's credential on cfg, whose HTTPClient is set.
	configure func(t *testing.T, cfg *client.Config)
	// revoke makes the credentials issued so far invalid.
	revoke func()
	// renewable: a 401 is renewed and retried once (bearer tokens); else final.
	renewable bool
	// wantCode and wantMessage are what the API's error shape carries into
	// *APIError for a 404 "not_found", "no such thing".
	wantCode, wantMessage string

	tokenRequests atomic.Int32

	mu     sync.Mutex
	faults []int // statuses to answer the resource with next (429 with Retry-After: 1, 503)
}

// inject makes the next requests of the resource answer status, once each.
func (s *seedSite) inject(status ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, status...)
}

func (s *seedSite) nextFault() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return 0
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f
}

// serve adds the resource, a missing resource, and a redirect to another origin.
func (s *seedSite) serve() http.Handler {
	path := strings.TrimPrefix(s.base, siteBase)
	resource, _, _ := strings.Cut(s.resource, "?")
	s.mux.HandleFunc("GET "+path+resource, func(w http.ResponseWriter, r *http.Request) {
		switch f := s.nextFault(); {
		case f == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "1")
			s.writeError(w, f, "rate_limited", "too many requests")
		case f != 0:
			s.writeError(w, f, "unavailable", "try again")
		case !s.authorized(r):
			s.writeError(w, http.StatusUnauthorized, "invalid_token", "the credential is not valid")
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"1"}`)
		}
	})
	s.mux.HandleFunc("GET "+path+"/missing", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, http.StatusNotFound, "not_found", "no such thing")
	})
	s.mux.HandleFunc("GET "+path+"/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherPath, http.StatusFound)
	})
	return s.mux
}

// twoOrigins routes requests in process: the site's origin to the site, any
// other to a recorder of the credential headers it was sent.
type twoOrigins struct {
	site http.Handler
	mu   sync.Mutex
	leak []string // credential headers seen by the other origin
}

func (o *twoOrigins) RoundTrip(req *http.Request) (*http.Response, error) {
	h := o.site
	if req.URL.Host != strings.TrimPrefix(siteBase, "http://") {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o.mu.Lock()
			defer o.mu.Unlock()
			for _, name := range []string{"Authorization", "X-Api-Key", "X-Deki-Token"} {
				if v := r.Header.Get(name); v != "" {
					o.leak = append(o.leak, name+": "+v)
				}
			}
			io.WriteString(w, `{"id":"elsewhere"}`)
		})
	}
	return handlerTransport{h}.RoundTrip(req)
}

func (o *twoOrigins) leaked() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.leak
}

// providerClient returns a client for site over an in-process transport.
func providerClient(t *testing.T, site *seedSite) (*client.Client, *twoOrigins) {
	origins := &twoOrigins{site: site.serve()}
	cfg := client.Config{BaseURL: site.base, HTTPClient: &http.Client{Transport: origins}, MaxRetryWait: 5 * time.Second}
	site.configure(t, &cfg)
	c, err := client.New(cfg)
	require.NoError(t, err)
	bases.Store(c, site.base)
	return c, origins
}

func TestProviders(t *testing.T) {
	sites := []func(*testing.T) *seedSite{mindbazSite, mindtouchSite, jsonLoginSite, mapsIndoorsSite}
	for _, newSite := range sites {
		for _, w := range ways {
			name := newSite(t).name + "/" + w.name
			t.Run(name, func(t *testing.T) {
				run := func(name string, f func(t *testing.T, site *seedSite, c *client.Client, origins *twoOrigins)) {
					t.Run(name, func(t *testing.T) {
						synctest.Test(t, func(t *testing.T) {
							site := newSite(t)
							c, origins := providerClient(t, site)
							f(t, site, c, origins)
						})
					})
				}
				ctx := context.Background()
				var got struct{ ID string }

				run("success", func(t *testing.T, site *seedSite, c *client.Client, _ *twoOrigins) {
					resp, err := w.get(ctx, c, site.resource, &got)
					require.NoError(t, err)
					assert.Equal(t, "1", got.ID)
					assert.Equal(t, 1, resp.Attempts)
				})
				run("401", func(t *testing.T, site *seedSite, c *client.Client, _ *twoOrigins) {
					_, err := w.get(ctx, c, site.resource, &got)
					require.NoError(t, err)
					logins := site.tokenRequests.Load()
					site.revoke()
					resp, err := w.get(ctx, c, site.resource, &got)
					if !site.renewable {
						require.ErrorIs(t, err, client.ErrUnauthorized, "a refused signature is final")
						assert.Equal(t, 1, resp.Attempts, "not retried")
						return
					}
					require.NoError(t, err)
					assert.Equal(t, 2, resp.Attempts, "the 401 and its renewed retry")
					assert.Equal(t, logins+1, site.tokenRequests.Load(), "renewed once")
				})
				run("429 Retry-After waited", func(t *testing.T, site *seedSite, c *client.Client, _ *twoOrigins) {
					site.inject(http.StatusTooManyRequests)
					start := time.Now()
					resp, err := w.get(ctx, c, site.resource, &got)
					require.NoError(t, err)
					assert.Equal(t, 2, resp.Attempts)
					assert.GreaterOrEqual(t, time.Since(start), time.Second)
				})
				run("5xx retried", func(t *testing.T, site *seedSite, c *client.Client, _ *twoOrigins) {
					site.inject(http.StatusServiceUnavailable, http.StatusServiceUnavailable)
					resp, err := w.get(ctx, c, site.resource, &got)
					require.NoError(t, err)
					assert.Equal(t, 3, resp.Attempts)
				})
				run("error typed", func(t *testing.T, site *seedSite, c *client.Client, _ *twoOrigins) {
					_, err := w.get(ctx, c, "/missing", &got)
					require.ErrorIs(t, err, client.ErrNotFound)
					var apiErr *client.APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
					assert.Equal(t, site.wantCode, apiErr.Code)
					assert.Equal(t, site.wantMessage, apiErr.Message)
				})
				run("no credential on another origin", func(t *testing.T, site *seedSite, c *client.Client, origins *twoOrigins) {
					_, err := w.get(ctx, c, otherPath, &got)
					require.NoError(t, err)
					assert.Equal(t, "elsewhere", got.ID)
					_, err = w.get(ctx, c, "/redirect", &got)
					require.NoError(t, err)
					assert.Equal(t, "elsewhere", got.ID, "the redirect was followed")
					assert.Empty(t, origins.leaked())
				})
			})
		}
	}
}

// decodeJSON reads a JSON request body into v.
func decodeJSON(r *http.Request, v any) bool { return json.NewDecoder(r.Body).Decode(v) == nil }

// form reads a form request body, as the documents that use one show it.
func form(r *http.Request) url.Values {
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		return nil
	}
	return r.PostForm
}
