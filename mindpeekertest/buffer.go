package mindpeekertest

import (
	"bytes"
	"net/http"
	"strconv"
)

// bufferedResponse is an http.ResponseWriter that keeps the answer in
// memory, so it can be stored (idempotency), withheld (FaultDropAfter) or
// cut short (FaultCutBody).
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) statusCode() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

// copyTo writes the buffered answer to w, keeping headers already set on w
// (such as X-Request-Id) unless the buffer sets them too.
func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	writeStored(w, b.header, b.statusCode(), b.body.Bytes())
}

// writeStored writes a complete answer.
func writeStored(w http.ResponseWriter, header http.Header, status int, body []byte) {
	h := w.Header()
	for k, v := range header {
		h[k] = append([]string(nil), v...)
	}
	if len(body) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
