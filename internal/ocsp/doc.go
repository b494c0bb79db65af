// Package ocsp is Quarry's OCSP responder (RFC 6960, with the RFC 5019
// profile): it parses a DER request, finds which issuer it names, reads
// the certificate's status from storage, and returns a signed response,
// cached per certificate until it is due for re-signing or the status
// changes.
//
// It sits beside internal/ra in the flow and declares the small interfaces
// it needs (Store, Signer). It may import the standard library,
// internal/core, internal/ca (for its request types) and
// golang.org/x/crypto/ocsp; never HTTP or SQL. Errors carry kinds:
// core.ErrMalformed for a request that does not parse, core.ErrUnauthorized
// for an issuer Quarry does not answer for; internal/wfe turns them into
// OCSP error responses.
package ocsp
