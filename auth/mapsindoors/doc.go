// Package mapsindoors logs in to MapsIndoors with the client credentials grant
// and manages the client's secrets, rotating them without ever losing the only
// working one.
//
// MapsIndoors lets each script have its own client secret and rotate it as
// often as it likes, even at every login: log in with the current secret,
// create a new one, delete the old one. Done naively, a crash or a failed call
// in the middle leaves a script with no working secret. [Client.Rotate] orders
// the steps so that it cannot:
//
//  1. create the new secret (authorized by a token from the current one);
//  2. save it, with its id, to the [SecretStore]; if that fails, delete it
//     again and keep the old one;
//  3. log in with it, proving it works; if that fails, put the old secret back
//     in the store and delete the new one;
//  4. only then delete the old secret; if that fails, both stay valid and a
//     [*PartialRotationError] says so.
//
// The API tells a secret's id only when the secret is created, so the store
// keeps the id next to the secret: the next rotation needs it to delete the
// secret it replaces. For the first rotation, find the id of the secret you were
// given with [Client.List] (by its description and creation time).
//
// # The wire
//
// The calls follow the MapsIndoors document "Client credentials flow". Every
// call to https://auth.mapsindoors.com/api/clientcredentials carries
// "Authorization: Bearer" and a token from the client credentials login, and
// its variables in the query string, as the document writes them:
//
//   - create: POST ?customerId=&description= (description omitted when empty)
//     with the form body grant_type=client_credentials&client_id=&client_secret=,
//     which the document shows without naming its values; this package sends
//     the client's id and its current secret (the one the bearer token was
//     obtained with), the same payload as the login, since the server generates
//     the new secret and returns it;
//   - delete: DELETE ?customerId=&id=, as documented;
//   - list: GET ?customerId= only. The document says "one variable: customerId"
//     but its example line repeats the delete line (customerId=&id=); the text
//     is taken over the example, since a list filtered by one id would not be
//     "a list of your current, active secret(s)".
//
// The document names no token URL. [DefaultTokenURL] is
// https://auth.mapsindoors.com/connect/token: the MapsIndoors Authentication
// guide (docs.mapsindoors.com, "Authentication") places the auth server at
// https://auth.mapsindoors.com and says it is an IdentityServer4
// implementation, whose token endpoint is /connect/token (also advertised in
// the server's /.well-known/openid-configuration). Set Config.TokenURL to
// override it.
//
// The calls go through the module's request engine, as client.Client's do: a
// 401 renews the token and retries once, a 429 waits out Retry-After, a 5xx is
// retried for a list or a delete but never for a create (the API documents no
// Idempotency-Key, so a repeat could create a second secret), a redirect to
// another origin is refused (a create carries the secret in its body), and a
// failure answer is an [*APIError], the module's client.APIError, with its
// sentinels (errors.Is(err, client.ErrNotFound)).
//
// Secrets never appear in log lines, errors or fmt output of this package's
// types.
package mapsindoors
