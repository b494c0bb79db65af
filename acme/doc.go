// Package acme holds the RFC 8555 wire vocabulary shared by Quarry's server
// and the mason client: JSON resource types, statuses, identifier and
// challenge types, problem types, and the key-authorization helpers.
//
// It imports only the standard library so any Go program can use it.
package acme
