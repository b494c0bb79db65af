package sqlite

import "database/sql"

// ReadOnlyDB returns the store's read-only connection pool, for tools that
// copy the whole database elsewhere (quarry migrate --from … --to …). A
// transaction on it reads one snapshot while the store keeps writing.
func (s *Store) ReadOnlyDB() *sql.DB { return s.reader }
