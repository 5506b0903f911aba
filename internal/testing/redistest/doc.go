// Package redistest is test support for code that needs a real Redis: [Start]
// runs a private redis-server on a free loopback port for the duration of a
// test, and [StartChild] runs helper processes (the test binary re-executed) so
// that a test can prove what several processes sharing one Redis do.
//
// Start skips the test, with an install hint, when redis-server is not on PATH;
// with [RequireEnv] set (as CI does) it fails it instead, so that the Redis tests
// cannot pass by not running.
//
//	srv := redistest.Start(t)           // srv.Addr is "127.0.0.1:<port>"
//	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
//	// ...
//	srv.Stop()                          // Redis dies, as in an outage
//
// The package uses only the standard library, so that both modules of the
// repository (the SDK and conformance/) can use it without new dependencies.
package redistest
