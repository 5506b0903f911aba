package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/mindpeeker/mindpeeker-go/apikeys"
	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
	"github.com/mindpeeker/mindpeeker-go/sessions"
)

// scripted is an API server answering each request with the next body of a
// script (the last one again when the script is spent), counting requests.
type scripted struct {
	mu       sync.Mutex
	bodies   []string
	status   int
	requests []string
}

func newScripted(t *testing.T, status int, bodies ...string) (*scripted, *client.Client) {
	t.Helper()
	s := &scripted{bodies: bodies, status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
		body := s.bodies[min(len(s.requests), len(s.bodies))-1]
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(client.Config{BaseURL: srv.URL + "/v1", APIKey: "mpk_test", MaxRetries: -1})
	require.NoError(t, err)
	return s, c
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// badIDs are ids that would name another resource, or none, if sent.
var badIDs = []string{
	"", ".", "..", "../api-keys/key_1", "ses_1/../../api-keys/key_1", `..\api-keys`, "a/b",
	"ses_1?x=1", "ses_1#f", "%2e%2e", "ses%2F1", "ses 1", " ses_1", "ses_1\n", "ses_1\r\nX: y",
	"ses\x00", "ses\x7f", "sés_1", "ses_\u202e1", strings.Repeat("a", 129), "-rf", "_x",
}

func TestIDsAreNeverPaths(t *testing.T) {
	srv, c := newScripted(t, http.StatusOK, `{"id":"key_1","key":"mpk_x"}`)
	ctx := context.Background()
	calls := map[string]func(id string) error{
		"Sessions.Get":    func(id string) error { _, err := c.Sessions.Get(ctx, id); return err },
		"Sessions.Delete": func(id string) error { return c.Sessions.Delete(ctx, id) },
		"APIKeys.Get":     func(id string) error { _, err := c.APIKeys.Get(ctx, id); return err },
		"APIKeys.Revoke":  func(id string) error { return c.APIKeys.Revoke(ctx, id) },
		"APIKeys.Rotate":  func(id string) error { _, err := c.APIKeys.Rotate(ctx, id); return err },
	}
	for name, call := range calls {
		for _, id := range badIDs {
			t.Run(fmt.Sprintf("%s/%q", name, id), func(t *testing.T) {
				err := call(id)
				require.ErrorIs(t, err, client.ErrInvalidID)
				assert.Zero(t, srv.count(), "nothing is sent for id %q", id)
			})
		}
	}
	for _, id := range []string{"ses_0000000a1b2c3d4e", "key_AbC-09.x", "1", strings.Repeat("a", 128)} {
		_, err := c.APIKeys.Get(ctx, id)
		assert.NoError(t, err, "a legitimate id %q is accepted", id)
	}
}

func TestTwoXXThatIsNotTheObject(t *testing.T) {
	ctx := context.Background()
	bodies := []string{"null", "{}", `{"name":"x"}`, "[]", `"ses_1"`, "1", ""}
	for _, body := range bodies {
		t.Run(fmt.Sprintf("%q", body), func(t *testing.T) {
			_, c := newScripted(t, http.StatusOK, body)
			s, err := c.Sessions.Get(ctx, "ses_1")
			assert.Error(t, err, "Sessions.Get")
			assert.Nil(t, s)
			_, err = c.Sessions.Create(ctx, nil)
			assert.Error(t, err, "Sessions.Create")
			_, err = c.APIKeys.Get(ctx, "key_1")
			assert.Error(t, err, "APIKeys.Get")
			_, err = c.APIKeys.Create(ctx, nil)
			assert.Error(t, err, "APIKeys.Create")
			k, err := c.APIKeys.Rotate(ctx, "key_1")
			require.Error(t, err, "APIKeys.Rotate")
			assert.Nil(t, k)
			var de *client.DecodeError
			assert.ErrorAs(t, err, &de)
		})
	}
	t.Run("rotate without the new key", func(t *testing.T) {
		_, c := newScripted(t, http.StatusCreated, `{"id":"key_2","name":"ci"}`)
		_, err := c.APIKeys.Rotate(ctx, "key_1")
		require.ErrorIs(t, err, client.ErrNotObject)
		var ue *client.UnconfirmedError
		require.ErrorAs(t, err, &ue, "the rotation may stand: the caller gets the Idempotency-Key to fetch its answer")
		assert.NotEmpty(t, ue.IdempotencyKey)
		assert.Contains(t, err.Error(), "old key may already be revoked")
	})
}

func TestPaginationAlwaysEnds(t *testing.T) {
	page := func(next string, more bool, items ...string) string {
		return fmt.Sprintf(`{"data":[%s],"has_more":%t,"next_cursor":%q}`, strings.Join(items, ","), more, next)
	}
	item := `{"id":"ses_1"}`
	tests := []struct {
		name   string
		bodies []string
		max    int // requests at most
	}{
		{"cycle of one", []string{page("A", true, item)}, 3},
		{"cycle A B A", []string{page("A", true, item), page("B", true, item), page("A", true, item)}, 4},
		{"cycle of five", []string{page("A", true, item), page("B", true, item), page("C", true, item), page("D", true, item), page("E", true, item), page("B", true, item)}, 7},
		{"cycle back to the start", []string{page("A", true, item), page("", true, item)}, 3},
		{"null item", []string{`{"data":[{"id":"ses_1"},null],"has_more":false}`}, 1},
		{"null page", []string{"null"}, 1},
		{"empty pages forever", nil, 20},
	}
	for i := range 3000 {
		tests[len(tests)-1].bodies = append(tests[len(tests)-1].bodies, page(fmt.Sprint("c", i), true))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newScripted(t, http.StatusOK, tt.bodies...)
			var errs []error
			n := 0
			for s, err := range c.Sessions.List(context.Background(), nil) {
				if n++; n > 100 {
					break
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				require.NotNil(t, s, "an item without an error is never nil")
			}
			require.Len(t, errs, 1, "the listing ends with one error")
			assert.ErrorIs(t, errs[0], client.ErrPagination)
			assert.LessOrEqual(t, srv.count(), tt.max)
		})
	}
}

func TestServerTextIsBoundedAndClean(t *testing.T) {
	hostile := "\x1b[2J\x1b]0;owned\x07" + strings.Repeat("A\x1b[31m\r\n", 200_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_1"+strings.Repeat("r", 5000))
		if r.URL.Path == "/token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":"invalid_client\u001b[0m","error_description":%s}`, jsonString(hostile[:500_000]))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":"invalid_request","message":%s}}`, jsonString(hostile[:60_000]))
	}))
	defer srv.Close()
	for name, cfg := range map[string]client.Config{
		"api error":   {BaseURL: srv.URL, APIKey: "mpk_x"},
		"token error": {BaseURL: srv.URL, TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "cs"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := client.New(cfg)
			require.NoError(t, err)
			_, err = c.Sessions.Get(context.Background(), "ses_1")
			require.Error(t, err)
			msg := err.Error()
			assert.Less(t, len(msg), 1500, "bounded")
			assert.NotContains(t, msg, "\x1b")
			assert.NotContains(t, msg, "\r")
			assert.NotContains(t, msg, "\n")
			assert.NotContains(t, msg, "\a")
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type nilSource struct{ tok *oauth2.Token }

func (s nilSource) Token() (*oauth2.Token, error) { return s.tok, nil }

type headerFunc func() (string, string)

func (f headerFunc) AuthHeader(context.Context) (string, string, error) {
	n, v := f()
	return n, v, nil
}

func TestConfigMistakesFailAtNew(t *testing.T) {
	for name, cfg := range map[string]client.Config{
		"api key with CRLF":    {APIKey: "mpk_x\r\nX-Evil: 1"},
		"api key with LF":      {APIKey: "mpk_x\n"},
		"api key with NUL":     {APIKey: "mpk\x00x"},
		"user agent with CRLF": {APIKey: "mpk_x", UserAgent: "app/1\r\nX-Evil: 1"},
		"user agent with DEL":  {APIKey: "mpk_x", UserAgent: "app\x7f"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := client.New(cfg)
			require.ErrorIs(t, err, client.ErrInvalidHeader)
			assert.NotContains(t, err.Error(), "mpk_x", "the value is not quoted")
		})
	}
}

func TestBuggyCollaboratorsAreErrors(t *testing.T) {
	base := httptest.NewServer(http.NotFoundHandler())
	defer base.Close()
	for name, cfg := range map[string]client.Config{
		"token source (nil, nil)":         {TokenSource: nilSource{}},
		"token source empty access token": {TokenSource: nilSource{&oauth2.Token{}}},
		"token with CRLF":                 {TokenSource: nilSource{&oauth2.Token{AccessToken: "a\r\nX: y"}}},
		"grant (nil, nil)": {TokenSource: auth.NewSource(auth.GrantFunc(func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return nil, nil
		}))},
		"credential with an empty name": {Credential: headerFunc(func() (string, string) { return "", "v" })},
		"credential with a bad name":    {Credential: headerFunc(func() (string, string) { return "X Evil:", "v" })},
		"credential value with CRLF":    {Credential: headerFunc(func() (string, string) { return "X-Deki-Token", "v\r\nX: y" })},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.BaseURL, cfg.MaxRetries = base.URL, 3
			c, err := client.New(cfg)
			require.NoError(t, err)
			var ue *client.UnconfirmedError
			assert.NotPanics(t, func() {
				_, err = c.Sessions.Create(context.Background(), &sessions.CreateParams{Title: "x"})
			})
			require.Error(t, err)
			assert.False(t, errors.As(err, &ue), "never sent, so not unconfirmed: %v", err)
		})
	}
}

