//go:build !unix || aix || (solaris && !illumos)

package auth

import "context"

// lockFile takes the lock file at path on platforms without flock(2): an
// O_EXCL lock file, taken over when its holder has not touched it for two
// minutes (see exclLockFile).
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	return exclLockFile(ctx, path, staleLockAge)
}
