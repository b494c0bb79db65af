package wfe

import (
	"encoding/base64"
	"net/http"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
	"github.com/quarry-ca/quarry/internal/ra"
)

func (w *WFE) revokeCert(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	var req acme.RevocationRequest
	if err := decode(jr, &req); err != nil {
		return err
	}
	der, err := base64.RawURLEncoding.DecodeString(req.Certificate)
	if err != nil || len(der) == 0 {
		return core.Errorf(core.ErrMalformed, "the certificate field must be base64url-encoded DER without padding")
	}
	in := ra.RevokeRequest{CertDER: der, Account: jr.Account()}
	if req.Reason != nil {
		in.Reason = *req.Reason
	}
	if in.Account == nil {
		if in.KeyID, err = jose.Thumbprint(jr.JWK()); err != nil {
			return core.Errorf(core.ErrBadPublicKey, "the key's thumbprint could not be computed")
		}
	}
	if err := w.ra.Revoke(r.Context(), in); err != nil {
		return err
	}
	rw.WriteHeader(http.StatusOK)
	return nil
}
