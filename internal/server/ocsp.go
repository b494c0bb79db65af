package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/ocsp"
	"github.com/quarry-ca/quarry/internal/ra"
	"github.com/quarry-ca/quarry/internal/wfe"
)

// caOCSPConfig is the CA's part of the ocsp section.
func caOCSPConfig(cfg config.Config) ca.OCSPConfig {
	return ca.OCSPConfig{Enabled: cfg.OCSP.Enable, Delegated: cfg.OCSP.DelegatedResponder,
		ResponseValidity: time.Duration(cfg.OCSP.ResponseValidity)}
}

// newOCSP builds the responder when the ocsp section enables it.
func (s *Server) newOCSP() error {
	if !s.cfg.OCSP.Enable {
		return nil
	}
	var err error
	s.ocsp, err = ocsp.New(ocsp.Config{
		Validity: time.Duration(s.cfg.OCSP.ResponseValidity), RefreshBefore: time.Duration(s.cfg.OCSP.RefreshBefore),
	}, ocsp.Deps{Store: s.store, Signer: s.ca, Log: s.log.With("component", "ocsp")})
	return err
}

// revocationListener tells the CRL generator, and the OCSP responder when
// there is one, of each revocation.
func (s *Server) revocationListener() ra.RevocationListener {
	if s.ocsp == nil {
		return s.crls
	}
	return listeners{s.crls, s.ocsp}
}

type listeners []ra.RevocationListener

func (ls listeners) Revoked(issuerID string, shard int) {
	for _, l := range ls {
		l.Revoked(issuerID, shard)
	}
}

// withOCSP routes /ocsp and /ocsp/… to the responder ahead of next: a
// ServeMux would redirect GET paths whose base64 holds "//".
func (s *Server) withOCSP(next http.Handler) http.Handler {
	if s.ocsp == nil {
		return next
	}
	h := wfe.OCSPHandler(s.ocsp, wfe.OCSPConfig{MaxAge: time.Duration(s.cfg.OCSP.CacheMaxAge), Log: s.log.With("component", "wfe")})
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == wfe.OCSPPath || strings.HasPrefix(r.URL.Path, wfe.OCSPPath+"/") {
			h.ServeHTTP(rw, r)
			return
		}
		next.ServeHTTP(rw, r)
	})
}
