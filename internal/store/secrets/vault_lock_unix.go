//go:build unix

package secrets

import (
	"errors"
	"os"
	"syscall"
)

// noFollow keeps the lock file from being a link: a link planted there
// would have patchbay create or lock a file elsewhere.
const noFollow = syscall.O_NOFOLLOW

// tryLock takes an exclusive flock without blocking; busy reports that another holder has it.
func tryLock(f *os.File) (busy bool, err error) {
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	return false, err
}

func unlockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// syncDir flushes a directory entry change (a rename) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
