// Command acmeload drives concurrent simulated ACME subscribers through
// complete issuance flows against one directory URL on loopback and reports
// throughput, latency per step and errors by problem type. See --help.
//
// Exit codes: 0 every flow succeeded, 1 some flows failed (see the report),
// 2 usage error or refused target, 3 the run could not start.
//
// It holds only flags and output; the engine is internal/loadgen. It may
// import internal/loadgen, the acme wire types and the standard library.
package main
