// Package solver answers ACME challenges: http-01 by webroot or by its own
// listener, tls-alpn-01 by its own listener, and dns-01 by RFC 2136 dynamic
// update (TSIG-signed) or by an operator's hook script, optionally through
// a CNAME delegation (--challenge-alias) into another zone; Manual answers
// http-01 or dns-01 through the operator, by certbot-compatible hooks or a
// prompt.
//
// Every solver is a Solver (Present, CleanUp); listeners are also
// io.Closer. It imports the acme wire types, internal/core for error kinds,
// the standard library and miekg/dns; never a server package.
package solver
