package pager

import (
	"fmt"
	"net/url"
	"strconv"
)

// MaxLimit is the largest page size the API accepts.
const MaxLimit = 100

// Path returns base with the list query for one page: limit (0 = the server's
// default) and cursor ("" = the first page).
func Path(base string, limit int, cursor string) (string, error) {
	if limit < 0 || limit > MaxLimit {
		return "", fmt.Errorf("mindpeeker: page limit %d out of range 1..%d", limit, MaxLimit)
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
