// Package testdns is a real DNS server, on miekg/dns, for tests: the VA,
// the client's dns-01 solver and the interop suites point their resolvers
// at it instead of at the Internet.
//
// It answers over UDP and TCP on one loopback port, acts as a recursive
// resolver for every name (RA set, CNAME chains followed inside its own
// data), and accepts RFC 2136 dynamic updates of TXT records, TSIG-signed
// when keys are configured. Failures (an rcode per name, or silence) can be
// injected per name.
//
// It imports only the standard library and miekg/dns; no production code
// may import it.
package testdns
