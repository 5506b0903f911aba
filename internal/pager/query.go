package pager

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// MaxLimit is the largest page size the API accepts.
const MaxLimit = 100

// Doer sends one API request; *transport.Engine is one.
type Doer interface {
	Do(ctx context.Context, method, path string, in, out any) error
}

// List yields every page of the collection at base ("/sessions") from the page
// at cursor ("" for the first), fetching pages of limit items (0: the server's
// default) lazily through d.
func List[T any](ctx context.Context, d Doer, base string, limit int, cursor string) iter.Seq2[*Page[T], error] {
	return Pages(ctx, cursor, func(ctx context.Context, cursor string) (*Page[T], error) {
		path, err := Path(base, limit, cursor)
		if err != nil {
			return nil, err
		}
		var page *Page[T] // stays nil for a "null" answer, which Pages refuses
		if err := d.Do(ctx, "GET", path, nil, &page); err != nil {
			return nil, err
		}
		return page, nil
	})
}

// Path returns base with the list query for one page: limit (0 = the server's
// default) and cursor ("" = the first page).
func Path(base string, limit int, cursor string) (string, error) {
	if limit < 0 || limit > MaxLimit {
		return "", fmt.Errorf("mindpeeker: page limit %d out of range 1..%d", limit, MaxLimit)
	}
	if len(cursor) > MaxCursorLen {
		return "", fmt.Errorf("mindpeeker: cursor of %d bytes (at most %d)", len(cursor), MaxCursorLen)
	}
	q := make(url.Values, 2)
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) == 0 {
		return base, nil
	}
	return base + "?" + q.Encode(), nil
}
