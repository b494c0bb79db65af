package wfe

import (
	"net/http"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
)

func (w *WFE) loadAuthz(r *http.Request, jr *jose.Request, param string) (*core.Authorization, error) {
	id, err := pathID(r, param)
	if err != nil {
		return nil, err
	}
	az, err := w.ra.GetAuthorization(r.Context(), id)
	if isNotFound(err) {
		return nil, core.Errorf(core.ErrNotFound, "no such authorization")
	} else if err != nil {
		return nil, err
	}
	if err := owned(jr, az.AccountID, "authorization"); err != nil {
		return nil, err
	}
	return az, nil
}

func (w *WFE) authz(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	az, err := w.loadAuthz(r, jr, "id")
	if err != nil {
		return err
	}
	if !jr.IsPostAsGet() {
		var upd acme.StatusUpdate
		if err := decode(jr, &upd); err != nil {
			return err
		}
		if upd.Status != acme.StatusDeactivated {
			return core.Errorf(core.ErrMalformed, "an authorization's status can only be set to deactivated")
		}
		if az, err = w.ra.DeactivateAuthorization(r.Context(), az); err != nil {
			return err
		}
	}
	u := w.urls(r)
	out := acmeAuthz(az, w.ra.Now(), u)
	if out.Status == acme.StatusPending {
		retryAfter(rw, 1)
	}
	return writeJSON(rw, http.StatusOK, out)
}

func (w *WFE) challenge(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	az, err := w.loadAuthz(r, jr, "authz")
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var ch *core.Challenge
	for _, c := range az.Challenges {
		if c.ID == id {
			ch = c
		}
	}
	if ch == nil {
		return core.Errorf(core.ErrNotFound, "no such challenge")
	}
	if !jr.IsPostAsGet() {
		// The response is "{}"; older clients send more members, which
		// mean nothing now.
		var ignored map[string]any
		if err := decode(jr, &ignored); err != nil {
			return err
		}
		if ch, err = w.ra.RespondChallenge(r.Context(), jr.Account(), az, ch); err != nil {
			return err
		}
	}
	u := w.urls(r)
	rw.Header().Add("Link", link(u.authz(az.ID), "up"))
	if ch.Status == acme.StatusProcessing || ch.Status == acme.StatusPending {
		retryAfter(rw, 1)
	}
	return writeJSON(rw, http.StatusOK, acmeChallenge(ch, az.ID, u))
}
