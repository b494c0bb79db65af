// Package server is the one place where Quarry's concrete parts are wired
// together: storage, CA, VA, policy, nonces, JWS verification, RA and the
// HTTP front end, with their listeners and graceful shutdown.
package server
