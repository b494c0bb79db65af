// Package crl keeps every CRL shard of every issuer fresh: it regenerates
// them all on a schedule and, soon after a revocation, the shards it
// touched, signing with internal/ca and publishing into storage, from which
// any instance serves them.
//
// It sits beside internal/ra in the flow and declares the small interfaces
// it needs (Store, Signer). It may import the standard library,
// internal/core and internal/ca (for its request types); never HTTP or SQL.
package crl
