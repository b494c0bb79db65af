package wfe

import (
	"net/http"
	"strings"

	"github.com/quarry-ca/quarry/acme"
)

func (w *WFE) directory(rw http.ResponseWriter, r *http.Request) error {
	b := w.base(r)
	meta := w.cfg.Meta
	dir := acme.Directory{
		NewNonce: b + pathNewNonce, NewAccount: b + pathNewAccount, NewOrder: b + pathNewOrder,
		RevokeCert: b + pathRevoke, KeyChange: b + pathKeyChange, RenewalInfo: b + strings.TrimSuffix(pathRenewalInfo, "/"),
		Meta: &meta,
	}
	rw.Header().Set("Cache-Control", "public, max-age=0, no-cache")
	return writeJSON(rw, http.StatusOK, dir)
}
