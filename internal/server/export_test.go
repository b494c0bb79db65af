package server

import "time"

// CloseStoreForTest closes the database under a running server, as a
// database that goes away mid-run.
func (s *Server) CloseStoreForTest() error { return s.store.Close() }

// SetRequestTimeoutForTest shortens the bound on one request, so tests of
// a database that does not answer finish quickly.
func (s *Server) SetRequestTimeoutForTest(d time.Duration) { s.requestTimeout.Store(int64(d)) }
