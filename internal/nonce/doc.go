// Package nonce issues and redeems ACME anti-replay nonces (RFC 8555
// §6.5): unguessable, valid exactly once, with bounded memory.
//
// The Service keeps nonces in memory, so a nonce is redeemable only at the
// instance that issued it; Config.Prefix lets a front end route it there.
//
// It imports only the standard library and internal/core.
package nonce
