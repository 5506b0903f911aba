package mindpeekertest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mpt "github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

func TestFaultStatus(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	tests := []struct {
		status     int
		retryAfter string
		code       string
	}{
		{429, "2", "rate_limited"},
		{429, "Wed, 21 Oct 2026 07:28:00 GMT", "rate_limited"},
		{500, "", "internal"},
		{502, "", "internal"},
		{503, "", "internal"},
		{503, "5", "internal"},
		{504, "", "internal"},
		{401, "", "invalid_token"},
		{403, "", "insufficient_scope"},
		{404, "", "not_found"},
		{409, "", "conflict"},
		{400, "", "invalid_request"},
		{405, "", "invalid_request"},
		{422, "", "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s %s", tt.status, tt.code, tt.retryAfter), func(t *testing.T) {
			srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Status: tt.status, RetryAfter: tt.retryAfter})
			r := api(t, srv, tok, "GET", "/sessions", nil)
			assert.Equal(t, tt.status, r.status)
			assert.Equal(t, tt.code, r.errCode(t))
			assert.Equal(t, tt.retryAfter, r.header.Get("Retry-After"))
			assert.NotEmpty(t, r.header.Get("X-Request-Id"))
			if tt.status == 401 {
				assert.Equal(t, `Bearer error="invalid_token"`, r.header.Get("WWW-Authenticate"))
			}
			assert.Equal(t, 200, api(t, srv, tok, "GET", "/sessions", nil).status, "consumed")
		})
	}
}

// Every 5xx the fake answers on /v1 carries the code "internal", whatever
// the route, the method or the status (API.md: internal 5xx).
func TestFaultStatus5xxIsInternalOnEveryRoute(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/sessions", nil},
		{"POST", "/sessions", map[string]string{"title": "x"}},
		{"GET", "/sessions/ses_1", nil},
		{"DELETE", "/sessions/ses_1", nil},
		{"GET", "/api-keys", nil},
		{"POST", "/api-keys", map[string]any{"name": "x", "scopes": []string{"profile"}}},
		{"POST", "/api-keys/key_1/rotate", nil},
		{"GET", "/no-such-route", nil},
	}
	for status := 500; status <= 511; status++ {
		for _, rt := range routes {
			srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Status: status})
			r := api(t, srv, tok, rt.method, rt.path, rt.body)
			assert.Equal(t, status, r.status, "%s %s", rt.method, rt.path)
			assert.Equal(t, "internal", r.errCode(t), "%d %s %s", status, rt.method, rt.path)
		}
	}
	assert.Zero(t, srv.PendingFaults())
	assert.Zero(t, srv.Stats().SessionsCreated, "faulted requests are not processed")
}

// The token endpoint keeps OAuth error codes for injected 5xx answers.
func TestFaultStatus5xxOnTokenEndpointCodes(t *testing.T) {
	srv := newServer(t)
	f := form("grant_type", "client_credentials", "client_id", mpt.DefaultClientID, "client_secret", mpt.DefaultClientSecret)
	for status, code := range map[int]string{500: "server_error", 502: "server_error", 503: "temporarily_unavailable", 504: "server_error"} {
		srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Target: "token", Status: status})
		r := postToken(t, srv, tokenReq{form: f})
		assert.Equal(t, status, r.status)
		assert.Equal(t, code, r.token(t).Error, status)
	}
}

func TestFaultStatusOnTokenEndpoint(t *testing.T) {
	srv := newServer(t)
	srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Target: "token", Status: 503, RetryAfter: "1"})
	f := form("grant_type", "client_credentials", "client_id", mpt.DefaultClientID, "client_secret", mpt.DefaultClientSecret)
	r := postToken(t, srv, tokenReq{form: f})
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "temporarily_unavailable", r.token(t).Error, "OAuth error shape on the token endpoint")
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Equal(t, 200, postToken(t, srv, tokenReq{form: f}).status)
	st := srv.Stats()
	assert.Equal(t, 2, st.TokenRequests, "faulted token requests are counted")
	assert.Equal(t, 1, st.TokensIssued)
}

