// Package storagetest is the one conformance suite every storage.Store
// backend must pass (SQLite and PostgreSQL). A backend's own test
// calls Run with a constructor for fresh, empty stores.
//
// It imports the standard library (testing among it), acme, internal/core
// and internal/storage, never a backend.
package storagetest
