// Package renew decides when a certificate is due for renewal and how long
// to wait after a failed attempt. It is pure: the clock and randomness come
// in as arguments, and the caller persists State.
//
// It imports only the standard library.
package renew
