package wfe

import (
	"crypto/x509"
	"encoding/base64"
	"net/http"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
)

func (w *WFE) newOrder(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	var req acme.NewOrderRequest
	if err := decode(jr, &req); err != nil {
		return err
	}
	order, authzs, err := w.ra.NewOrder(r.Context(), jr.Account(), req)
	if err != nil {
		return err
	}
	u := w.urls(r)
	rw.Header().Set("Location", u.order(order.ID))
	return writeJSON(rw, http.StatusCreated, acmeOrder(order, authzs, w.ra.Now(), u))
}

// loadOrder fetches an order from the path that belongs to the requester.
func (w *WFE) loadOrder(r *http.Request, jr *jose.Request) (*core.Order, []*core.Authorization, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	order, authzs, err := w.ra.GetOrder(r.Context(), id)
	if isNotFound(err) {
		return nil, nil, core.Errorf(core.ErrNotFound, "no such order")
	} else if err != nil {
		return nil, nil, err
	}
	if err := owned(jr, order.AccountID, "order"); err != nil {
		return nil, nil, err
	}
	return order, authzs, nil
}

func (w *WFE) order(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	if !jr.IsPostAsGet() {
		return errNotPostAsGet
	}
	order, authzs, err := w.loadOrder(r, jr)
	if err != nil {
		return err
	}
	return w.writeOrder(rw, r, order, authzs)
}

func (w *WFE) writeOrder(rw http.ResponseWriter, r *http.Request, order *core.Order, authzs []*core.Authorization) error {
	u := w.urls(r)
	out := acmeOrder(order, authzs, w.ra.Now(), u)
	if out.Status == acme.StatusProcessing || out.Status == acme.StatusPending {
		retryAfter(rw, 1)
	}
	rw.Header().Set("Location", u.order(order.ID))
	return writeJSON(rw, http.StatusOK, out)
}

func (w *WFE) finalize(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	var req acme.FinalizeRequest
	if err := decode(jr, &req); err != nil {
		return err
	}
	order, authzs, err := w.loadOrder(r, jr)
	if err != nil {
		return err
	}
	der, err := base64.RawURLEncoding.DecodeString(req.CSR)
	if err != nil || len(der) == 0 {
		return core.Errorf(core.ErrBadCSR, "the csr field must be base64url-encoded DER without padding")
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return core.Errorf(core.ErrBadCSR, "the CSR could not be parsed")
	}
	if err := csr.CheckSignature(); err != nil {
		return core.Errorf(core.ErrBadCSR, "the CSR's signature is invalid")
	}
	updated, err := w.ra.Finalize(r.Context(), jr.Account(), order, authzs, csr)
	if err != nil {
		return err
	}
	return w.writeOrder(rw, r, updated, authzs)
}
