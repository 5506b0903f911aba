package apierror_test

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindpeeker/mindpeeker-go/auth"
	"github.com/mindpeeker/mindpeeker-go/internal/apierror"
)

// fuzzYear is ParseRetryAfter's upper bound on any wait.
const fuzzYear = 365 * 24 * time.Hour

// fuzzNow is the fixed "now" of the fuzz targets, so that every input has one
// answer: Wed, 21 Oct 2015 07:28:00 GMT, the date of RFC 9110's example.
var fuzzNow = time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)

// FuzzParseRetryAfter checks that whatever a server sends as Retry-After, the
// wait is between zero and a year, garbage is refused (ok=false, no wait), and
// both forms round-trip: delay-seconds n gives n seconds, an HTTP-date n
// seconds after now gives n seconds, in each of the three date formats.
func FuzzParseRetryAfter(f *testing.F) {
	for _, v := range []string{
		"0", "1", "120", " 5 ", "3600", "31536000", "31536001", "18446744073709551615",
		"99999999999999999999999",                                        // beyond uint64: see the length guard below
		"Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:30:00 GMT", // IMF-fixdate: now, +2 min
		"Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", // past, far future
		"Wednesday, 21-Oct-15 07:29:00 GMT", // RFC 850
		"Wed Oct 21 07:28:30 2015",          // asctime
		"", " ", "-1", "+5", "1.5", "1e3", "0x10", "5s", "120, 60", "soon", "Wed, 32 Oct 2015 07:28:00 GMT",
		"\x00", "٣", "１２", // NUL, Arabic-Indic and full-width digits
	} {
		f.Add(v, uint32(0))
	}
	f.Add("", uint32(120))
	f.Add("", uint32(1<<31))
	f.Fuzz(func(t *testing.T, v string, secs uint32) {
		d, ok := apierror.ParseRetryAfter(v, fuzzNow)
		assert.GreaterOrEqual(t, d, time.Duration(0), "negative wait for %q", v)
		assert.LessOrEqual(t, d, fuzzYear, "wait beyond a fuzzYear for %q", v)
		trimmed := strings.TrimSpace(v)
		_, dateErr := http.ParseTime(trimmed)
		if !ok {
			assert.Zero(t, d, "a refused value must not ask for a wait: %q", v)
		} else {
			assert.True(t, fuzzAllDigits(trimmed) || dateErr == nil, "accepted garbage %q", v)
		}
		// RFC 9110 delay-seconds is 1*DIGIT, however long: beyond uint64 it
		// is capped at a year, not refused.
		if n, err := strconv.ParseUint(trimmed, 10, 64); err == nil && fuzzAllDigits(trimmed) {
			assert.True(t, ok, "delay-seconds %q refused", v)
			assert.Equal(t, fuzzCapped(n), d, "delay-seconds %q", v)
		} else if fuzzAllDigits(trimmed) && trimmed != "" {
			assert.True(t, ok, "delay-seconds %q refused", v)
			assert.Equal(t, fuzzYear, d, "delay-seconds %q", v)
		}

		// Round trips of the fuzzed number of seconds in every form.
		d, ok = apierror.ParseRetryAfter(strconv.FormatUint(uint64(secs), 10), fuzzNow)
		assert.True(t, ok)
		assert.Equal(t, fuzzCapped(uint64(secs)), d)
		at := fuzzNow.Add(time.Duration(secs) * time.Second)
		for _, layout := range []string{http.TimeFormat, time.RFC850, time.ANSIC} {
			form := at.Format(layout)
			if layout == time.RFC850 && at.Year() >= 2069 {
				continue // two-digit years read back as 19xx
			}
			d, ok = apierror.ParseRetryAfter(form, fuzzNow)
			assert.True(t, ok, "HTTP-date %q refused", form)
			assert.Equal(t, fuzzCapped(uint64(secs)), d, "HTTP-date %q", form)
		}
	})
}

func fuzzAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func fuzzCapped(secs uint64) time.Duration {
	if secs > uint64(fuzzYear/time.Second) {
		return fuzzYear
	}
	return time.Duration(secs) * time.Second
}

