package wfe

import (
	"net"
	"net/http"
	"strconv"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
	"github.com/quarry-ca/quarry/internal/ra"
)

func (w *WFE) newAccount(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	var req acme.Account
	if err := decode(jr, &req); err != nil {
		return err
	}
	key, err := jr.JWK().MarshalJSON()
	if err != nil {
		return core.Errorf(core.ErrBadPublicKey, "the key could not be encoded")
	}
	keyID, err := jose.Thumbprint(jr.JWK())
	if err != nil {
		return core.Errorf(core.ErrBadPublicKey, "the key's thumbprint could not be computed")
	}
	in := ra.NewAccountRequest{
		Key: key, KeyID: keyID, PublicKey: jr.JWK().Key, Contact: req.Contact,
		TermsAgreed: req.TermsOfServiceAgreed, OnlyReturnExisting: req.OnlyReturnExisting,
		RemoteIP: remoteIP(r),
	}
	if len(req.ExternalAccountBinding) > 0 && !req.OnlyReturnExisting {
		kid, err := jose.VerifyEAB(req.ExternalAccountBinding, jr.JWK(), jr.URL(), w.eabKey)
		if err != nil {
			return err
		}
		in.EABKeyID = kid
	}
	acct, existed, err := w.ra.NewAccount(r.Context(), in)
	if err != nil {
		return err
	}
	u := w.urls(r)
	rw.Header().Set("Location", u.account(acct.ID))
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	return writeJSON(rw, status, acmeAccount(acct, u))
}

func (w *WFE) eabKey(kid string) ([]byte, bool) {
	k, ok := w.cfg.EABKeys[kid]
	return k, ok
}

// accountUpdate is the account POST body; a nil Contact leaves contacts alone.
type accountUpdate struct {
	Contact *[]string   `json:"contact"`
	Status  acme.Status `json:"status"`
}

func (w *WFE) account(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := owned(jr, id, "account"); err != nil {
		return err
	}
	acct := jr.Account()
	if !jr.IsPostAsGet() {
		var upd accountUpdate
		if err := decode(jr, &upd); err != nil {
			return err
		}
		var contact []string
		if upd.Contact != nil {
			contact = append([]string{}, (*upd.Contact)...)
		}
		if acct, err = w.ra.UpdateAccount(r.Context(), acct, contact, upd.Status); err != nil {
			return err
		}
	}
	u := w.urls(r)
	rw.Header().Set("Location", u.account(acct.ID))
	return writeJSON(rw, http.StatusOK, acmeAccount(acct, u))
}

// ordersPage is how many order URLs one page of the orders list holds.
const ordersPage = 100

func (w *WFE) orders(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := owned(jr, id, "orders list"); err != nil {
		return err
	}
	if !jr.IsPostAsGet() {
		return errNotPostAsGet
	}
	var after int64
	if c := r.URL.Query().Get("cursor"); c != "" {
		if after, err = strconv.ParseInt(c, 10, 64); err != nil || after < 0 {
			return core.Errorf(core.ErrMalformed, "invalid cursor")
		}
	}
	ids, err := w.ra.ListOrders(r.Context(), jr.Account(), after, ordersPage+1)
	if err != nil {
		return err
	}
	u := w.urls(r)
	list := acme.OrderList{Orders: make([]string, 0, len(ids))}
	for i, oid := range ids {
		if i == ordersPage {
			rw.Header().Add("Link", link(u.orders(id)+"?cursor="+strconv.FormatInt(ids[i-1], 10), "next"))
			break
		}
		list.Orders = append(list.Orders, u.order(oid))
	}
	return writeJSON(rw, http.StatusOK, list)
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
