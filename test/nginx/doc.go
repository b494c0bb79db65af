// Package nginx holds tests that check mason's nginx edits against a real
// nginx: every configuration the installer writes must pass `nginx -t`,
// and installing twice must change nothing. The end-to-end flow (mason run
// --nginx against an in-process Quarry, a forced renewal, a refused
// configuration restored) is in cmd/mason's nginx_test.go.
package nginx
