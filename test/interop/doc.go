// Package interop runs real Debian ACME clients (certbot, lego, dehydrated,
// uacme, acme-tiny, acmetool, Caddy and Ruby's acme-client library) against a real `quarry serve` built from this
// module (and against Pebble, as a reference CA), with validation pointed
// at an in-process DNS server. docs/interop.md has the client matrix.
//
// Run `go test -v ./test/interop/` to see every client command line. The
// programs come from scripts/deps.sh; without them the tests skip, or fail
// when CI=true.
//
// It may import anything in the module; nothing may import it.
package interop