func TestFaultHTML(t *testing.T) {
	srv := newServer(t)
	srv.Inject(mpt.Fault{Kind: mpt.FaultHTML, Status: 502})
	r := api(t, srv, bearer(srv.IssueAccessToken()), "GET", "/sessions", nil)
	assert.Equal(t, 502, r.status)
	assert.Equal(t, "text/html", r.header.Get("Content-Type"))
	assert.Contains(t, string(r.body), "502 Bad Gateway")
	assert.False(t, json.Valid(r.body))
}

func TestFaultGarbage(t *testing.T) {
	srv := newServer(t)
	srv.Inject(mpt.Fault{Kind: mpt.FaultGarbage})
	r := api(t, srv, bearer(srv.IssueAccessToken()), "GET", "/sessions", nil)
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.False(t, json.Valid(r.body))
}

func TestFaultBody(t *testing.T) {
	srv := newServer(t)
	srv.Inject(mpt.Fault{Kind: mpt.FaultBody, Body: "null"})
	srv.Inject(mpt.Fault{Kind: mpt.FaultBody, Status: 201, Body: `{"id":"key_x"}`, Target: "POST /v1/sessions"})
	r := api(t, srv, bearer(srv.IssueAccessToken()), "GET", "/sessions", nil)
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.Equal(t, "null", string(r.body))
	r = api(t, srv, bearer(srv.IssueAccessToken()), "POST", "/sessions", map[string]string{"title": "t"})
	assert.Equal(t, 201, r.status)
	assert.Equal(t, `{"id":"key_x"}`, string(r.body))
	assert.Zero(t, srv.Stats().SessionsCreated, "nothing processed")
}

func TestFaultDropBefore(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	srv.Inject(mpt.Fault{Kind: mpt.FaultDropBefore, Target: "POST /v1/sessions"})
	req, err := http.NewRequest("POST", srv.APIURL()+"/sessions", strings.NewReader(`{"title":"lost"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.bearer)
	_, err = noKeepAlive().Do(req)
	require.Error(t, err)

	st := srv.Stats()
	assert.Equal(t, 0, st.SessionsCreated, "nothing processed")
	assert.Equal(t, 1, st.APIRequests, "but counted")
	assert.Empty(t, decode[page[wireSession]](t, api(t, srv, tok, "GET", "/sessions", nil)).Data)
}

func TestFaultDropAfter(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	srv.Inject(mpt.Fault{Kind: mpt.FaultDropAfter, Target: "POST /v1/sessions"})
	req, err := http.NewRequest("POST", srv.APIURL()+"/sessions", strings.NewReader(`{"title":"done but unanswered"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.bearer)
	_, err = noKeepAlive().Do(req)
	require.Error(t, err)
	assert.Equal(t, 1, srv.Stats().SessionsCreated)
	list := decode[page[wireSession]](t, api(t, srv, tok, "GET", "/sessions", nil))
	require.Len(t, list.Data, 1)
	assert.Equal(t, "done but unanswered", list.Data[0].Title)
}

func TestFaultCutBody(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	for i := 0; i < 5; i++ {
		srv.CreateSession("padding so the body is long")
	}
	srv.Inject(mpt.Fault{Kind: mpt.FaultCutBody})
	req, err := http.NewRequest("GET", srv.APIURL()+"/sessions", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.bearer)
	resp, err := noKeepAlive().Do(req)
	require.NoError(t, err, "headers arrive")
	defer resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Greater(t, resp.ContentLength, int64(100))
	assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
	b, err := io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, int(resp.ContentLength/2), len(b))
}

func TestFaultHang(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	srv.Inject(mpt.Fault{Kind: mpt.FaultHang})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.APIURL()+"/sessions", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.bearer)
	start := time.Now()
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 200, api(t, srv, tok, "GET", "/sessions", nil).status, "consumed")
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	srv := mpt.NewServer()
	srv.Inject(mpt.Fault{Kind: mpt.FaultHang, Target: "token"})
	srv.Inject(mpt.Fault{Kind: mpt.FaultHang})
	srv.SetTokenLatency(time.Hour)

	errs := make(chan error, 3)
	send := func(method, url, body string) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer x")
		resp, err := noKeepAlive().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errs <- err
	}
	go send("POST", srv.TokenURL(), "grant_type=client_credentials") // hangs (fault)
	go send("GET", srv.APIURL()+"/sessions", "")                     // hangs (fault)
	require.Eventually(t, func() bool { return len(srv.Requests()) == 2 }, 5*time.Second, 5*time.Millisecond)
	go send("POST", srv.TokenURL(), "grant_type=client_credentials") // sleeps (latency)
	require.Eventually(t, func() bool { return len(srv.Requests()) == 3 }, 5*time.Second, 5*time.Millisecond)

	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs while requests are held")
	}
	for i := 0; i < 3; i++ {
		assert.Error(t, <-errs, "held requests get no answer")
	}
}

