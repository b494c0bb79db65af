// Package nonce issues and redeems ACME anti-replay nonces (RFC 8555
// §6.5): unguessable, valid exactly once.
//
// Service keeps nonces in memory with bounded memory, so a nonce is
// redeemable only at the instance that issued it: the default for one
// instance. Shared nonces carry their expiry and a MAC under a key every
// instance shares, so any instance can check one without a database round
// trip; redeeming records the nonce in the database until it expires, so
// it is accepted once across all instances. Issuing writes nothing.
//
// It imports only the standard library and internal/core.
package nonce
