package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxBatch bounds the write transactions that share one commit.
const maxBatch = 64

// errClosed is returned by writes after Close.
var errClosed = errors.New("the database is closed")

// committer runs the store's write transactions on the one writer
// connection, committing together those that queue up while a commit is
// under way (group commit). With synchronous=FULL every COMMIT waits for
// the disk; one wait per batch instead of one per transaction is what lets
// writes keep up under load, and each transaction is still durable before
// its caller hears of it.
//
// Each transaction runs inside its own SAVEPOINT, so one that fails is
// rolled back alone while the rest of its batch commits. They run one
// after another, each seeing the ones before it, exactly as if each had
// had its own BEGIN and COMMIT in that order.
type committer struct {
	db   *sql.DB
	reqs chan *writeReq
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

type writeReq struct {
	ctx    context.Context
	f      func(tx *sql.Tx) error
	result chan error // buffered: the committer never blocks on a caller
}

func newCommitter(db *sql.DB) *committer {
	c := &committer{db: db, reqs: make(chan *writeReq), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// do runs f in a write transaction and returns once it is committed (nil)
// or rolled back (its error). ctx ending before f starts abandons it; once
// f has started, do waits for the commit, which is never long, so its
// answer is always the truth about what was stored.
func (c *committer) do(ctx context.Context, f func(tx *sql.Tx) error) error {
	r := &writeReq{ctx: ctx, f: f, result: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-c.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.result
}

// close stops taking writes and waits for the batch under way. Later
// calls do nothing, as closing a sql.DB twice does nothing.
func (c *committer) close() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	for {
		var batch []*writeReq
		select {
		case r := <-c.reqs:
			batch = append(batch, r)
		case <-c.quit:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		c.commit(batch)
	}
}

// commit runs batch in one transaction. A caller hears nil only after the
// COMMIT succeeded.
func (c *committer) commit(batch []*writeReq) {
	// Not a caller's context: one caller hanging up must not roll back the
	// others' work.
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		fail(batch, fmt.Errorf("beginning transaction: %w", err))
		return
	}
	var applied []*writeReq
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.result <- err
			continue
		}
		ferr, fatal := c.apply(tx, r.f)
		if fatal != nil {
			// The transaction itself is gone (SQLite rolled it back, for
			// instance on an I/O error): nothing in it was stored.
			_ = tx.Rollback()
			fail(applied, fatal)
			fail(batch[i:], fatal)
			return
		}
		if ferr != nil {
			r.result <- ferr
			continue
		}
		applied = append(applied, r)
	}
	if err := tx.Commit(); err != nil {
		fail(applied, fmt.Errorf("committing: %w", err))
		return
	}
	fail(applied, nil)
}

// apply runs f inside a savepoint. ferr is f's own error, after which its
// changes are undone; fatal means the transaction can no longer be used.
func (c *committer) apply(tx *sql.Tx, f func(tx *sql.Tx) error) (ferr, fatal error) {
	ctx := context.Background()
	if _, err := tx.ExecContext(ctx, "SAVEPOINT write"); err != nil {
		return nil, fmt.Errorf("starting savepoint: %w", err)
	}
	if ferr = call(f, tx); ferr != nil {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO write"); err != nil {
			return nil, errors.Join(ferr, fmt.Errorf("rolling back savepoint: %w", err))
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE write"); err != nil {
		return nil, errors.Join(ferr, fmt.Errorf("releasing savepoint: %w", err))
	}
	return ferr, nil
}

// call runs f, turning a panic into its error: the committer serves every
// request, and one bug must not stop the writes of all of them, as a
// panic in a request's own goroutine would not have.
func call(f func(tx *sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write transaction panicked: %v", p)
		}
	}()
	return f(tx)
}

// fail sends err (nil: success) to every request in rs.
func fail(rs []*writeReq, err error) {
	for _, r := range rs {
		r.result <- err
	}
}
