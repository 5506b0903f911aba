//go:build unix

package auth

import (
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens path without following a symbolic link at it
// (O_NOFOLLOW) and without blocking on a FIFO or a device (O_NONBLOCK, which
// changes nothing for the regular file that openPrivate then insists on).
func openNoFollow(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
}

// ownedByCurrentUser reports whether fi, from a Stat, belongs to the
// effective user of this process.
func ownedByCurrentUser(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}
