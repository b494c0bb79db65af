// Package wfe is Quarry's web front end: the ACME HTTP API (RFC 8555) and
// the plain-HTTP issuer and CRL endpoints. It verifies every JWS through
// internal/jose, turns core error kinds into RFC 7807 problem documents
// (the only place that does), and hands verified requests to the RA.
//
// It imports acme, core, internal/jose and the RA's request types; it knows
// nothing about SQL, validation or signing.
package wfe
