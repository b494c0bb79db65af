// Package loadgen is the engine of acmeload: it drives concurrent simulated
// subscribers through complete ACME flows (account, order, authorizations,
// finalize, download, optional revoke) against one directory URL, answers
// the challenges with its own http-01, tls-alpn-01 and DNS responders, and
// measures each step.
//
// It refuses any target that is not on a loopback address, both before the
// run and on every connection it dials.
//
// It imports the acme wire types, the client library and its solvers,
// internal/core for error kinds, the standard library and miekg/dns; never
// a server package (its tests start an in-process Quarry).
package loadgen
