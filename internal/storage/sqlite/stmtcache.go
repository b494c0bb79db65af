package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	msqlite "modernc.org/sqlite"
)

// maxCachedStmts bounds the prepared statements one connection keeps. The
// store's queries are a fixed set well below it; past it, statements are
// prepared per call as before.
const maxCachedStmts = 256

// openDB opens dsn with connections that keep each query's prepared
// statement for reuse. Parsing and planning SQL took about a seventh of
// the server's CPU under load when every call prepared its query afresh.
func openDB(dsn string) (*sql.DB, error) {
	base, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(&cachingConnector{base: base}), nil
}

type cachingConnector struct {
	base driver.Connector
}

func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

func (c *cachingConnector) Driver() driver.Driver { return c.base.Driver() }

// inner is what the wrapped modernc connection offers.
type inner interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
}

// cachingConn is one SQLite connection with its prepared statements.
// database/sql uses a connection from one goroutine at a time, so it
// needs no lock.
type cachingConn struct {
	inner
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt driver.Stmt
	// busy is set while a Rows from stmt is open: the same query run
	// again before then gets a statement of its own.
	busy bool
}

func newCachingConn(c driver.Conn) (*cachingConn, error) {
	in, ok := c.(inner)
	if !ok {
		c.Close()
		return nil, errors.New("sqlite driver lacks context methods")
	}
	return &cachingConn{inner: in, stmts: make(map[string]*cachedStmt)}, nil
}

// cacheable says whether query is one statement: a script's later
// statements would be lost by a prepared statement, which holds the first.
func cacheable(query string) bool {
	return !strings.Contains(strings.TrimRight(query, "; \t\r\n"), ";")
}

// stmt returns query's cached statement marked busy, preparing it on
// first use, or nil when the caller should not use the cache.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		cs.busy = true
		return cs, nil
	}
	if !cacheable(query) || len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{stmt: st, busy: true}
	c.stmts[query] = cs
	return cs, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.ExecContext(ctx, query, args)
	}
	defer func() { cs.busy = false }()
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		cs.busy = false
		return nil, err
	}
	return &releasingRows{Rows: rows, cs: cs}, nil
}

// Unwrap lets the driver see the connection it made.
func (c *cachingConn) Unwrap() driver.Conn { return c.inner }

// Ping, ResetSession and IsValid pass through, so database/sql still
// drops broken connections.
func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, q)
	}
	return errors.Join(append(errs, c.inner.Close())...)
}

// releasingRows frees its cached statement for reuse when closed.
type releasingRows struct {
	driver.Rows
	cs     *cachedStmt
	closed bool
}

func (r *releasingRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}

var (
	_ driver.ExecerContext   = (*cachingConn)(nil)
	_ driver.QueryerContext  = (*cachingConn)(nil)
	_ driver.SessionResetter = (*cachingConn)(nil)
	_ driver.Validator       = (*cachingConn)(nil)
	_ driver.ConnBeginTx     = (*cachingConn)(nil)
	_ driver.Connector       = (*cachingConnector)(nil)
)
