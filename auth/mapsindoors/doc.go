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
// Secrets never appear in log lines, errors or fmt output of this package's
// types.
package mapsindoors
