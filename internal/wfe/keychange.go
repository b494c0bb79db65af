package wfe

import (
	"errors"
	"net/http"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
)

// keyChange rolls an account over to a new key (RFC 8555 §7.3.5).
func (w *WFE) keyChange(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	newKey, _, err := w.verify.VerifyKeyChange(jr)
	if err != nil {
		return err
	}
	key, err := newKey.MarshalJSON()
	if err != nil {
		return core.Errorf(core.ErrBadPublicKey, "the new key could not be encoded")
	}
	keyID, err := jose.Thumbprint(newKey)
	if err != nil {
		return core.Errorf(core.ErrBadPublicKey, "the new key's thumbprint could not be computed")
	}
	u := w.urls(r)
	acct, err := w.ra.ChangeKey(r.Context(), jr.Account(), key, keyID, newKey.Key)
	if errors.Is(err, core.ErrConflict) && acct != nil {
		rw.Header().Set("Location", u.account(acct.ID))
	}
	if err != nil {
		return err
	}
	rw.Header().Set("Location", u.account(acct.ID))
	return writeJSON(rw, http.StatusOK, acmeAccount(acct, u))
}
