// Command mason is Quarry's ACME agent: it registers an account, obtains
// certificates with the challenge method the operator picks, keeps them
// under one config directory and renews them when they are due; it also
// manages the account (show, update, deactivate, key rollover), revokes,
// deletes lineages and installs its own renewal schedule.
//
// Exit codes: 0 success; 1 the operation failed; 2 bad usage (unknown flag,
// missing argument); 3 another mason run holds the lock; 4 renew finished
// but at least one certificate (or the post-hook) failed.
//
// Each subcommand lives in its own file; the library packages client,
// client/store, client/renew and client/solver do the work. Only this
// package reads the environment and the process's identity. Tests may
// import internal/server and internal/testdns; the binary does not.
package main
