// Package wfe is Quarry's web front end: the ACME HTTP API (RFC 8555) and
// the plain-HTTP issuer, CRL and OCSP endpoints. It verifies every JWS through
// internal/jose, turns core error kinds into RFC 7807 problem documents
// (the only place that does), and hands verified requests to the RA.
//
// OCSP answers are OCSP responses, not problem documents: a bad request
// gets the malformedRequest or unauthorized status.
//
// It imports acme, core, internal/jose, the RA's request types and the
// OCSP responder's Response type; it knows
// nothing about SQL, validation or signing.
package wfe
