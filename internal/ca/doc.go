// Package ca is Quarry's certificate authority: it creates and loads the
// issuer hierarchy on disk (an ECDSA and an RSA root, an issuing
// intermediate under each, and a cross-signature of the ECDSA intermediate
// by the RSA root), signs subscriber certificates, and serves the chains and
// issuer certificates that sit above them. It also signs each issuer's
// CRL shards (SignCRL), encoding entries as they stream in and linting the
// result with zlint's CRL lints, and, when the OCSP responder is on, signs
// OCSP responses (SignOCSP) with an intermediate's key or a short-lived
// delegated responder certificate it issues and renews itself.
//
// Every leaf goes through prepare → lint → sign: prepare builds the
// template and lints a copy signed by a throwaway key with zlint, and sign
// accepts only the single-use token prepare returns, so no code path can sign
// a certificate the linter has not seen.
//
// It never touches storage and knows nothing about HTTP. It may import the
// standard library, internal/core, zmap/zlint (with zmap/zcrypto), and
// golang.org/x/crypto/cryptobyte for CRL encoding and golang.org/x/crypto/ocsp.
package ca
