package core

import (
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// OrderStatus derives an order's status (RFC 8555 §7.1.6) from its stored
// status and its authorizations at time now. Stored processing, valid and
// invalid win; otherwise an expired order or any authorization that failed
// makes it invalid, all valid makes it ready, and anything else is pending.
func OrderStatus(o *Order, authzs []*Authorization, now time.Time) acme.Status {
	switch o.Status {
	case acme.StatusProcessing, acme.StatusValid, acme.StatusInvalid:
		return o.Status
	}
	if !now.Before(o.Expires) {
		return acme.StatusInvalid
	}
	allValid := true
	for _, a := range authzs {
		switch AuthzStatus(a, now) {
		case acme.StatusInvalid, acme.StatusDeactivated, acme.StatusExpired, acme.StatusRevoked:
			return acme.StatusInvalid
		case acme.StatusValid:
		default:
			allValid = false
		}
	}
	if allValid && len(authzs) > 0 {
		return acme.StatusReady
	}
	return acme.StatusPending
}

// AuthzStatus is the authorization's status at time now: a pending or
// valid authorization past its expiry is expired.
func AuthzStatus(a *Authorization, now time.Time) acme.Status {
	if (a.Status == acme.StatusPending || a.Status == acme.StatusValid) && !now.Before(a.Expires) {
		return acme.StatusExpired
	}
	return a.Status
}
