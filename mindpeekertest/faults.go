package mindpeekertest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is what an injected Fault does to the requests it matches.
type FaultKind int

const (
	// FaultStatus answers Status (default 500) with the error envelope
	// without processing the request. The code follows the status as in
	// API.md: 401 invalid_token (with a WWW-Authenticate challenge), 403
	// insufficient_scope, 404 not_found, 409 conflict, 429 rate_limited,
	// every 5xx (500, 502, 503, 504...) internal, any other status
	// invalid_request. RetryAfter, when set, is sent as the Retry-After
	// header. On the token endpoint the body is an OAuth error instead
	// ({"error":"...","error_description":"..."}): temporarily_unavailable
	// for 503, server_error for other 5xx.
	FaultStatus FaultKind = iota
	// FaultHTML answers Status (default 502) with a text/html page, as a
	// proxy or gateway in front of the API would; nothing is processed.
	FaultHTML
	// FaultDropBefore closes the connection before processing: no answer,
	// no state change.
	FaultDropBefore
	// FaultDropAfter processes the request fully (state changes and
	// idempotency records are stored), then closes the connection without
	// answering: the client cannot know the call succeeded.
	FaultDropAfter
	// FaultCutBody processes the request, then sends the status, headers
	// and the Content-Length of the full body but only the first half of
	// the body, and closes the connection.
	FaultCutBody
	// FaultHang never answers: the request is held until the client gives
	// up (its context is done) or the server is closed, and nothing is
	// processed.
	FaultHang
	// FaultDelay waits Delay (or until the client gives up), then processes
	// the request normally.
	FaultDelay
	// FaultGarbage answers 200 with Content-Type application/json and a
	// body that is not JSON, without processing the request.
	FaultGarbage
	// FaultBody answers Status (default 200) with Content-Type
	// application/json and Body as it is, without processing the request: a
	// hostile or broken server's answer ("null", a page whose cursor cycles,
	// an error message full of escape sequences).
	FaultBody
)

var faultKindNames = [...]string{"FaultStatus", "FaultHTML", "FaultDropBefore", "FaultDropAfter", "FaultCutBody", "FaultHang", "FaultDelay", "FaultGarbage", "FaultBody"}

// String returns the constant's name, e.g. "FaultHang".
func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultKindNames) {
		return faultKindNames[k]
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault describes a failure to inject with Server.Inject.
type Fault struct {
	// Kind is what happens.
	Kind FaultKind
	// Target selects the requests: "" any API request (under /v1),
	// "token" the token endpoint, "authorize" the authorize endpoint, or
	// "METHOD /v1/path-prefix" such as "POST /v1/api-keys" (which also
	// matches "/v1/api-keys/{id}/rotate"). METHOD may be "*" for any, and
	// a bare "/v1/path-prefix" matches any method.
	Target string
	// Times is how many matching requests the fault affects; 0 means 1.
	Times int
	// Status is the HTTP status of FaultStatus and FaultHTML.
	Status int
	// RetryAfter is the raw Retry-After header value ("2", or an HTTP-date)
	// sent with FaultStatus and FaultHTML when not empty.
	RetryAfter string
	// Delay is how long FaultDelay waits.
	Delay time.Duration
	// Body is what FaultBody answers.
	Body string
}

// queuedFault is an injected Fault with its parsed target and the number of
// requests it still affects.
type queuedFault struct {
	Fault
	ep     endpoint // endpoint to match when path is ""
	method string   // "" or "*": any
	path   string   // path prefix, "" when ep is used
	left   int
}

func (q *queuedFault) matches(method, path string, ep endpoint) bool {
	if q.path == "" {
		return ep == q.ep
	}
	if q.method != "" && q.method != "*" && !strings.EqualFold(q.method, method) {
		return false
	}
	return strings.HasPrefix(path, q.path)
}

// Inject queues a fault. Faults are consumed in insertion order: each
// request (after being recorded in Requests and Stats) consumes one use of
// the first queued fault whose Target matches it. Inject panics on a Target
// it cannot parse or an unknown Kind, so that a typo fails the test at once.
func (s *Server) Inject(f Fault) {
	if f.Kind < FaultStatus || f.Kind > FaultBody {
		panic("mindpeekertest: Inject: unknown " + f.Kind.String())
	}
	q := &queuedFault{Fault: f, left: f.Times}
	if q.left <= 0 {
		q.left = 1
	}
	t := strings.TrimSpace(f.Target)
	switch {
	case t == "":
		q.ep = epAPI
	case t == "token":
		q.ep = epToken
	case t == "authorize":
		q.ep = epAuthorize
	case strings.HasPrefix(t, "/"):
		q.path = t
	default:
		method, path, ok := strings.Cut(t, " ")
		path = strings.TrimSpace(path)
		if !ok || !strings.HasPrefix(path, "/") {
			panic(fmt.Sprintf("mindpeekertest: Inject: cannot parse Target %q; want \"\", \"token\", \"authorize\" or \"METHOD /path-prefix\"", f.Target))
		}
		q.method, q.path = strings.ToUpper(method), path
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, q)
}

// ClearFaults drops every queued fault that has not been consumed yet.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = nil
}

