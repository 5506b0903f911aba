package faulttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/client"
	"github.com/mindpeeker/mindpeeker-go/mindpeekertest"
)

// Operations and expectations of the hostile-input rows: ids that would name
// another resource, answers that are not the object, pagination that would
// never end, and server text meant for a terminal.

var (
	deleteTraversal = operation{
		name: `Sessions.Delete("../api-keys/KEY")`,
		run: func(ctx context.Context, e *env) (any, error) {
			return nil, e.c.Sessions.Delete(ctx, "../api-keys/"+e.keyID)
		},
		verify: func(*testing.T, *env, any) {},
	}
	getEmptyID = operation{
		name: `Sessions.Get("")`,
		run: func(ctx context.Context, e *env) (any, error) {
			return e.c.Sessions.Get(ctx, "")
		},
		verify: func(*testing.T, *env, any) {},
	}
	listSessions = operation{
		name: "Sessions.List",
		run: func(ctx context.Context, e *env) (any, error) {
			n := 0
			for _, err := range e.c.Sessions.List(ctx, nil) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		},
		verify: func(*testing.T, *env, any) {},
	}
)

// body is a FaultBody answering status with raw, once.
func body(status int, raw, target string) mindpeekertest.Fault {
	return mindpeekertest.Fault{Kind: mindpeekertest.FaultBody, Status: status, Body: raw, Target: target}
}

// page is a list answer holding items.
func page(next string, more bool, items ...string) string {
	return fmt.Sprintf(`{"data":[%s],"has_more":%t,"next_cursor":%q}`, strings.Join(items, ","), more, next)
}

const aSession = `{"id":"ses_1","title":"t","status":"pending"}`

// emptyPages queues n empty pages that each say there is more, with new cursors.
func emptyPages(n int) func(*env) {
	return func(e *env) {
		for i := range n {
			e.srv.Inject(body(200, page(fmt.Sprint("c", i), true), getTarget))
		}
	}
}

// hostileText is a server's text meant for a terminal: escape sequences,
// line breaks and 100 KB of it.
var hostileText = "\x1b[2J\x1b]0;owned\x07" + strings.Repeat("x\x1b[31m\r\n", 12_000)

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var (
	invalidID = expect{"`client.ErrInvalidID`, nothing sent", func(t *testing.T, err error) {
		require.ErrorIs(t, err, client.ErrInvalidID)
	}}
	notObject = expect{"`*client.DecodeError` 200 wrapping `client.ErrNotObject`", func(t *testing.T, err error) {
		var de *client.DecodeError
		require.ErrorAs(t, err, &de)
		assert.ErrorIs(t, err, client.ErrNotObject)
	}}
	rotationNotObject = expect{"`*client.UnconfirmedError` wrapping `*client.DecodeError` and `client.ErrNotObject` (the old key may already be revoked: repeat with its Idempotency-Key)", func(t *testing.T, err error) {
		var ue *client.UnconfirmedError
		require.ErrorAs(t, err, &ue)
		assert.NotEmpty(t, ue.IdempotencyKey)
		assert.ErrorIs(t, err, client.ErrNotObject)
	}}
	brokenPagination = expect{"one error wrapping `client.ErrPagination`, after the items before it", func(t *testing.T, err error) {
		require.ErrorIs(t, err, client.ErrPagination)
	}}
	cleanText = func(want func(t *testing.T, err error)) expect {
		return expect{"the error, its server text cleaned of escape sequences and line breaks and cut to 256 runes", func(t *testing.T, err error) {
			want(t, err)
			msg := err.Error()
			assert.Less(t, len(msg), 1024, "bounded")
			assert.NotContains(t, msg, "\x1b")
			assert.NotContains(t, msg, "\n")
			assert.NotContains(t, msg, "\x07")
		}}
	}
	isAPIError400 = func(t *testing.T, err error) {
		var ae *client.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, 400, ae.StatusCode)
	}
	isTokenError = func(t *testing.T, err error) {
		var te *auth.TokenError
		require.True(t, errors.As(err, &te), "%v", err)
		assert.Equal(t, "invalid_grant", te.Code)
	}
)

// keyStillWorks checks that the request the caller made did not reach the key.
func keyStillWorks(t *testing.T, e *env) {
	assert.True(t, e.keyWorks(e.key), "the API key is untouched")
}

// hostileRows are the rows for the classes of hostile input; faultMatrix holds them.
var hostileRows = []row{
	{name: "id/traversal", fault: "the caller passes a session id `../api-keys/KEY`", op: deleteTraversal, warm: true,
		want: invalidID, api: 0, after: keyStillWorks},
	{name: "id/empty", fault: "the caller passes an empty id", op: getEmptyID, warm: true, want: invalidID, api: 0},
	{name: "get/null-200", fault: "200 with the body `null`", op: getSession, warm: true,
		setup: inject(body(200, "null", getTarget)), want: notObject, api: 1},
	{name: "get/empty-object-200", fault: "200 with the body `{}`", op: getSession, warm: true,
		setup: inject(body(200, "{}", getTarget)), want: notObject, api: 1},
	{name: "rotate/no-key-201", fault: "201 with a key that has an id but no `key`", op: rotateKey, warm: true,
		setup: inject(body(201, `{"id":"key_new","name":"deploy"}`, rotateTarget)), want: rotationNotObject, api: 1},
	{name: "list/cursor-cycle", fault: "pages whose cursors run A → B → A", op: listSessions, warm: true,
		setup: inject(body(200, page("A", true, aSession), getTarget), body(200, page("B", true, aSession), getTarget),
			body(200, page("A", true, aSession), getTarget)),
		want: brokenPagination, api: 3},
	{name: "list/empty-pages", fault: "empty pages with `has_more: true` and a new cursor each, without end", op: listSessions, warm: true,
		setup: emptyPages(10), want: brokenPagination, api: 10},
	{name: "list/null-item", fault: "a page holding a `null` item", op: listSessions, warm: true,
		setup: inject(body(200, `{"data":[`+aSession+`,null],"has_more":false}`, getTarget)), want: brokenPagination, api: 1},
	{name: "get/hostile-message", fault: "400 whose message is 100 KB of escape sequences and line breaks", op: getSession, warm: true,
		setup: inject(body(400, `{"error":{"code":"invalid_request","message":`+jsonText(hostileText)+`}}`, getTarget)),
		want:  cleanText(isAPIError400), api: 1},
	{name: "token/hostile-description", fault: "400 `invalid_grant` whose error_description is 100 KB of escape sequences", op: getSession,
		setup: inject(body(400, `{"error":"invalid_grant","error_description":`+jsonText(hostileText)+`}`, tokenTarget)),
		want:  cleanText(isTokenError), api: 0, token: 1},
}
