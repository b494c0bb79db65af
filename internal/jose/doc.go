// Package jose verifies the JWS-signed requests of ACME (RFC 8555 §6.2,
// §6.3, §7.3.4, §7.3.5) strictly, and signs requests for clients and tests.
//
// Verification accepts only the flattened JSON serialization with one
// signature, an algorithm allow-list, a nonce redeemed once, a url equal to
// the request's, and exactly one of jwk or kid. A *Request can only be made
// by Verify, so handlers cannot act on unverified input.
//
// It imports acme, internal/core and go-jose.
package jose
