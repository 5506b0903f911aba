// Package pager turns the API's cursor pagination into a lazy iterator: the next
// page is fetched only when the loop asks for an item beyond the current one, and
// breaking out of the loop fetches nothing more.
package pager

import (
	"context"
	"errors"
	"iter"
)

// Page is one page of a list answer.
type Page[T any] struct {
	Data       []*T   `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor"`
}

// Fetch gets the page that starts at cursor ("" for the first).
type Fetch[T any] func(ctx context.Context, cursor string) (*Page[T], error)

// ErrBadCursor is yielded when the server says there is more but gives no new
// cursor: following it would loop forever.
var ErrBadCursor = errors.New("mindpeeker: server returned has_more without a new next_cursor")

// Seq yields every item of every page, fetching lazily. An error is yielded once,
// with a nil item, and ends the sequence.
func Seq[T any](ctx context.Context, fetch Fetch[T]) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		cursor := ""
		for {
			page, err := fetch(ctx, cursor)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, item := range page.Data {
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasMore {
				return
			}
			if page.NextCursor == "" || page.NextCursor == cursor {
				yield(nil, ErrBadCursor)
				return
			}
			cursor = page.NextCursor
		}
	}
}
