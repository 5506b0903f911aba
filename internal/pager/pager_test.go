package pager_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/internal/pager"
)

type item struct{ N int }

// pages serves total items in pages of size, counting fetches.
func pages(total, size int, fetches *int) pager.Fetch[item] {
	return func(_ context.Context, cursor string) (*pager.Page[item], error) {
		*fetches++
		start, _ := strconv.Atoi(cursor)
		p := &pager.Page[item]{}
		for i := start; i < min(start+size, total); i++ {
			p.Data = append(p.Data, &item{i})
		}
		if start+size < total {
			p.HasMore, p.NextCursor = true, strconv.Itoa(start+size)
		}
		return p, nil
	}
}

func TestSeqIsLazy(t *testing.T) {
	tests := []struct {
		total, size, take, wantFetches int
	}{
		{total: 0, size: 10, take: 100, wantFetches: 1},
		{total: 25, size: 10, take: 100, wantFetches: 3},
		{total: 25, size: 10, take: 10, wantFetches: 1},
		{total: 25, size: 10, take: 11, wantFetches: 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt), func(t *testing.T) {
			fetches, got := 0, 0
			for it, err := range pager.Seq(context.Background(), "", pages(tt.total, tt.size, &fetches)) {
				require.NoError(t, err)
				assert.Equal(t, got, it.N)
				if got++; got == tt.take {
					break
				}
			}
			assert.Equal(t, min(tt.total, tt.take), got)
			assert.Equal(t, tt.wantFetches, fetches)
		})
	}
}

func TestSeqStopsOnErrorAndBadCursor(t *testing.T) {
	boom := errors.New("boom")
	failing := func(context.Context, string) (*pager.Page[item], error) { return nil, boom }
	var errs []error
	for it, err := range pager.Seq(context.Background(), "", failing) {
		assert.Nil(t, it)
		errs = append(errs, err)
	}
	assert.Equal(t, []error{boom}, errs, "an error is yielded once and ends the sequence")

	stuck := func(context.Context, string) (*pager.Page[item], error) {
		return &pager.Page[item]{Data: []*item{{1}}, HasMore: true, NextCursor: ""}, nil
	}
	n := 0
	for _, err := range pager.Seq(context.Background(), "", stuck) {
		if n++; err != nil {
			assert.ErrorIs(t, err, pager.ErrBadCursor)
		}
	}
	assert.Equal(t, 1, n, "the page that would loop is refused whole: the error, no endless loop")
}

func TestPath(t *testing.T) {
	tests := []struct {
		limit   int
		cursor  string
		want    string
		wantErr bool
	}{
		{0, "", "/sessions", false},
		{20, "", "/sessions?limit=20", false},
		{20, "a b&c", "/sessions?cursor=a+b%26c&limit=20", false},
		{101, "", "", true},
		{-1, "", "", true},
	}
	for _, tt := range tests {
		got, err := pager.Path("/sessions", tt.limit, tt.cursor)
		if tt.wantErr {
			assert.Error(t, err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
	}
}

func ExampleSeq() {
	fetches := 0
	for it, err := range pager.Seq(context.Background(), "", pages(5, 2, &fetches)) {
		if err != nil {
			panic(err)
		}
		fmt.Print(it.N, " ")
	}
	fmt.Println("in", fetches, "pages")
	// Output: 0 1 2 3 4 in 3 pages
}

func TestPagesResumeFromTheirCursor(t *testing.T) {
	fetches := 0
	var cursor string
	var seen []int
	for page, err := range pager.Pages(context.Background(), "", pages(25, 10, &fetches)) {
		require.NoError(t, err)
		for _, it := range page.Data {
			seen = append(seen, it.N)
		}
		cursor = page.NextCursor
		break // the program dies after its first page
	}
	for it, err := range pager.Seq(context.Background(), cursor, pages(25, 10, &fetches)) {
		require.NoError(t, err)
		seen = append(seen, it.N)
	}
	want := make([]int, 25)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, seen, "every item exactly once")
}

func TestPagesBounds(t *testing.T) {
	empty := func(_ context.Context, cursor string) (*pager.Page[item], error) {
		return &pager.Page[item]{HasMore: true, NextCursor: cursor + "x"}, nil
	}
	longCursor := func(context.Context, string) (*pager.Page[item], error) {
		return &pager.Page[item]{Data: []*item{{1}}, HasMore: true, NextCursor: strings.Repeat("c", pager.MaxCursorLen+1)}, nil
	}
	for name, tt := range map[string]struct {
		fetch pager.Fetch[item]
		want  error
	}{
		"empty pages": {empty, pager.ErrEmptyPages},
		"long cursor": {longCursor, pager.ErrBadCursor},
		"start reached": {func(context.Context, string) (*pager.Page[item], error) {
			return &pager.Page[item]{HasMore: true, NextCursor: "s"}, nil
		}, pager.ErrCursorCycle},
	} {
		t.Run(name, func(t *testing.T) {
			fetches := 0
			counting := func(ctx context.Context, c string) (*pager.Page[item], error) { fetches++; return tt.fetch(ctx, c) }
			var last error
			for _, err := range pager.Seq(context.Background(), "s", counting) {
				last = err
			}
			require.ErrorIs(t, last, tt.want)
			assert.ErrorIs(t, last, pager.ErrPagination)
			assert.LessOrEqual(t, fetches, pager.MaxEmptyPages)
		})
	}
}

// FuzzPages plays any sequence of pages (cursors and item counts from the
// fuzzer) and checks that the listing ends within the bounds, never yields a
// nil item without an error, and ends with an error only of the documented kinds.
func FuzzPages(f *testing.F) {
	f.Add([]byte("AB\x00A"), uint8(3))
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), uint8(0))
	f.Add([]byte("abcdef"), uint8(255))
	f.Fuzz(func(t *testing.T, script []byte, nulls uint8) {
		n := 0
		fetch := func(_ context.Context, cursor string) (*pager.Page[item], error) {
			if n >= len(script) {
				return &pager.Page[item]{Data: []*item{{n}}}, nil
			}
			c := script[n]
			n++
			p := &pager.Page[item]{HasMore: true, NextCursor: string(rune('A' + c%8))}
			for i := range int(c % 3) {
				if nulls&(1<<uint(i+n)%8) != 0 && c%5 == 0 {
					p.Data = append(p.Data, nil)
				} else {
					p.Data = append(p.Data, &item{i})
				}
			}
			return p, nil
		}
		for it, err := range pager.Seq(context.Background(), "", fetch) {
			if err != nil {
				require.ErrorIs(t, err, pager.ErrPagination)
				continue
			}
			require.NotNil(t, it)
		}
		require.LessOrEqual(t, n, len(script))
	})
}

// FuzzPath: any cursor a server gives travels as one query value, unchanged.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"", "abc", "a b&c=d", "../x", "#frag", "%zz", "\x00\n"} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, cursor string, limit int) {
		p, err := pager.Path("/sessions", limit, cursor)
		if err != nil {
			return
		}
		u, err := url.Parse("https://api.example.com/v1" + p)
		require.NoError(t, err)
		assert.Equal(t, "/v1/sessions", u.Path)
		assert.Equal(t, cursor, u.Query().Get("cursor"))
	})
}
