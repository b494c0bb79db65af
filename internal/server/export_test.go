package server

// CloseStoreForTest closes the database under a running server, as a
// database that goes away mid-run.
func (s *Server) CloseStoreForTest() error { return s.store.Close() }
