package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// checkpointEvery is how often the write-ahead log is folded into the
// database file.
const checkpointEvery = 250 * time.Millisecond

// checkpointer folds the write-ahead log into the database in the
// background. Left to itself, SQLite does this inside the COMMIT that takes
// the log past 1000 pages: that commit, and every write queued behind it,
// waited for the copy and the database file's sync. The writer connection
// has wal_autocheckpoint=0 (writerParams); a PASSIVE checkpoint on a
// connection of its own runs beside the writer and never blocks it.
type checkpointer struct {
	db   *sql.DB
	quit chan struct{}
	done chan struct{}
}

func startCheckpointer(dsn string) (*checkpointer, error) {
	db, err := openDB(dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			// An error (a busy lock, a full disk) leaves the log to grow
			// until the next tick succeeds; nothing is lost by waiting.
			_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// close stops checkpointing; the last connection to the database to close
// checkpoints what is left.
func (c *checkpointer) close() error {
	close(c.quit)
	<-c.done
	return c.db.Close()
}
