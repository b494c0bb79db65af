package wfe

import "net/http"

// newNonce answers HEAD with 200 and GET with 204 (RFC 8555 §7.2); the
// nonce itself is set on every response by common.
func (w *WFE) newNonce(rw http.ResponseWriter, r *http.Request) error {
	rw.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodGet {
		rw.WriteHeader(http.StatusNoContent)
		return nil
	}
	rw.WriteHeader(http.StatusOK)
	return nil
}
