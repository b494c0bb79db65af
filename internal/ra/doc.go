// Package ra is Quarry's registration authority: it owns the life of
// accounts, orders, authorizations and certificates, applies policy, starts
// validations and asks the CA to sign.
//
// It knows no HTTP and no SQL. It imports acme, core, storage, ratelimit
// (for the limiter's request and reservation types), and the
// request types of va and ca; every dependency is an interface declared here.
package ra
