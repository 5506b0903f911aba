package auth

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxExpiresIn bounds a token lifetime, in seconds (68 years, as x/oauth2
// bounds its own): longer ones are clamped, so that no arithmetic on it
// overflows into a token already expired.
const maxExpiresIn = math.MaxInt32

// ParseExpiresIn reads an expires_in value as any server writes it: a JSON
// number (3600, 3600.0, 3.6e3) or a string holding one ("3600", "3600.0"),
// rounded up to whole seconds and clamped to 68 years. ok is false when it is
// absent, null, not a number, zero or negative: treat it as not sent.
func ParseExpiresIn(raw []byte) (seconds int64, ok bool) {
	s := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(s, `"`) {
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !math.IsInf(f, 0) { // out of range parses as ±Inf: clamped below
		return 0, false
	}
	if math.IsNaN(f) || f <= 0 {
		return 0, false
	}
	return int64(math.Ceil(min(f, maxExpiresIn))), true
}

// expiresInTransport rewrites expires_in in a JSON token answer into whole
// seconds before x/oauth2 reads it. Why a wrapper: x/oauth2's parser accepts
// only an integer and fails the whole login on 3600.0, "3600.0" or a number
// beyond int64, although servers send them. A value that is not a number is
// removed (as if absent); the rest of the answer is left as it is.
type expiresInTransport struct{ next http.RoundTripper }

// maxTokenAnswer is what x/oauth2 reads of a token answer (1 MB).
const maxTokenAnswer = 1 << 20

func (t expiresInTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		return resp, nil // x/oauth2 parses forms leniently; Source reads expires_in from them
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer+1))
	if err != nil || len(body) > maxTokenAnswer {
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	if fixed, ok := fixExpiresIn(body); ok {
		body = fixed
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// fixExpiresIn returns body with expires_in made an integer (or removed), and
// whether it changed anything.
func fixExpiresIn(body []byte) ([]byte, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil, false
	}
	raw, present := fields["expires_in"]
	if !present || string(raw) == "null" {
		return nil, false
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil && n > 0 && n <= maxExpiresIn {
		return nil, false // already what x/oauth2 reads
	}
	if secs, ok := ParseExpiresIn(raw); ok {
		fields["expires_in"] = json.RawMessage(strconv.FormatInt(secs, 10))
	} else {
		delete(fields, "expires_in")
	}
	fixed, err := json.Marshal(fields)
	return fixed, err == nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
