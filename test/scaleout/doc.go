// Package scaleout runs several `quarry serve` processes built from this
// module on one shared database behind HAProxy, and checks that they act
// as one CA: complete issuances through the balancer landing on every
// instance, nonces redeemed once across instances, a registration rate
// limit reached exactly at its edge by requests spread over the
// instances, one order finalized on two instances at once yielding one
// certificate, one instance killed mid-run while the rest carry on, and
// certbot and lego issuing through the balancer.
//
// The store is the SQLite file in the shared data directory; with
// QUARRY_TEST_POSTGRES set to a DSN it is that PostgreSQL database
// instead (see storeConfig). HAProxy, certbot and lego come from
// scripts/deps.sh; without them the test skips, or fails when CI=true.
//
// It may import anything in the module; nothing may import it.
package scaleout
