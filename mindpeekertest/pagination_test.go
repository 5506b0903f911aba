package mindpeekertest_test

import (
	"fmt"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	mpt "github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// listAll walks every page of path with the given limit.
func listAll[T any](t *testing.T, srv *mpt.Server, c cred, path string, limit int, id func(T) string) (ids []string, pages int) {
	t.Helper()
	cursor := ""
	for {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := api(t, srv, c, "GET", path+"?"+q.Encode(), nil)
		require.Equal(t, 200, r.status, "body: %s", r.body)
		p := decode[page[T]](t, r)
		pages++
		for _, x := range p.Data {
			ids = append(ids, id(x))
		}
		if !p.HasMore {
			assert.Empty(t, p.NextCursor, "last page has no cursor")
			return ids, pages
		}
		require.NotEmpty(t, p.NextCursor)
		require.Len(t, p.Data, limit)
		cursor = p.NextCursor
	}
}

func TestPaginationAcrossPages(t *testing.T) {
	clock := newFakeClock() // frozen: order falls back to id, i.e. creation order
	srv := newServer(t, mpt.WithClock(clock.Now))
	var want []string
	for i := 0; i < 45; i++ {
		want = append(want, srv.CreateSession(fmt.Sprintf("s%02d", i)))
		if i%10 == 0 {
			clock.Advance(1) // and sometimes the clock moves
		}
	}
	tok := bearer(srv.IssueAccessToken())
	sid := func(s wireSession) string { return s.ID }
	for _, tc := range []struct{ limit, pages int }{{20, 3}, {45, 1}, {100, 1}, {1, 45}, {44, 2}} {
		got, pages := listAll(t, srv, tok, "/sessions", tc.limit, sid)
		assert.Equal(t, want, got, "limit %d", tc.limit)
		assert.Equal(t, tc.pages, pages, "limit %d", tc.limit)
	}

	// Default limit is 20.
	p := decode[page[wireSession]](t, api(t, srv, tok, "GET", "/sessions", nil))
	assert.Len(t, p.Data, 20)
	assert.True(t, p.HasMore)
}

func TestPaginationStableUnderInserts(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	var before []string
	for i := 0; i < 30; i++ {
		before = append(before, srv.CreateSession("old"))
	}
	r := api(t, srv, tok, "GET", "/sessions?limit=10", nil)
	p := decode[page[wireSession]](t, r)

	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); srv.CreateSession("new") }()
	}
	wg.Wait()

	seen := map[string]int{}
	for _, s := range p.Data {
		seen[s.ID]++
	}
	cursor := p.NextCursor
	for cursor != "" {
		p = decode[page[wireSession]](t, api(t, srv, tok, "GET", "/sessions?limit=10&cursor="+url.QueryEscape(cursor), nil))
		for _, s := range p.Data {
			seen[s.ID]++
		}
		cursor = p.NextCursor
	}
	assert.Len(t, seen, 40, "every item exactly once, new ones at the end")
	for id, n := range seen {
		assert.Equal(t, 1, n, id)
	}
	for _, id := range before {
		assert.Contains(t, seen, id)
	}
}

func TestPaginationErrors(t *testing.T) {
	srv := newServer(t)
	tok := bearer(srv.IssueAccessToken())
	srv.CreateSession("a")
	srv.CreateSession("b")
	_, _ = srv.CreateAPIKey("k1")
	_, _ = srv.CreateAPIKey("k2")
	keyCursor := decode[page[wireKey]](t, api(t, srv, tok, "GET", "/api-keys?limit=1", nil)).NextCursor
	require.NotEmpty(t, keyCursor)

	for _, q := range []string{"limit=0", "limit=101", "limit=-1", "limit=ten", "cursor=%21%21%21", "cursor=bm90LWEtY3Vyc29y", "cursor=" + url.QueryEscape(keyCursor)} {
		t.Run(q, func(t *testing.T) {
			r := api(t, srv, tok, "GET", "/sessions?"+q, nil)
			assert.Equal(t, 400, r.status)
			assert.Equal(t, "invalid_request", r.errCode(t))
		})
	}
}