// PendingFaults returns how many requests the queued faults will still
// affect, to assert that a test consumed all it injected.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.st.faults {
		n += q.left
	}
	return n
}

// takeFault consumes one use of the first queued fault matching the request.
func (s *Server) takeFault(method, path string, ep endpoint) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, q := range s.st.faults {
		if !q.matches(method, path, ep) {
			continue
		}
		q.left--
		if q.left <= 0 {
			s.st.faults = append(s.st.faults[:i:i], s.st.faults[i+1:]...)
		}
		f := q.Fault
		return &f
	}
	return nil
}

// applyFault answers a request according to f; inner is the normal handler.
func (s *Server) applyFault(f *Fault, ep endpoint, w http.ResponseWriter, r *http.Request, body []byte, inner innerHandler) {
	switch f.Kind {
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		msg := "injected fault: " + http.StatusText(status)
		if ep == epToken {
			writeOAuthError(w, &oauthError{status: status, code: oauthCodeForStatus(status), desc: msg, basic: true})
			return
		}
		writeAPIError(w, &apiError{status: status, code: codeForStatus(status), message: msg})
	case FaultHTML:
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		page := fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
			status, http.StatusText(status), status, http.StatusText(status))
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(page))
	case FaultDropBefore:
		dropConnection(w)
	case FaultDropAfter:
		inner(newBufferedResponse(), r, body)
		dropConnection(w)
	case FaultCutBody:
		buf := newBufferedResponse()
		inner(buf, r, body)
		cutBody(w, buf)
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		dropConnection(w)
	case FaultDelay:
		if !s.sleep(r.Context(), f.Delay) {
			dropConnection(w)
			return
		}
		inner(w, r, body)
	case FaultGarbage:
		const garbage = "<<this is not JSON>> {\"data\": ["
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(garbage)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(garbage))
	case FaultBody:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Body)
	default:
		panic("mindpeekertest: unknown FaultKind " + f.Kind.String())
	}
}

// oauthCodeForStatus is the OAuth error code a FaultStatus on the token
// endpoint uses.
func oauthCodeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "invalid_client"
	case status == http.StatusTooManyRequests:
		return codeRateLimited
	case status == http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request"
	}
}

// dropConnection closes the client connection without an answer. Without a
// hijackable connection (HTTP/2, a recorder) it aborts the handler, which
// makes net/http reset the stream or close the connection.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// cutBody sends buf's status and headers with the Content-Length of the
// whole body, but only half the body, then closes the connection.
func cutBody(w http.ResponseWriter, buf *bufferedResponse) {
	full := buf.body.Bytes()
	half := full[:len(full)/2]
	header := w.Header().Clone() // X-Request-Id
	for k, v := range buf.header {
		header[k] = v
	}
	header.Set("Content-Length", strconv.Itoa(len(full)))
	header.Set("Connection", "close")

	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(buf.statusCode())
		_, _ = w.Write(half)
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	status := buf.statusCode()
	_, _ = fmt.Fprintf(rw, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = header.Write(rw)
	_, _ = rw.WriteString("\r\n")
	_, _ = rw.Write(half)
	_ = rw.Flush()
}
