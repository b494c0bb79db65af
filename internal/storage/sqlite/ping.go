package sqlite

import (
	"context"
	"fmt"
)

// Ping checks the database file still answers, for readiness probes: a
// read on the reader pool and the writer, so a wedged writer shows too.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging database: %w", err)
	}
	var one int
	if err := s.writer.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("pinging database: %w", err)
	}
	return nil
}