// fuzzBody is a response body that counts the bytes read from it and
// whether it was closed.
type fuzzBody struct {
	r      io.Reader
	read   int
	closed bool
}

func (b *fuzzBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *fuzzBody) Close() error { b.closed = true; return nil }

// FuzzParseError feeds Parse arbitrary error answers (status, body, headers)
// and checks that it never panics, keeps the status code, reads at most
// MaxBody bytes and closes the body, and that the message is a short excerpt
// unless the body is the API's error envelope, whose fields are kept as sent.
// plainID matches request ids that Parse must keep exactly as sent.
var plainID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

func FuzzParseError(f *testing.F) {
	seeds := []struct {
		status          int
		body, ra, reqID string
		repeat          uint16
	}{
		{404, `{"error":{"code":"not_found","message":"session ses_1 not found"}}`, "", "req_00000001", 0},
		{429, `{"error":{"code":"rate_limited","message":"slow down"}}`, "2", "", 0},
		{503, `{"error":{"code":"internal","message":"maintenance"}}`, "Wed, 21 Oct 2015 07:29:00 GMT", "", 0},
		{401, `{"error":{"code":"invalid_token","message":"the access token expired"}}`, "", "", 0},
		{400, `{"error":"invalid_grant","error_description":"refresh token spent"}`, "", "", 0}, // OAuth shape
		{502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", "", "", 0},
		{504, "<!DOCTYPE html><html><body><h1>Gateway Timeout</h1><p>The upstream server did not answer in time.</p></body></html>", "", "", 0},
		{500, "", "", "", 0},
		{500, "Internal Server Error\n", "", "", 0},
		{418, "\x00\x01\x02\xff\xfe", "", "", 0},
		{500, "ab", "", "", 40000},                           // 80,000 bytes: beyond MaxBody
		{500, `{"error":{"code":"x","message":"`, "", "", 0}, // cut envelope
		{299, `{"error":{"code":"","message":"no code"}}`, "garbage", "", 0},
		{0, "<<<<<", "-5", "", 0},
		{999, "é", "99999999999999999999999", "", 40000},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), s.repeat, s.ra, s.reqID)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, repeat uint16, retryAfter, reqID string) {
		full := bytes.Repeat(body, int(repeat)+1)
		cb := &fuzzBody{r: bytes.NewReader(full)}
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("X-Request-Id", reqID)
		resp := &http.Response{StatusCode: status, Header: h, Body: cb}

		e := apierror.Parse(resp, fuzzNow)
		require.NotNil(t, e)
		assert.Equal(t, status, e.StatusCode)
		// The request id is server text: cleaned and bounded like any (an id
		// already clean and short is kept as sent).
		assert.Equal(t, auth.Excerpt(reqID, 128), e.RequestID)
		assert.LessOrEqual(t, utf8.RuneCountInString(e.RequestID), 129)
		assert.False(t, strings.ContainsFunc(e.RequestID, unicode.IsControl), "control character in the request id")
		if plainID.MatchString(reqID) {
			assert.Equal(t, reqID, e.RequestID, "a plain request id is kept as sent")
		}
		assert.LessOrEqual(t, cb.read, apierror.MaxBody, "read beyond MaxBody")
		assert.True(t, cb.closed, "body not closed")
		assert.GreaterOrEqual(t, e.RetryAfter, time.Duration(0))
		assert.LessOrEqual(t, e.RetryAfter, fuzzYear)
		assert.NotPanics(t, func() { _ = e.Error() })
		if e.Code == "" {
			// Not the envelope: an excerpt of at most 120 runes and "…".
			assert.LessOrEqual(t, utf8.RuneCountInString(e.Message), fuzzExcerptBound(120), "message not bounded")
			if http.StatusText(status) != "" {
				assert.NotEmpty(t, e.Message, "the message falls back to the status text")
			}
			assert.NotContains(t, e.Message, "<", "tags are dropped")
		}
	})
}

// fuzzExcerptBound is the most runes auth.Excerpt(text, n) returns: n runes,
// spaces included, and "…".
func fuzzExcerptBound(n int) int { return max(n, 0) + 1 }
