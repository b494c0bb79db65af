// Package nonce issues and redeems ACME anti-replay nonces (RFC 8555
// §6.5): unguessable, valid exactly once.
//
// Service keeps nonces in memory with bounded memory, so a nonce is
// redeemable only at the instance that issued it: the default for one
// instance. Shared records nonces in the database every instance uses, so
// any instance redeems a nonce once; a MAC and an expiry inside each nonce
// let an instance refuse garbage without a database round trip.
//
// It imports only the standard library and internal/core.
package nonce
