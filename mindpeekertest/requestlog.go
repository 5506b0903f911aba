package mindpeekertest

// requestLog keeps the most recent requests in a ring of at most max
// entries, so that a long-running fake does not keep every request (and
// its credentials) forever. max 0 records nothing. Guarded by Server.mu.
type requestLog struct {
	max   int
	buf   []Request // grows up to max, then is reused as a ring
	start int       // index of the oldest entry once buf is full
}

// add records r, dropping the oldest entry when the log is full.
func (l *requestLog) add(r Request) {
	switch {
	case l.max <= 0:
	case len(l.buf) < l.max:
		l.buf = append(l.buf, r)
	default:
		l.buf[l.start] = r
		l.start = (l.start + 1) % l.max
	}
}

// snapshot returns the entries oldest first, with cloned headers, or nil
// when recording is disabled.
func (l *requestLog) snapshot() []Request {
	if l.max <= 0 {
		return nil
	}
	out := make([]Request, 0, len(l.buf))
	out = append(out, l.buf[l.start:]...)
	out = append(out, l.buf[:l.start]...)
	for i := range out {
		out[i].Header = out[i].Header.Clone()
	}
	return out
}

// reset forgets every entry.
func (l *requestLog) reset() {
	l.buf, l.start = nil, 0
}
