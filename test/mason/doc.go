// Package mason runs the real mason binary against Pebble, a second ACME
// server written by others, so mason is checked against more than Quarry's
// reading of RFC 8555. Pebble keeps its default 5% nonce rejection, so
// mason's badNonce retry runs for real.
//
// The suite skips outside CI when pebble is not installed and fails when
// CI=true. Only loopback addresses are used.
package mason
