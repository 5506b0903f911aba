//go:build unix && !aix && (!solaris || illumos)

package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on path (created 0600 if missing; a
// symbolic link, a FIFO or a file others may use is refused) and
// returns the function that releases it. The kernel releases the lock when the
// process dies, so a crashed holder never blocks the others. flock locks belong
// to an open file description, so two opens in one process exclude each other
// too. The lock file is never removed: removing it would let a waiter that
// opened the old file and a newcomer that created a new one both "hold" it.
//
// Waiting polls LOCK_NB with a short backoff, so it ends promptly with ctx.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := openPrivate(path, os.O_RDWR|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("auth: opening lock file: %w", err)
	}
	fd := int(f.Fd())
	err = pollLock(ctx, func() (bool, error) {
		switch err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EINTR):
			return false, nil
		default:
			return false, &os.PathError{Op: "flock", Path: path, Err: err}
		}
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		f.Close() // closing the descriptor would release the lock anyway
	}, nil
}
