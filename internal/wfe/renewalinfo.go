package wfe

import (
	"net/http"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// pathRenewalInfo is the RFC 9773 renewalInfo resource; a certificate's
// identifier follows it.
const pathRenewalInfo = "/acme/renewal-info/"

// ariRetryAfter is how long clients should wait before asking again:
// RFC 9773 suggests a few hours.
const ariRetryAfter = 6 * time.Hour

// renewalInfo answers GET renewalInfo/<certID> with the suggested window.
// It takes no JWS: the certificate identifier is public.
func (w *WFE) renewalInfo(rw http.ResponseWriter, r *http.Request) error {
	win, err := w.ra.RenewalInfo(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var info acme.RenewalInfo
	info.SuggestedWindow.Start, info.SuggestedWindow.End = win.Start.UTC().Truncate(time.Second), win.End.UTC().Truncate(time.Second)
	retryAfter(rw, int(ariRetryAfter/time.Second))
	rw.Header().Set("Cache-Control", "public, max-age=0, no-cache")
	return writeJSON(rw, http.StatusOK, info)
}
