// Package faulttest is the SDK's fault-injection suite: a table of faults that
// real networks and servers produce, each played by the mindpeekertest fake
// against the real client (client, auth, internal/transport), with what the
// caller must see, how many requests may reach the server, and what state the
// server must be left in (no session or key created twice or lost, no refresh
// token spent twice).
//
// The package holds tests only; plain `go test ./...` runs it. The matrix is
// faultMatrix in rows_test.go, played by TestFaultMatrix in matrix_test.go;
// docs/faults.md presents it as a table, and TestFaultsDocListsEveryRow keeps
// the two in step. Every client in the suite uses an http.Client without
// keep-alives, so that Go's http.Transport never silently replays a request on
// a reused connection and request counts are exact.
package faulttest
