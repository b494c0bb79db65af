package wfe

import (
	"fmt"
	"net/http"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// urls builds resource URLs for one request.
type urls struct{ base string }

func (w *WFE) urls(r *http.Request) urls { return urls{base: w.base(r)} }

func (u urls) account(id int64) string  { return fmt.Sprintf("%s%s%d", u.base, pathAccount, id) }
func (u urls) orders(id int64) string   { return fmt.Sprintf("%s%s%d", u.base, pathOrders, id) }
func (u urls) order(id int64) string    { return fmt.Sprintf("%s%s%d", u.base, pathOrder, id) }
func (u urls) authz(id int64) string    { return fmt.Sprintf("%s%s%d", u.base, pathAuthz, id) }
func (u urls) finalize(id int64) string { return fmt.Sprintf("%s%s%d", u.base, pathFinalize, id) }
func (u urls) cert(serial string) string {
	return u.base + pathCert + serial
}
func (u urls) challenge(authzID, id int64) string {
	return fmt.Sprintf("%s%s%d/%d", u.base, pathChallenge, authzID, id)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Second)
	return &t
}

func acmeAccount(a *core.Account, u urls) acme.Account {
	return acme.Account{Status: a.Status, Contact: a.Contact, TermsOfServiceAgreed: a.TermsAgreed, Orders: u.orders(a.ID)}
}

func acmeOrder(o *core.Order, authzs []*core.Authorization, now time.Time, u urls) acme.Order {
	out := acme.Order{
		Status: core.OrderStatus(o, authzs, now), Expires: timePtr(o.Expires), Identifiers: o.Identifiers,
		NotBefore: timePtr(o.NotBefore), NotAfter: timePtr(o.NotAfter), Finalize: u.finalize(o.ID),
		Profile: o.Profile, Replaces: o.Replaces, Authorizations: make([]string, 0, len(o.AuthzIDs)),
	}
	for _, id := range o.AuthzIDs {
		out.Authorizations = append(out.Authorizations, u.authz(id))
	}
	if o.Error != nil {
		out.Error = problemFor(o.Error)
	}
	if out.Status == acme.StatusValid && o.CertSerial != "" {
		out.Certificate = u.cert(o.CertSerial)
	}
	return out
}

func acmeAuthz(a *core.Authorization, now time.Time, u urls) acme.Authorization {
	id := a.Identifier
	if a.Wildcard {
		// RFC 8555 §7.1.4: the identifier is shown without "*.".
		id.Value = a.Identifier.Value
	}
	out := acme.Authorization{Identifier: id, Status: core.AuthzStatus(a, now), Expires: timePtr(a.Expires), Wildcard: a.Wildcard,
		Challenges: make([]acme.Challenge, 0, len(a.Challenges))}
	for _, c := range a.Challenges {
		// Once valid, only the challenge that succeeded is shown.
		if out.Status == acme.StatusValid && c.Status != acme.StatusValid {
			continue
		}
		out.Challenges = append(out.Challenges, acmeChallenge(c, a.ID, u))
	}
	return out
}

func acmeChallenge(c *core.Challenge, authzID int64, u urls) acme.Challenge {
	out := acme.Challenge{Type: c.Type, URL: u.challenge(authzID, c.ID), Status: c.Status, Token: c.Token,
		Validated: timePtr(c.Validated), ValidationRecord: c.Records}
	if c.Error != nil {
		p := problemFor(c.Error)
		out.Error = p
	}
	return out
}
