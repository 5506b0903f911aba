package mapsindoors_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors"
	"github.com/mindpeeker/mindpeeker-go/auth/mapsindoors/mapsindoorstest"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/internal/transport"
)

func TestListCreateDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	created, err := f.client.Create(ctx, "ci runner")
	require.NoError(t, err)
	assert.Equal(t, "ci runner", created.Description)
	assert.WithinDuration(t, time.Now(), created.CreatedAt, time.Minute)
	assert.True(t, f.srv.CanLogin(created.Secret))

	list, err := f.client.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, f.old.ID, list[0].ID)
	assert.Equal(t, "issued by MapsPeople", list[0].Description)
	assert.Equal(t, f.srv.ClientID, list[0].ClientID)
	assert.WithinDuration(t, time.Now(), list[0].CreatedAt, time.Minute)
	assert.Equal(t, created.ID, list[1].ID)

	require.NoError(t, f.client.Delete(ctx, created.ID))
	assert.False(t, f.srv.CanLogin(created.Secret))

	err = f.client.Delete(ctx, created.ID)
	var apiErr *mapsindoors.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.ErrorIs(t, err, client.ErrNotFound, "the module's sentinels")
	assert.Contains(t, err.Error(), "DELETE /api/clientcredentials")
	require.Error(t, f.client.Delete(ctx, ""))

	// One login served all the calls.
	assert.Equal(t, 1, f.srv.Stats().Logins)
}

func TestManagementRetriesOnceAfter401(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.client.List(ctx)
	require.NoError(t, err)

	f.srv.RevokeTokens()
	_, err = f.client.List(ctx)
	require.NoError(t, err)
	st := f.srv.Stats()
	assert.Equal(t, 2, st.Logins)
	assert.Equal(t, 1, st.Unauthorized)
}

func TestGrantFollowsTheStore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, err := f.client.Grant().Token(ctx, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)

	_, err = f.client.Rotate(ctx)
	require.NoError(t, err)
	_, err = f.client.Grant().Token(ctx, nil)
	require.NoError(t, err, "the grant uses the rotated secret")
	assert.Equal(t, 0, f.srv.Stats().FailedLogins)

	empty, err := mapsindoors.New(mapsindoors.Config{ClientID: "c", CustomerID: "x", Store: &mapsindoors.MemorySecretStore{},
		TokenURL: f.srv.TokenURL(), BaseURL: f.srv.URL})
	require.NoError(t, err)
	_, err = empty.Grant().Token(ctx, nil)
	require.ErrorIs(t, err, mapsindoors.ErrNoSecret)
	_, err = empty.List(ctx)
	require.ErrorIs(t, err, mapsindoors.ErrNoSecret)
}

func TestLoginRefusedIsTokenError(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.store.Save(context.Background(), mapsindoors.StoredSecret{ID: f.old.ID, Secret: "wrong-secret-value"}))
	_, err := f.client.List(context.Background())
	var te *auth.TokenError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "invalid_client", te.Code)
	assert.NotContains(t, err.Error(), "wrong-secret-value")
}

func TestNewValidates(t *testing.T) {
	store := &mapsindoors.MemorySecretStore{}
	tests := []struct {
		name string
		cfg  mapsindoors.Config
		is   error
	}{
		{"no client id", mapsindoors.Config{CustomerID: "c", Store: store}, nil},
		{"no customer id", mapsindoors.Config{ClientID: "c", Store: store}, nil},
		{"no store", mapsindoors.Config{ClientID: "c", CustomerID: "c"}, nil},
		{"http base", mapsindoors.Config{ClientID: "c", CustomerID: "c", Store: store, BaseURL: "http://auth.example.com"}, auth.ErrInsecureURL},
		{"http token", mapsindoors.Config{ClientID: "c", CustomerID: "c", Store: store, TokenURL: "http://auth.example.com/connect/token"}, auth.ErrInsecureURL},
		{"bad url", mapsindoors.Config{ClientID: "c", CustomerID: "c", Store: store, BaseURL: "::"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapsindoors.New(tt.cfg)
			require.Error(t, err)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
		})
	}
	c, err := mapsindoors.New(mapsindoors.Config{ClientID: "c", CustomerID: "c", Store: store})
	require.NoError(t, err, "the defaults are https")
	assert.Contains(t, c.String(), "https://auth.mapsindoors.com")
}

