// Package postgres is the scale-out storage backend: it implements
// storage.Store on PostgreSQL through a pgx connection pool, so several
// quarry instances can share one database. Its semantics match the SQLite
// backend's exactly (both pass storagetest): compare-and-set moves report
// core.ErrConflict, missing rows core.ErrNotFound, and times are stored as
// UTC unix nanoseconds with the codec in sqlbase.
//
// Writes run at READ COMMITTED; every compare-and-set is one conditional
// UPDATE, and a change that reads before it writes first locks the row it
// depends on (SELECT … FOR NO KEY UPDATE), always an authorization before
// its challenges, so concurrent instances neither lose updates nor
// deadlock.
// Reads that span several queries run in one REPEATABLE READ, read-only
// transaction, so they see one snapshot. When the database is unreachable
// a call fails with a plain error and the pool reconnects on its own.
//
// Open applies the versioned migrations in migrations/ under an advisory
// lock. It imports the standard library, acme, internal/core,
// internal/storage, internal/storage/sqlbase and pgx.
package postgres
