// Package pager turns the API's cursor pagination into a lazy iterator: the next
// page is fetched only when the loop asks for an item beyond the current one, and
// breaking out of the loop fetches nothing more.
//
// A listing always ends, whatever the server answers: a cursor it already gave
// (a cycle of any length), a long run of empty pages that claim there is more,
// an endless or absurdly long listing and a null item are errors wrapping
// [ErrPagination].
package pager

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// Page is one page of a list answer. NextCursor, when HasMore, is where the
// listing resumes after this page.
type Page[T any] struct {
	Data       []*T   `json:"data"`
	HasMore    bool   `json:"has_more"`
	NextCursor string `json:"next_cursor"`
}

// Fetch gets the page that starts at cursor ("" for the first).
type Fetch[T any] func(ctx context.Context, cursor string) (*Page[T], error)

// Bounds of one listing.
const (
	MaxEmptyPages = 10        // empty pages in a row that say has_more
	MaxPages      = 1_000_000 // pages in one listing (10^8 items at 100 a page)
	MaxCursorLen  = 4096      // bytes of a cursor
)

// ErrPagination is wrapped by every error that a server's broken pagination
// causes; re-exported as client.ErrPagination.
var ErrPagination = errors.New("mindpeeker: the server's pagination is broken")

// The ways pagination breaks, each wrapping ErrPagination.
var (
	ErrBadCursor    = fmt.Errorf("%w: has_more without a usable next_cursor", ErrPagination)
	ErrCursorCycle  = fmt.Errorf("%w: next_cursor repeats an earlier cursor", ErrPagination)
	ErrEmptyPages   = fmt.Errorf("%w: %d empty pages in a row with has_more", ErrPagination, MaxEmptyPages)
	ErrTooManyPages = fmt.Errorf("%w: more than %d pages", ErrPagination, MaxPages)
	ErrNullItem     = fmt.Errorf("%w: null item in a page", ErrPagination)
)

// Pages yields every page from the one at start ("" for the first), fetching
// lazily. An error is yielded once, with a nil page, and ends the sequence;
// a page holding a null item is such an error.
func Pages[T any](ctx context.Context, start string, fetch Fetch[T]) iter.Seq2[*Page[T], error] {
	return func(yield func(*Page[T], error) bool) {
		seen := map[string]struct{}{start: {}}
		cursor, empty := start, 0
		for n := 1; ; n++ {
			page, err := fetch(ctx, cursor)
			if err == nil {
				err = check(page, seen, &empty, n)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) || !page.HasMore {
				return
			}
			cursor = page.NextCursor
		}
	}
}

// check refuses a page that would make the listing loop or hand out nil, and
// records its cursor.
func check[T any](page *Page[T], seen map[string]struct{}, empty *int, n int) error {
	if page == nil {
		return fmt.Errorf("%w: the page is null", ErrPagination)
	}
	for i, item := range page.Data {
		if item == nil {
			return fmt.Errorf("%w (item %d)", ErrNullItem, i)
		}
	}
	if !page.HasMore {
		return nil
	}
	if len(page.Data) == 0 {
		if *empty++; *empty >= MaxEmptyPages {
			return ErrEmptyPages
		}
	} else {
		*empty = 0
	}
	switch _, dup := seen[page.NextCursor]; {
	case page.NextCursor == "" || len(page.NextCursor) > MaxCursorLen:
		return ErrBadCursor
	case dup:
		return ErrCursorCycle
	case n >= MaxPages:
		return ErrTooManyPages
	}
	seen[page.NextCursor] = struct{}{}
	return nil
}

// Seq yields every item of every page from start, fetching lazily. An error is
// yielded once, with a nil item, and ends the sequence.
func Seq[T any](ctx context.Context, start string, fetch Fetch[T]) iter.Seq2[*T, error] {
	return Items(Pages(ctx, start, fetch))
}

// Items flattens pages into their items.
func Items[T any](pages iter.Seq2[*Page[T], error]) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		for page, err := range pages {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, item := range page.Data {
				if !yield(item, nil) {
					return
				}
			}
		}
	}
}
