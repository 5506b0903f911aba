// Package stall bounds how long a connection may go silent, without a timer
// per request: every connection the transports here dial carries a deadline
// that is pushed forward lazily, on a read or write, only once the last push
// is older than a quarter of the bound. A request whose server stops sending
// (before its headers, or mid-body) or stops reading fails within the bound
// with an error wrapping [os.ErrDeadlineExceeded]; a busy connection costs one
// clock read per read or write and one SetDeadline every quarter bound.
//
// The bound is on silence, not on the length of a call: a body that keeps
// arriving, however slowly, is not cut. The pool closes a connection idle
// for half the bound.
//
// Over HTTP/2 (https servers that offer it) the deadline is the connection's:
// a connection on which nothing arrives fails all its streams within the
// bound, but one stream that stalls while others on the same connection keep
// flowing is cut only once the connection goes quiet.
package stall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Default is the bound used when none is configured.
const Default = 30 * time.Second

// Error is returned by a read or write on a connection that was silent for
// the bound. It is a net.Error whose Timeout is true, and wraps
// os.ErrDeadlineExceeded.
type Error struct{ Bound time.Duration }

func (e *Error) Error() string {
	return fmt.Sprintf("no data from the server for %v (the stall bound)", e.Bound)
}
func (e *Error) Timeout() bool   { return true }
func (e *Error) Temporary() bool { return true }
func (e *Error) Unwrap() error   { return os.ErrDeadlineExceeded }

// conn is a net.Conn whose deadline is pushed to now+bound on use, at most
// every bound/4: a stall is caught between 3/4 bound and bound after the last
// byte moved.
type conn struct {
	net.Conn
	bound   time.Duration
	every   int64        // bound/4 in nanoseconds
	pushed  atomic.Int64 // monotonic nanoseconds (since start) of the last push
	stalled *Error
}

// start is the monotonic origin of conn.pushed.
var start = time.Now()

func (c *conn) push() {
	now := int64(time.Since(start))
	if last := c.pushed.Load(); now-last < c.every || !c.pushed.CompareAndSwap(last, now) {
		return
	}
	c.Conn.SetDeadline(time.Now().Add(c.bound))
}

func (c *conn) Read(p []byte) (int, error) {
	c.push()
	n, err := c.Conn.Read(p)
	return n, c.wrap(err)
}

func (c *conn) Write(p []byte) (int, error) {
	c.push()
	n, err := c.Conn.Write(p)
	return n, c.wrap(err)
}

func (c *conn) wrap(err error) error {
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return c.stalled
	}
	return err
}

// Dial returns a DialContext that dials with d and bounds each connection's
// silence to bound.
func Dial(d *net.Dialer, bound time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	stalled := &Error{Bound: bound}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := &conn{Conn: nc, bound: bound, every: int64(bound / 4), stalled: stalled}
		c.pushed.Store(int64(time.Since(start)))
		nc.SetDeadline(time.Now().Add(bound))
		return c, nil
	}
}

// NewTransport returns http.DefaultTransport's settings tuned for an API
// client: 64 idle connections per host (the default 2 makes a busy client
// reconnect constantly), and each connection's silence bounded by bound
// (<= 0: Default) in place of ResponseHeaderTimeout, which costs a timer per
// request.
func NewTransport(bound time.Duration) *http.Transport {
	if bound <= 0 {
		bound = Default
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.DialContext = Dial(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, bound)
	// An idle connection's deadline passes between 3/4 bound and bound after
	// its last use; the pool retires it before that, so that no request picks
	// up a connection about to fail.
	t.IdleConnTimeout = min(t.IdleConnTimeout, bound/2)
	return t
}

var (
	sharedMu sync.Mutex
	shared   = map[time.Duration]*http.Client{}
)

// Client returns the process-wide client (and its connection pool) for bound
// (<= 0: Default): every caller asking for the same bound shares one pool.
func Client(bound time.Duration) *http.Client {
	if bound <= 0 {
		bound = Default
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	c := shared[bound]
	if c == nil {
		c = &http.Client{Transport: NewTransport(bound)}
		shared[bound] = c
	}
	return c
}