// TestWireRequests checks the requests against the documented API with a
// recording server, independently of the fake.
func TestWireRequests(t *testing.T) {
	type seen struct{ method, path, query, auth string }
	var got []seen
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		assert.Equal(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"sec-value-1234567"}}, r.PostForm)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("/api/clientcredentials", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization")})
		switch r.Method {
		case "GET":
			io.WriteString(w, `[{"id":"abc","description":"d","client_id":"cid","createdAt":"2024-05-27T13:46:31.843"}]`)
		case "POST":
			io.WriteString(w, `{"id":"new1","description":"My Key","createdAt":"2024-05-27T14:26:36.9981013Z","secret":"Pv2A7iGsui9ys8bMn0m5J4uuhswt2AdM"}`)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := mapsindoors.New(mapsindoors.Config{ClientID: "cid", CustomerID: "cust 1", TokenURL: srv.URL + "/connect/token",
		BaseURL: srv.URL, Store: mapsindoors.NewMemorySecretStore(mapsindoors.StoredSecret{ID: "abc", Secret: "sec-value-1234567"})})
	require.NoError(t, err)
	ctx := context.Background()

	list, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 5, 27, 13, 46, 31, 843e6, time.UTC), list[0].CreatedAt, "a time without zone is UTC")
	created, err := c.Create(ctx, "My Key")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 5, 27, 14, 26, 36, 998101300, time.UTC), created.CreatedAt)
	require.NoError(t, c.Delete(ctx, "new1"))

	assert.Equal(t, []seen{
		{"GET", "/api/clientcredentials", "customerId=cust+1", "Bearer at-1"},
		{"POST", "/api/clientcredentials", "customerId=cust+1&description=My+Key", "Bearer at-1"},
		{"DELETE", "/api/clientcredentials", "customerId=cust+1&id=new1", "Bearer at-1"},
	}, got)
}

func TestAnswerLimitsAndRedirects(t *testing.T) {
	var leaked bool
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { leaked = true }))
	defer evil.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-secret-token","expires_in":3600}`)
	})
	mux.HandleFunc("/api/clientcredentials", func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case "GET":
			io.WriteString(w, "["+strings.Repeat(`{"id":"x"},`, transport.MaxBody/10)+`{"id":"y"}]`)
		case "POST":
			http.Redirect(w, r, evil.URL, http.StatusTemporaryRedirect)
		case "DELETE":
			http.Error(w, "token at-secret-token refused\n"+strings.Repeat("z", 1000), http.StatusConflict)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := mapsindoors.New(mapsindoors.Config{ClientID: "cid", CustomerID: "c", TokenURL: srv.URL + "/connect/token",
		BaseURL: srv.URL, Store: mapsindoors.NewMemorySecretStore(mapsindoors.StoredSecret{ID: "abc", Secret: "s"})})
	require.NoError(t, err)
	ctx := context.Background()

	_, err = c.List(ctx)
	var decodeErr *transport.DecodeError
	require.ErrorAs(t, err, &decodeErr, "cut at the engine's bound on an answer, transport.MaxBody")

	_, err = c.Create(ctx, "")
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
	assert.False(t, leaked, "the bearer token followed a redirect")

	var apiErr *mapsindoors.APIError

	err = c.Delete(ctx, "abc")
	require.ErrorAs(t, err, &apiErr)
	assert.NotContains(t, err.Error(), "at-secret-token")
	assert.Less(t, len(apiErr.Message), 200)
}

func TestSecretsRedacted(t *testing.T) {
	const value = "Pv2A7iGsui9ys8bMn0m5J4uuhswt2AdMGOr6c0SzWK9zxFR4Cx26Cge2UVZOx3a1K5Wr7j700k8PsJjNz7o2WFGZRSE9z5PJ"
	ns := mapsindoors.NewSecret{ID: "abcd", Description: "MyNewKey", Secret: value}
	ss := ns.Stored()
	assert.Equal(t, "Pv2A…(96 chars)", ns.Masked())
	assert.Equal(t, "[REDACTED]", mapsindoors.NewSecret{Secret: "short"}.Masked())
	for _, v := range []any{ns, &ns, ss, &ss} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, value, verb)
			assert.Contains(t, out, "abcd", verb)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("rotated", "new", ns, "stored", ss)
	assert.NotContains(t, buf.String(), value)
	assert.NotContains(t, buf.String(), value[:10])
	assert.Contains(t, buf.String(), `"id":"abcd"`)
}

func TestFakeRequiresBearer(t *testing.T) {
	srv := mapsindoorstest.NewServer()
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/clientcredentials?customerId=" + srv.CustomerID)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
