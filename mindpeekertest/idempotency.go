package mindpeekertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"time"
)

// This file implements Idempotency-Key on POST requests. A record is scoped
// to (principal, method, path, key) and kept for 24 hours of server clock.
//
// Concurrency choice: a request that finds a record still in progress
// WAITS for the first request to finish, then is answered from the record
// (it never gets 409). The wait ends early with no answer when the
// request's context is done or the server closes.

type idemKey struct {
	principal, method, path, key string
}

type idemRecord struct {
	fingerprint [32]byte
	created     time.Time
	done        chan struct{} // closed when the first request finished
	complete    bool          // the answer below is stored
	status      int
	header      http.Header
	body        []byte
}

// fingerprint identifies a request body: canonical JSON when it parses
// (so whitespace and key order do not matter), the raw bytes otherwise.
func fingerprint(body []byte) [32]byte {
	var v any
	if len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &v) == nil {
		if canon, err := json.Marshal(v); err == nil {
			return sha256.Sum256(canon)
		}
	}
	return sha256.Sum256(body)
}

// serveIdempotent runs the request once per idempotency key and replays the
// stored answer to repeats. Answers with a 5xx status are not stored, so a
// repeat after one runs again.
func (s *Server) serveIdempotent(w http.ResponseWriter, r *http.Request, body []byte, p *principal, run func(http.ResponseWriter)) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 255 {
		writeAPIError(w, errInvalidRequest("Idempotency-Key is longer than 255 characters"))
		return
	}
	k := idemKey{principal: p.id, method: r.Method, path: r.URL.Path, key: key}
	fp := fingerprint(body)
	for {
		s.mu.Lock()
		rec := s.st.idem[k]
		if rec != nil && rec.complete && !s.now().Before(rec.created.Add(idempotencyTTL)) {
			delete(s.st.idem, k)
			rec = nil
		}
		if rec == nil {
			rec = &idemRecord{fingerprint: fp, created: s.now(), done: make(chan struct{})}
			s.st.idem[k] = rec
			s.mu.Unlock()
			s.runAndStore(w, k, rec, run)
			return
		}
		if rec.fingerprint != fp {
			s.mu.Unlock()
			writeAPIError(w, &apiError{
				status:  http.StatusUnprocessableEntity,
				code:    codeIdempotencyReused,
				message: "this Idempotency-Key was already used with a different request body",
			})
			return
		}
		if rec.complete {
			header, status, stored := rec.header.Clone(), rec.status, rec.body
			s.mu.Unlock()
			w.Header().Set("Idempotent-Replayed", "true")
			writeStored(w, header, status, stored)
			return
		}
		done := rec.done
		s.mu.Unlock()
		select {
		case <-done:
			// Loop: answer from the record, or run if it was dropped.
		case <-r.Context().Done():
			return
		case <-s.done:
			dropConnection(w)
			return
		}
	}
}

// runAndStore runs the request into a buffer, stores the answer in rec
// (unless 5xx, or the handler panicked) and writes it to w. Waiters are
// released in every case.
func (s *Server) runAndStore(w http.ResponseWriter, k idemKey, rec *idemRecord, run func(http.ResponseWriter)) {
	buf := newBufferedResponse()
	stored := false
	defer func() {
		s.mu.Lock()
		if !stored {
			delete(s.st.idem, k)
		}
		close(rec.done)
		s.mu.Unlock()
	}()
	run(buf)
	s.mu.Lock()
	if buf.statusCode() < 500 {
		rec.complete = true
		rec.status = buf.statusCode()
		rec.header = buf.header.Clone()
		rec.body = bytes.Clone(buf.body.Bytes())
		stored = true
	}
	s.mu.Unlock()
	buf.copyTo(w)
}
