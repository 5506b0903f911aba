package auth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"time"
)

// staleLockAge is how old an O_EXCL lock file (see exclLockFile) must be before
// a waiter decides its holder died and takes the lock over.
const staleLockAge = 2 * time.Minute

// pollLock calls try until it reports the lock taken, it fails, or ctx ends.
// The wait between attempts grows from 1ms to about 50ms, with jitter so that
// waiting processes do not retry in step.
func pollLock(ctx context.Context, try func() (bool, error)) error {
	wait := time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("auth: waiting for the token file lock: %w", err)
		}
		if ok, err := try(); ok || err != nil {
			return err
		}
		t := time.NewTimer(wait/2 + rand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("auth: waiting for the token file lock: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, 50*time.Millisecond)
	}
}

// exclLockFile is the portable lock, used where flock(2) is not available
// (Windows, Plan 9, AIX, Solaris, js, wasip1): the lock is held by whoever
// creates path with O_CREATE|O_EXCL, and released by removing it.
//
// Such a file outlives a crashed holder, so a lock file whose modification time
// is more than staleAfter old is considered abandoned and removed by a waiter. A
// live holder touches the file every staleAfter/4, so however long it holds the
// lock, it is not mistaken for a dead one. The takeover has a small race: two
// waiters that see the same stale file at the same instant may both end up
// holding the lock. That needs a crash first and a near-simultaneous takeover
// after; the flock(2) lock used on Unix has no such window.
func exclLockFile(ctx context.Context, path string, staleAfter time.Duration) (unlock func(), err error) {
	err = pollLock(ctx, func() (bool, error) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			// The content only helps a human find the holder.
			_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			_ = f.Close()
			return true, nil
		}
		busy := errors.Is(err, fs.ErrExist) ||
			// Windows refuses to create a file whose deletion is pending.
			(runtime.GOOS == "windows" && errors.Is(err, fs.ErrPermission))
		if !busy {
			return false, fmt.Errorf("auth: creating lock file: %w", err)
		}
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return false, nil // released meanwhile
		case err != nil:
			return false, fmt.Errorf("auth: lock file: %w", err)
		case time.Since(fi.ModTime()) > staleAfter:
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return false, fmt.Errorf("auth: removing stale lock file: %w", err)
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(staleAfter / 4)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				_ = os.Chtimes(path, now, now)
			}
		}
	}()
	return func() {
		close(stop)
		<-stopped
		_ = os.Remove(path)
	}, nil
}
