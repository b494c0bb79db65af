// Package backend opens the storage backend a DSN names: "sqlite:PATH"
// for the embedded SQLite file, "postgres://…" or "postgresql://…" for a
// shared PostgreSQL. It is the one place that knows every backend, used by
// internal/server and the quarry command (serve, migrate).
//
// DSNs may hold passwords; Redact gives the form fit for logs and errors.
// It imports the standard library, internal/storage and its backends.
package backend