func TestFaultDelay(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	srv.Inject(mpt.Fault{Kind: mpt.FaultDelay, Delay: 80 * time.Millisecond})
	start := time.Now()
	r := api(t, srv, tok, "POST", "/sessions", map[string]string{"title": "late"})
	assert.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond)
	assert.Equal(t, 201, r.status)
	assert.Equal(t, 1, srv.Stats().SessionsCreated)
}

func TestFaultTargetingAndOrder(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Status: 500, Target: "POST /v1/api-keys", Times: 2})
	srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Status: 503, Target: "GET /v1/sessions"})
	srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Status: 429})
	srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Status: 502, Target: "/v1/sessions"})
	assert.Equal(t, 5, srv.PendingFaults())

	// The token endpoint is not an API request.
	clientCredentials(t, srv, "")

	assert.Equal(t, 503, api(t, srv, tok, "GET", "/sessions/ses_1", nil).status, "prefix match, first matching fault")
	assert.Equal(t, 429, api(t, srv, tok, "GET", "/sessions", nil).status, "then the catch-all")
	assert.Equal(t, 502, api(t, srv, tok, "DELETE", "/sessions/ses_1", nil).status, "any method")
	rotate := api(t, srv, tok, "POST", "/api-keys/key_1/rotate", nil)
	assert.Equal(t, 500, rotate.status, "prefix covers rotate")
	assert.Equal(t, "internal", rotate.errCode(t))
	assert.Equal(t, 200, api(t, srv, tok, "GET", "/api-keys", nil).status, "method must match")
	assert.Equal(t, 500, api(t, srv, tok, "POST", "/api-keys", map[string]any{}).status, "second time")
	assert.Equal(t, 0, srv.PendingFaults())
	assert.Equal(t, 400, api(t, srv, tok, "POST", "/api-keys", map[string]any{}).status, "exhausted")

	srv.Inject(mpt.Fault{Kind: mpt.FaultStatus, Status: 500, Times: 3})
	srv.ClearFaults()
	assert.Equal(t, 0, srv.PendingFaults())

	assert.Panics(t, func() { srv.Inject(mpt.Fault{Target: "sessions"}) })
	assert.Panics(t, func() { srv.Inject(mpt.Fault{Target: "GET sessions"}) })
	assert.Panics(t, func() { srv.Inject(mpt.Fault{Kind: mpt.FaultKind(99)}) })
}

func TestFaultKindString(t *testing.T) {
	assert.Equal(t, "FaultHang", mpt.FaultHang.String())
	assert.Equal(t, "FaultKind(42)", mpt.FaultKind(42).String())
}

func TestFaultedRequestsAreRecorded(t *testing.T) {
	srv := newServer(t)
	srv.Inject(mpt.Fault{Kind: mpt.FaultDropBefore})
	req, _ := http.NewRequest("GET", srv.APIURL()+"/sessions?limit=5", nil)
	_, err := noKeepAlive().Do(req)
	require.Error(t, err)
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "GET", reqs[0].Method)
	assert.Equal(t, "/v1/sessions", reqs[0].Path)
	assert.Equal(t, "limit=5", reqs[0].RawQuery)
	assert.Equal(t, 1, srv.Stats().APIRequests)
	assert.False(t, errors.Is(err, context.DeadlineExceeded))
}
