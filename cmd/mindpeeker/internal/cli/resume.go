package cli

import (
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mindpeeker/mindpeeker-go/internal/pager"
)

// resumable flattens pages into their items and keeps in *next the cursor
// that resumes the listing after the last page handed out whole ("" once the
// listing is complete).
func resumable[T any](pages iter.Seq2[*pager.Page[T], error], start string, next *string) iter.Seq2[*T, error] {
	*next = start
	return pager.Items(func(yield func(*pager.Page[T], error) bool) {
		for page, err := range pages {
			if !yield(page, err) {
				return // *next stays at the page whose items were not all handed out
			}
			if err == nil {
				*next = ""
				if page.HasMore {
					*next = page.NextCursor
				}
			}
		}
	})
}

// addCursorFlag adds --cursor, where a listing starts.
func addCursorFlag(cmd *cobra.Command, cursor *string) {
	cmd.Flags().StringVar(cursor, "cursor", "", "resume a listing at this cursor (printed on stderr when a listing stops early)")
}

// noteResume tells on stderr how to resume a listing that stopped early at
// cursor next (nothing when it stopped before its first page).
func (a *app) noteResume(cmd *cobra.Command, start, next string) {
	if next == "" || next == start {
		return
	}
	fmt.Fprintf(a.stderr, "Next cursor: %s (resume with: %s --cursor %s)\n", quoteCursor(next), cmd.CommandPath(), quoteCursor(next))
}

// quoteCursor returns a server's cursor fit for a terminal and a shell: as is
// when it is plain, else quoted with every unusual character escaped.
func quoteCursor(c string) string {
	if c != "" && strings.Trim(c, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.=:+/-") == "" {
		return c
	}
	return strconv.QuoteToASCII(c)
}
