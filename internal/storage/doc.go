// Package storage declares the persistence contract Quarry's registration
// authority relies on. Backends live in sub-packages (sqlite and
// postgres) and must all pass the suite in storagetest.
//
// Backends return errors classified with core kinds: core.ErrNotFound when a
// row is missing, core.ErrConflict when a compare-and-set loses.
package storage
