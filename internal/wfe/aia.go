package wfe

import (
	"crypto/x509"
	"net/http"
)

// Issuers looks up issuer certificates for the AIA endpoint.
type Issuers interface {
	IssuerCertificate(issuerID string) (*x509.Certificate, bool)
}

// IssuerHandler serves issuer certificates as DER over plain HTTP at
// /issuer/<id>, the caIssuers URL of every certificate Quarry signs.
func IssuerHandler(issuers Issuers) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /issuer/{id}", func(rw http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !isIssuerID(id) {
			http.NotFound(rw, r)
			return
		}
		cert, ok := issuers.IssuerCertificate(id)
		if !ok {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "application/pkix-cert")
		rw.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = rw.Write(cert.Raw)
	})
	return mux
}

func isIssuerID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
