package pager_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
			for it, err := range pager.Seq(context.Background(), pages(tt.total, tt.size, &fetches)) {
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
	for it, err := range pager.Seq(context.Background(), failing) {
		assert.Nil(t, it)
		errs = append(errs, err)
	}
	assert.Equal(t, []error{boom}, errs, "an error is yielded once and ends the sequence")

	stuck := func(context.Context, string) (*pager.Page[item], error) {
		return &pager.Page[item]{Data: []*item{{1}}, HasMore: true, NextCursor: ""}, nil
	}
	n := 0
	for _, err := range pager.Seq(context.Background(), stuck) {
		if n++; err != nil {
			assert.ErrorIs(t, err, pager.ErrBadCursor)
		}
	}
	assert.Equal(t, 2, n, "one item, then the error: no endless loop")
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
	for it, err := range pager.Seq(context.Background(), pages(5, 2, &fetches)) {
		if err != nil {
			panic(err)
		}
		fmt.Print(it.N, " ")
	}
	fmt.Println("in", fetches, "pages")
	// Output: 0 1 2 3 4 in 3 pages
}
