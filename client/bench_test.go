package client_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

const sessionJSON = `{"id":"ses_123","title":"Coordinates 4471","status":"active","target_id":"tgt_9","notes":"first impressions: water, a tower","created_at":"2026-11-23T10:00:00Z","updated_at":"2026-11-23T10:05:00Z"}`

// benchServer answers GET /v1/sessions/{id} for a fixed bearer token, as the
// same local peer for the SDK and for raw net/http.
func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer bench-token" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, sessionJSON)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

// BenchmarkGet compares the SDK's typed Sessions.Get with the default
// configuration (impl=sdk) with the least
// a careful program does with raw net/http (impl=raw): a request with a fixed
// bearer header, the same JSON decoded, the body drained so the connection is
// reused; and with the naive composition of the same libraries (impl=naive).
// Compare with: benchstat -col /impl. The server runs in this process, so
// its allocations are counted too; BENCHMARKS.md's figures come from
// internal/testing/benchharness, which interleaves the calls and keeps the
// server in another process.
func BenchmarkGet(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
	b.Run("impl=raw", func(b *testing.B) {
		hc := newHTTPClient()
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/sessions/ses_123", nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer bench-token")
			req.Header.Set("Accept", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var s sessions.Session
			if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("impl=sdk", func(b *testing.B) {
		// The SDK's own token path: an auth.Source serving its cached token.
		src := auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "bench-token", ExpiresIn: 3600}, nil
		}))
		c, err := client.New(client.Config{BaseURL: srv.URL + "/v1", TokenSource: src}) // the default configuration
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Sessions.Get(ctx, "ses_123"); err != nil {
				b.Fatal(err)
			}
		}
	})
	// naive: the composition a program would assemble from the same
	// libraries without this SDK: oauth2.ReuseTokenSource + oauth2.Transport
	// under go-retryablehttp, decoding the same JSON.
	b.Run("impl=naive", func(b *testing.B) {
		ts := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token", Expiry: time.Now().Add(time.Hour)}))
		rc := retryablehttp.NewClient()
		rc.Logger = nil
		rc.HTTPClient = &http.Client{Transport: &oauth2.Transport{Source: ts, Base: newHTTPClient().Transport}}
		b.ReportAllocs()
		for b.Loop() {
			req, err := retryablehttp.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/sessions/ses_123", nil)
			if err != nil {
				b.Fatal(err)
			}
			resp, err := rc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var s sessions.Session
			if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkListPage reads one page of 20 sessions, SDK against raw net/http.
func BenchmarkListPage(b *testing.B) {
	page := `{"data":[` + strings.TrimSuffix(strings.Repeat(sessionJSON+",", 20), ",") + `],"has_more":false}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, page)
	}))
	b.Cleanup(srv.Close)
	ctx := context.Background()
	b.Run("impl=raw", func(b *testing.B) {
		hc := newHTTPClient()
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/sessions?limit=20", nil)
			req.Header.Set("Authorization", "Bearer bench-token")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var p struct {
				Data    []*sessions.Session `json:"data"`
				HasMore bool                `json:"has_more"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || len(p.Data) != 20 {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("impl=sdk", func(b *testing.B) {
		c, err := client.New(client.Config{BaseURL: srv.URL + "/v1", HTTPClient: newHTTPClient(),
			TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token"})})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range c.Sessions.List(ctx, &sessions.ListParams{Limit: 20}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != 20 {
				b.Fatal(n)
			}
		}
	})
}
