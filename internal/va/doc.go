// Package va is Quarry's validation authority: it proves control of an
// identifier by the http-01, dns-01 and tls-alpn-01 methods and returns
// what it contacted, and it looks up CAA records (caa.go) for policy to
// evaluate. It never stores anything; the ra records results.
//
// Every address it dials passes an SSRF guard that refuses loopback,
// private, link-local and reserved ranges unless Config.AllowPrivate is set.
//
// It may import the standard library, acme, internal/core, internal/policy
// (pure CAA evaluation) and miekg/dns; never ra, wfe or storage. Tests also
// use internal/testdns.
package va
