// Package mpic checks multi-perspective issuance corroboration with real
// processes built from this module: three `quarry va` remote perspectives,
// each resolving through its own DNS server, and a `quarry serve` primary
// configured to ask them. A name one perspective sees differently is still
// issued; a name two see differently is refused with the quorum's error,
// for dns-01 and for CAA alike. A client certificate from another CA, or
// none, is refused by every perspective.
//
// It needs only the go command; it may import anything in the module and
// nothing may import it.
package mpic
