package mindpeekertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"time"
)

// This file implements Idempotency-Key on POST requests. A record is scoped
// to (principal, method, path, key) and kept for 24 hours of server clock;
// expired records are swept when new ones are stored (see
// sweepIdemLocked), so the map does not grow without bound in a
// long-running fake. A key reused with a different body answers
// 409 conflict.
//
// Concurrency choice: a request that finds a record still in progress
// WAITS for the first request to finish, then is answered from the record
// (a same-body repeat never gets 409). The wait ends early with no answer
// when the request's context is done or the server closes.

// idemSweepInterval is the least server-clock time between two sweeps of
// expired idempotency records, so that storing records stays O(1)
// amortised.
const idemSweepInterval = time.Minute

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

// expired reports whether a complete record is past its lifetime at now.
// A record still in progress never expires: its waiters depend on it.
func (rec *idemRecord) expired(now time.Time) bool {
	return rec.complete && !now.Before(rec.created.Add(idempotencyTTL))
}

// sweepIdemLocked deletes the expired records. To keep storing O(1)
// amortised it does nothing before s.st.idemNextSweep, which it sets to
// when the earliest remaining record expires, but at least
// idemSweepInterval ahead. s.mu must be held; now is the creation time of
// the record about to be stored.
func (s *Server) sweepIdemLocked(now time.Time) {
	if now.Before(s.st.idemNextSweep) {
		return
	}
	earliest := now
	for k, rec := range s.st.idem {
		switch {
		case rec.expired(now):
			delete(s.st.idem, k)
		case rec.created.Before(earliest):
			earliest = rec.created
		}
	}
	next := earliest.Add(idempotencyTTL)
	if floor := now.Add(idemSweepInterval); next.Before(floor) {
		next = floor
	}
	s.st.idemNextSweep = next
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
		now := s.now()
		rec := s.st.idem[k]
		if rec != nil && rec.expired(now) {
			delete(s.st.idem, k)
			rec = nil
		}
		if rec == nil {
			s.sweepIdemLocked(now)
			rec = &idemRecord{fingerprint: fp, created: now, done: make(chan struct{})}
			s.st.idem[k] = rec
			s.mu.Unlock()
			s.runAndStore(w, k, rec, run)
			return
		}
		if rec.fingerprint != fp {
			s.mu.Unlock()
			writeAPIError(w, errConflict("this Idempotency-Key was already used with a different request body"))
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
