// Package nonce issues and redeems ACME anti-replay nonces (RFC 8555
// §6.5): unguessable, valid exactly once, with bounded memory.
//
// It imports only the standard library and internal/core.
package nonce
