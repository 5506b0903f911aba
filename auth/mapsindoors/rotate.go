package mapsindoors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mindpeeker/mindpeeker-go/auth"
)

var (
	// ErrNoSecret is returned when the SecretStore holds no secret.
	ErrNoSecret = errors.New("mapsindoors: the secret store holds no secret")
	// ErrUnknownSecretID is returned (wrapped) by Rotate, before it changes
	// anything, when the stored secret has no id or an id that is not among the
	// client's secrets: the old secret could not be deleted afterwards.
	ErrUnknownSecretID = errors.New("mapsindoors: the id of the current secret is unknown")
)

// cleanupTimeout bounds the calls that undo a failed rotation, which run even
// when the caller's context has ended.
const cleanupTimeout = 30 * time.Second

// PartialRotationError is returned by [Client.Rotate] when the new secret was
// created, saved to the store and proven to log in, but the old secret could
// not be deleted: both secrets are valid. The store already holds the new one;
// delete OldSecretID later (with [Client.Delete]) to finish the rotation.
type PartialRotationError struct {
	NewSecretID string
	OldSecretID string
	Err         error // why the deletion failed
}

func (e *PartialRotationError) Error() string {
	return fmt.Sprintf("mapsindoors: rotation incomplete: the new secret %s is saved and works, "+
		"but deleting the old secret %s failed, so both are valid: %v", e.NewSecretID, e.OldSecretID, e.Err)
}

// Unwrap returns the deletion's error.
func (e *PartialRotationError) Unwrap() error { return e.Err }

// Rotate replaces the stored secret with a new one and deletes the old one,
// never leaving the store without a working secret:
//
//   - it checks that the stored secret's id is among the client's secrets, and
//     returns [ErrUnknownSecretID] without changing anything otherwise;
//   - it creates the new secret, authorized by a token from the old one;
//   - it saves the new secret and its id to the store; if that fails, it
//     deletes the new secret again (best effort) and returns the error, the old
//     secret staying in use;
//   - it logs in with the new secret; if that fails, it puts the old secret
//     back in the store, deletes the new one (best effort) and returns the error;
//   - it deletes the old secret, with a token from the new one; if that fails
//     (a 404 included) it returns the new secret and a *[PartialRotationError].
//
// On success, and with a *PartialRotationError, the returned secret is the one
// now in the store. Undoing a failed step runs even when ctx has ended. One
// rotation runs at a time per Client; when the store implements [auth.Locker],
// its lock is held throughout.
func (c *Client) Rotate(ctx context.Context) (*NewSecret, error) {
	c.rotating.Lock()
	defer c.rotating.Unlock()
	if l, ok := c.cfg.Store.(auth.Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return nil, fmt.Errorf("mapsindoors: rotate: locking the secret store: %w", err)
		}
		defer unlock()
	}

	old, err := c.cfg.Store.Load(ctx)
	switch {
	case err != nil:
		return nil, fmt.Errorf("mapsindoors: rotate: loading the secret: %w", err)
	case old.Secret == "":
		return nil, ErrNoSecret
	case old.ID == "":
		return nil, fmt.Errorf("%w: the store has none; find it with List and save it with the secret", ErrUnknownSecretID)
	}
	src := c.source()
	secrets, err := c.list(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("mapsindoors: rotate: listing the secrets: %w", err)
	}
	if !slices.ContainsFunc(secrets, func(s Secret) bool { return s.ID == old.ID }) {
		return nil, fmt.Errorf("%w: %s is not among the client's secrets", ErrUnknownSecretID, old.ID)
	}

	created, err := c.create(ctx, src, old.Secret, c.description())
	if err != nil {
		return nil, fmt.Errorf("mapsindoors: rotate: creating the new secret: %w", err)
	}
	c.log.Info("mapsindoors: created a new client secret", "id", created.ID, "replaces", old.ID)

	if err := c.cfg.Store.Save(ctx, created.Stored()); err != nil {
		// The save may have landed before it failed (a remote store that
		// timed out): put the old secret back before deleting the new one,
		// or the store could be left holding a deleted secret.
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		if rerr := c.cfg.Store.Save(cctx, old); rerr != nil {
			return nil, fmt.Errorf("mapsindoors: rotate: saving the new secret %s failed (%w), and so did putting the old secret %s "+
				"back (%w): the store may hold either; both remain valid on the server", created.ID, err, old.ID, rerr)
		}
		return nil, failed("saving the new secret failed", old.ID, created.ID, err, c.undoCreate(ctx, src, created.ID))
	}

	newTok, err := c.login(ctx, created.Secret)
	if err != nil {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		if rerr := c.cfg.Store.Save(cctx, old); rerr != nil {
			return nil, fmt.Errorf("mapsindoors: rotate: the new secret %s does not log in (%w), and putting the old secret %s "+
				"back in the store failed (%w): the store holds the new secret; both remain valid on the server",
				created.ID, err, old.ID, rerr)
		}
		return nil, failed("the new secret does not log in", old.ID, created.ID, err, c.undoCreate(ctx, src, created.ID))
	}
	c.log.Info("mapsindoors: the new client secret is saved and logs in", "id", created.ID)
	c.resetSource() // management calls now use the new secret

	if err := c.delete(ctx, staticToken{newTok}, old.ID); err != nil {
		c.log.Warn("mapsindoors: could not delete the old client secret; both are valid", "id", old.ID, "error", err)
		return created, &PartialRotationError{NewSecretID: created.ID, OldSecretID: old.ID, Err: err}
	}
	c.log.Info("mapsindoors: deleted the old client secret", "id", old.ID)
	return created, nil
}

// undoCreate deletes a secret created by a rotation that cannot complete.
func (c *Client) undoCreate(ctx context.Context, b bearer, id string) error {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	err := c.delete(cctx, b, id)
	if err != nil {
		c.log.Warn("mapsindoors: could not delete the unused new client secret", "id", id, "error", err)
	}
	return err
}

// failed reports a rotation stopped by err, the old secret staying in use, and
// the fate of the new secret, whose deletion returned deleteErr (both wrapped).
func failed(what, oldID, newID string, err, deleteErr error) error {
	if deleteErr != nil {
		return fmt.Errorf("mapsindoors: rotate: %s (%w); the old secret %s stays in use, but deleting the new secret %s "+
			"failed too, so delete it by hand: %w", what, err, oldID, newID, deleteErr)
	}
	return fmt.Errorf("mapsindoors: rotate: %s, so the new secret %s was deleted and the old secret %s stays in use: %w",
		what, newID, oldID, err)
}

func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

func (c *Client) description() string {
	if c.cfg.RotationDescription != "" {
		return c.cfg.RotationDescription
	}
	return "mindpeeker-go rotation " + time.Now().UTC().Format(time.RFC3339)
}
