// Package jose verifies the JWS-signed requests of ACME (RFC 8555 §6.2,
// §6.3, §7.3.4, §7.3.5) strictly, and signs requests for clients and tests.
//
// Verification accepts only the flattened JSON serialization with one
// signature, an algorithm allow-list (RS256, ES256, ES384) matched to the
// key, a nonce redeemed once, a url equal to the request's, and exactly one
// of jwk or kid. JSON with duplicate member names is refused, so nothing
// reads a header differently from go-jose. A *Request can only be made by
// Verify, so handlers cannot act on unverified input. Every refusal is a
// *core.Error with a detail safe to show the client.
//
// It imports acme, internal/core and go-jose; never wfe, ra or storage,
// whose parts it needs are declared here as small interfaces.
package jose
