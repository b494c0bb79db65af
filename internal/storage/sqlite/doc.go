// Package sqlite is the embedded storage backend: it implements
// storage.Store on a single SQLite database file (modernc.org/sqlite, pure
// Go), with versioned schema migrations applied by Open.
//
// Writes go through one connection, so they are serialized in the process
// and never meet SQLITE_BUSY from each other; reads use a separate pool of
// read-only connections that WAL mode lets run beside the writer. Commits
// are durable (WAL with synchronous=FULL). Times are stored as UTC unix
// nanoseconds, NULL for the zero time.
//
// It imports the standard library, acme, internal/core, internal/storage,
// internal/ratelimit (whose Store it implements)
// and the SQLite driver; nothing above storage may import it except
// internal/server, which wires it in.
package sqlite
