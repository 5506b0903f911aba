// Package conformance tests the SDK against real OAuth 2.0 server libraries
// (ory/fosite: strict about refresh-token reuse; go-oauth2: lenient) running
// on loopback. It is its own module so that the SDK's go.mod carries none of
// their dependencies.
package conformance
