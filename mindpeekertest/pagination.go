package mindpeekertest

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file is cursor pagination: ?limit=1..100 (default 20) and an opaque
// ?cursor=. Items are ordered by created_at, then id; a cursor names the
// last item of the previous page (keyset pagination), so pages stay stable
// while other items are inserted concurrently.

const (
	defaultLimit = 20
	maxLimit     = 100
)

// pageRequest is a parsed list request.
type pageRequest struct {
	limit int
	after *cursorKey
}

// cursorKey is the sort key of an item, and what a cursor encodes.
type cursorKey struct {
	created time.Time
	id      string
}

func (a cursorKey) less(b cursorKey) bool {
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	return a.id < b.id
}

// parsePageRequest reads limit and cursor. kind ("ses" or "key") ties a
// cursor to its listing so one cannot be replayed on the other.
func parsePageRequest(q url.Values, kind string) (pageRequest, *apiError) {
	pr := pageRequest{limit: defaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return pr, errInvalidRequest("limit must be an integer from 1 to 100")
		}
		pr.limit = n
	}
	if v := q.Get("cursor"); v != "" {
		k, ok := decodeCursor(v, kind)
		if !ok {
			return pr, errInvalidRequest("cursor is not valid")
		}
		pr.after = &k
	}
	return pr, nil
}

func encodeCursor(kind string, k cursorKey) string {
	raw := kind + "|" + strconv.FormatInt(k.created.UnixNano(), 10) + "|" + k.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c, kind string) (cursorKey, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return cursorKey{}, false
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[0] != kind || parts[2] == "" {
		return cursorKey{}, false
	}
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return cursorKey{}, false
	}
	return cursorKey{created: time.Unix(0, ns).UTC(), id: parts[2]}, true
}

// paginate sorts items by key and cuts the page pr asks for.
func paginate[T any](items []T, key func(T) cursorKey, pr pageRequest, kind string) wirePage[T] {
	sort.Slice(items, func(i, j int) bool { return key(items[i]).less(key(items[j])) })
	start := 0
	if pr.after != nil {
		start = sort.Search(len(items), func(i int) bool { return pr.after.less(key(items[i])) })
	}
	rest := items[start:]
	page := wirePage[T]{Data: []T{}}
	if len(rest) > pr.limit {
		page.Data = append(page.Data, rest[:pr.limit]...)
		page.HasMore = true
		page.NextCursor = encodeCursor(kind, key(rest[pr.limit-1]))
		return page
	}
	page.Data = append(page.Data, rest...)
	return page
}
