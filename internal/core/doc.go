// Package core holds Quarry's domain objects (accounts, orders,
// authorizations, challenges, certificates), their state rules, and the
// error kinds every layer classifies failures with.
//
// It imports only the standard library and the acme wire vocabulary
// (statuses and identifiers).
package core
