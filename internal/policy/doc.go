// Package policy decides which identifiers, public keys and CSRs Quarry will
// accept: DNS name syntax, IDNA, wildcards, public suffixes, reserved names,
// the operator's block list, IP identifiers (RFC 8738), the key policy
// (sizes, curves, weak RSA moduli), the finalize CSR rules, and CAA
// evaluation (RFC 8659, RFC 8657) of records the va has looked up.
//
// It is pure: no I/O, no clock, no storage. Every refusal is a *core.Error
// with a kind and a client-safe detail. It may import the standard library,
// acme, internal/core, and golang.org/x/net/idna and publicsuffix.
package policy
