// Package harness runs real programs for the suites under test/: it builds
// and starts `quarry serve` (or Pebble, to check a suite against a second
// CA), runs ACME clients such as certbot and lego with their command lines
// logged, and checks what they wrote with openssl and crypto/x509.
//
// Every process it starts is stopped in t.Cleanup, and its output is logged
// when the test fails. Only loopback addresses are ever used.
//
// It may import the standard library and internal/testdns; no production
// package may import it.
package harness
