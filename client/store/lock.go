package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// lockPoll is how often Lock retries a held lock.
const lockPoll = 100 * time.Millisecond

// ErrLocked says another run holds the config directory's lock.
var ErrLocked = core.Errorf(core.ErrConflict, "another mason run holds the lock")

// Lock takes the directory's exclusive lock, waiting until ctx ends. The
// lock dies with the process, so a crashed run never leaves it stuck.
func (s *Store) Lock(ctx context.Context) (unlock func() error, err error) {
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f.Close, nil // closing the descriptor releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", s.dir, err)
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("%w (%s)", ErrLocked, filepath.Join(s.dir, ".lock"))
		case <-t.C:
		}
	}
}
