package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

// defaultWidth is the line width tables are fitted to when $COLUMNS is unset.
const defaultWidth = 80

// defaultPageSize is the API's page size when --limit is not given.
const defaultPageSize = 20

func (a *app) jsonOutput() bool { return a.output == "json" }

// width is the terminal width tables fit in: $COLUMNS when it is a sane
// number, else 80.
func (a *app) width() int {
	if n, err := strconv.Atoi(a.env("COLUMNS")); err == nil && n >= 40 && n <= 1000 {
		return n
	}
	return defaultWidth
}

// printJSON writes v as indented JSON and a newline.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// printList writes every item of seq, as it arrives: in JSON mode one array
// (left unclosed if the listing fails midway, so that a partial listing never
// parses as a complete one), in table mode a table flushed after each page.
// An empty table prints nothing on stdout and a note on stderr.
func printList[T any](a *app, seq iter.Seq2[*T, error], pageSize int, header []string, row func(*T) []string, noun string) error {
	a.listing = true
	if a.jsonOutput() {
		n := 0
		for v, err := range seq {
			if err != nil {
				return err
			}
			b, err := json.MarshalIndent(v, "  ", "  ")
			if err != nil {
				return err
			}
			sep := ",\n  "
			if n == 0 {
				sep = "[\n  "
			}
			if _, err := io.WriteString(a.stdout, sep+string(b)); err != nil {
				return err
			}
			n++
		}
		end := "\n]\n"
		if n == 0 {
			end = "[]\n"
		}
		_, err := io.WriteString(a.stdout, end)
		return err
	}

	t := newTable(a.stdout, header, a.width())
	for v, err := range seq {
		if err != nil {
			_ = t.flush()
			return err
		}
		t.add(row(v)...)
		if len(t.rows) >= pageSize {
			if err := t.flush(); err != nil {
				return err
			}
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	if t.count == 0 {
		fmt.Fprintf(a.stderr, "No %s.\n", noun)
	}
	return nil
}

// table writes rows aligned by text/tabwriter, a page at a time. Column
// widths never shrink from one page to the next, so that the pages line up;
// the last column is cut (with …) to keep lines within the width.
type table struct {
	w      io.Writer
	header []string
	width  int
	widths []int // widest cell so far, per column
	rows   [][]string
	count  int // rows flushed so far
}

func newTable(w io.Writer, header []string, width int) *table {
	t := &table{w: w, header: header, width: width, widths: make([]int, len(header))}
	t.measure(header)
	return t
}

// add queues a row; cells are made single-line and printable.
func (t *table) add(cells ...string) {
	row := make([]string, len(t.header))
	for i := range row {
		if i < len(cells) {
			row[i] = cleanCell(cells[i])
		}
	}
	t.rows = append(t.rows, row)
}

func (t *table) measure(row []string) {
	for i, c := range row[:len(row)-1] { // the last column is fitted, not measured
		t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c))
	}
}

// flush writes the queued rows (and the header before the first ones).
func (t *table) flush() error {
	if len(t.rows) == 0 {
		return nil
	}
	for _, r := range t.rows {
		t.measure(r)
	}
	const gap = 2
	last := t.width - 1 // leave the last column of the terminal free
	for _, w := range t.widths[:len(t.widths)-1] {
		last -= w + gap
	}
	last = max(last, 16)

	tw := tabwriter.NewWriter(t.w, 0, 0, gap, ' ', 0)
	write := func(row []string) {
		for i, c := range row[:len(row)-1] {
			// Pad to the sticky width, so this page lines up with earlier ones.
			fmt.Fprintf(tw, "%s%s\t", c, strings.Repeat(" ", t.widths[i]-utf8.RuneCountInString(c)))
		}
		fmt.Fprintln(tw, truncate(row[len(row)-1], last))
	}
	if t.count == 0 {
		write(t.header)
	}
	for _, r := range t.rows {
		write(r)
	}
	t.count += len(t.rows)
	t.rows = t.rows[:0]
	return tw.Flush()
}

// printFields writes name/value pairs as two aligned columns, for one object.
func printFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", f[0], cleanCell(f[1]))
	}
	return tw.Flush()
}

// truncate cuts s to at most n runes, ending it with … when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return auth.Excerpt(s, max(n-1, 0))
}

// maxCell bounds one cell or field of server text, in runes.
const maxCell = 1000

// cleanCell makes text from the server safe and single-line for a table or a
// message on stderr (auth.Excerpt: escape sequences and control characters
// dropped, white space runs made one space, at most maxCell runes).
func cleanCell(s string) string { return auth.Excerpt(s, maxCell) }

// fmtDate formats t for a list, as its UTC date.
func fmtDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

// fmtStamp formats t in full (RFC 3339, UTC), for one object's fields.
func fmtStamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// fmtOptStamp formats an optional time in full, with none for nil.
func fmtOptStamp(t *time.Time, none string) string {
	if t == nil || t.IsZero() {
		return none
	}
	return fmtStamp(*t)
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
