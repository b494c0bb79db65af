// Command bench measures Quarry against Pebble in one run: it builds
// quarry and acmeload into a temporary directory, starts both CAs on
// loopback with their validation pointed at acmeload's responders, runs the
// same acmeload workload against each at several concurrencies (and at
// half of each CA's saturated throughput), and prints one table with the
// Quarry/Pebble ratio per row. Results are also written as JSON.
//
// Run it with `make bench` (scripts/bench.sh). It is not part of the test
// suite except TestSmoke, a few seconds per row.
//
// It may import internal/loadgen (for the report type) and the standard
// library; it drives quarry, acmeload and pebble only as processes.
package main
