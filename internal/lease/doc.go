// Package lease elects one instance among several sharing a database to
// run background jobs (CRL rounds, nonce sweeps, resuming abandoned work),
// through a lease row each instance tries to take or renew with one
// conditional statement. When the leader dies, another takes over once
// its lease expires; when it stops cleanly, it releases the lease and
// another takes over at its next attempt.
//
// The lease makes duplicate work rare; it is not what keeps the jobs
// correct: every job must stay safe if two instances briefly run it at
// once (a leader stalled past its lease).
//
// It imports only the standard library.
package lease