// TestListingResumesFromItsCursor stops a listing after its first page (the
// program dies) and resumes it from that page's NextCursor, against the
// independent fake: every item exactly once, for sessions and API keys.
func TestListingResumesFromItsCursor(t *testing.T) {
	srv := mindpeekertest.NewServer()
	defer srv.Close()
	var wantSessions, wantKeys []string
	for i := range 11 {
		wantSessions = append(wantSessions, srv.CreateSession(fmt.Sprint("s", i)))
		id, _ := srv.CreateAPIKey(fmt.Sprint("k", i), client.ScopeRemoteViewingRead)
		wantKeys = append(wantKeys, id)
	}
	c, err := client.New(client.Config{BaseURL: srv.APIURL(), TokenURL: srv.TokenURL(),
		ClientID: mindpeekertest.DefaultClientID, ClientSecret: mindpeekertest.DefaultClientSecret})
	require.NoError(t, err)
	ctx := context.Background()

	var got []string
	var cursor string
	for page, err := range c.Sessions.ListPages(ctx, &sessions.ListParams{Limit: 4}) {
		require.NoError(t, err)
		for _, s := range page.Data {
			got = append(got, s.ID)
		}
		cursor = page.NextCursor
		break // dies here
	}
	require.NotEmpty(t, cursor)
	for s, err := range c.Sessions.List(ctx, &sessions.ListParams{Limit: 4, Cursor: cursor}) {
		require.NoError(t, err)
		got = append(got, s.ID)
	}
	assert.Equal(t, wantSessions, got, "sessions: each exactly once, in order")

	got, cursor = nil, ""
	for page, err := range c.APIKeys.ListPages(ctx, &apikeys.ListParams{Limit: 3}) {
		require.NoError(t, err)
		for _, k := range page.Data {
			got = append(got, k.ID)
		}
		if cursor = page.NextCursor; len(got) >= 6 {
			break // dies after two pages
		}
	}
	for k, err := range c.APIKeys.List(ctx, &apikeys.ListParams{Limit: 3, Cursor: cursor}) {
		require.NoError(t, err)
		got = append(got, k.ID)
	}
	assert.Equal(t, wantKeys, got, "API keys: each exactly once, in order")
}
