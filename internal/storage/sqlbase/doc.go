// Package sqlbase holds what the SQL storage backends share: how domain
// values become column values and back (times as UTC unix nanoseconds,
// lists and problems as JSON text) and how a certificate name maps to the
// identifier its authorization is stored under. Keeping one codec means a
// row copied from SQLite to PostgreSQL means the same thing in both.
//
// It imports the standard library, acme and internal/core; never a driver.
package sqlbase
