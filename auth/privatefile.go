package auth

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// ErrInsecureFile is returned (wrapped) when a file that holds a secret, or
// decides where one is sent (a token file, the command's login.json), is not
// private to the current user: another user could have read it, planted it or
// could replace it. See [ReadPrivateFile] for what is refused. A token in such
// a file must be considered exposed: delete the file and log in again.
var ErrInsecureFile = errors.New("file is not private to this user")

// permsMeaningful reports whether Unix permission bits protect files here.
const permsMeaningful = runtime.GOOS != "windows" && runtime.GOOS != "plan9"

// ReadPrivateFile returns the content of the file at path, for a file that
// holds a secret or says where one goes. A missing file is an error wrapping
// [fs.ErrNotExist]; a file larger than limit bytes is an error. On Unix it
// refuses, with an error wrapping [ErrInsecureFile], whatever another local
// user could have read, planted or replaced:
//   - a symbolic link, or anything but a regular file (a FIFO, a device, a
//     directory), without ever blocking: the file is opened with O_NOFOLLOW
//     and O_NONBLOCK and checked on the opened descriptor;
//   - a file that group or others may read or write (it is not "fixed": its
//     content may already be known or replaced), or that another user owns;
//   - a file in a directory that group or others may write, unless the
//     current user owns that directory and it is not a shared (sticky) one:
//     then it is made 0700 (fixed) and the file is checked as above. A file
//     directly in /tmp is thus refused, even for root; use a directory of your
//     own.
//
// Use it with [WritePrivateFile] for files of your own (a custom [Store]).
func ReadPrivateFile(path string, limit int64) ([]byte, error) {
	if err := privateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := openPrivate(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("auth: reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("auth: %s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// WritePrivateFile replaces the file at path with data, so that a reader, or
// a restart after a crash, sees the old content or the new, never a mix, and
// no other user can read it:
//   - path's directory is created 0700 (its missing parents too), and an
//     existing one must be private, as [ReadPrivateFile] says (made 0700 when
//     group or others may write it and it is ours, refused when it is not);
//   - data is written to a new temporary file in that directory, created with
//     O_EXCL and mode 0600, synced, then renamed over path, and the directory
//     synced, so the rename survives a power loss;
//   - whatever is at path, a symbolic link included, is replaced, never
//     followed or written through.
//
// It is the module's one writer of private files (token files, the command's
// login.json, MapsIndoors' secret file); use it for files of your own.
func WritePrivateFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("auth: creating directory: %w", err)
	}
	if err := privateDir(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // O_EXCL, 0600
	if err != nil {
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("auth: writing %s: %w", path, err)
		}
	}()
	if err = tmp.Chmod(0o600); err != nil { // whatever the umask or platform default
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil { // rename(2) replaces a symlink, never follows it
		return err
	}
	return syncDir(dir)
}

// privateDir makes sure that only its owner, the current user, can write dir:
// a directory that group or others may write is made 0700 when it is ours,
// and refused when it is not, or when it is a shared (sticky) one like /tmp (see [ReadPrivateFile]). A missing directory is
// an error wrapping fs.ErrNotExist.
func privateDir(dir string) error {
	if !permsMeaningful {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	perm := fi.Mode().Perm()
	switch {
	case !fi.IsDir():
		return fmt.Errorf("auth: %s is not a directory: %w", dir, ErrInsecureFile)
	case perm&0o022 == 0:
		return nil
	case !ownedByCurrentUser(fi):
		return fmt.Errorf("auth: directory %s has mode %04o and another owner: %w", dir, perm, ErrInsecureFile)
	case fi.Mode()&os.ModeSticky != 0:
		// A shared directory such as /tmp (root owns it, so root "owns" it
		// here): making it private would break every other user of it.
		return fmt.Errorf("auth: directory %s is shared (mode %04o, sticky): %w", dir, perm, ErrInsecureFile)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("auth: making directory %s private: %w", dir, err)
	}
	return nil
}

// openPrivate opens path with flag (O_RDONLY, or O_RDWR|O_CREATE for a lock
// file) and checks the opened file: a regular file that only the current user
// owns and may read or write. A symbolic link is refused, and opening a FIFO
// or a device never blocks (see openNoFollow).
func openPrivate(path string, flag int) (*os.File, error) {
	f, err := openNoFollow(path, flag)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() { // why it failed: ELOOP, EISDIR
			return nil, notRegular(path, fi)
		}
		return nil, fmt.Errorf("auth: %w", err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkPrivateFile(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkPrivateFile checks what openPrivate opened.
func checkPrivateFile(path string, fi fs.FileInfo) error {
	perm := fi.Mode().Perm()
	switch {
	case !fi.Mode().IsRegular():
		return notRegular(path, fi)
	case !permsMeaningful:
		return nil
	case perm&0o077 != 0:
		return fmt.Errorf("auth: %s has mode %04o: %w", path, perm, ErrInsecureFile)
	case !ownedByCurrentUser(fi):
		return fmt.Errorf("auth: %s belongs to another user: %w", path, ErrInsecureFile)
	}
	return nil
}

func notRegular(path string, fi fs.FileInfo) error {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("auth: %s is a symbolic link: %w", path, ErrInsecureFile)
	}
	return fmt.Errorf("auth: %s is not a regular file (%s): %w", path, fi.Mode().Type(), ErrInsecureFile)
}

// syncDir makes a rename in dir durable: without it, a power loss could bring
// back the previous token, whose refresh token may already be spent.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // a directory cannot be opened for syncing; NTFS journals the rename
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // EINVAL: not supported here
		return err
	}
	return nil
}
