package wfe

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strconv"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
)

// certificate serves the whole chain, leaf first (RFC 8555 §7.4.2), and
// names every other chain with Link rel="alternate". There is no "up" link:
// the chain is complete.
func (w *WFE) certificate(rw http.ResponseWriter, r *http.Request, jr *jose.Request) error {
	if !jr.IsPostAsGet() {
		return errNotPostAsGet
	}
	serial := r.PathValue("serial")
	if !isSerial(serial) {
		return core.Errorf(core.ErrNotFound, "no such certificate")
	}
	alt := 0
	if s := r.PathValue("alt"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || strconv.Itoa(n) != s {
			return core.Errorf(core.ErrNotFound, "no such certificate chain")
		}
		alt = n
	}
	cert, chains, err := w.ra.GetCertificate(r.Context(), serial)
	if isNotFound(err) {
		return core.Errorf(core.ErrNotFound, "no such certificate")
	} else if err != nil {
		return err
	}
	if alt >= len(chains) || (alt > 0 && len(chains) == 0) {
		return core.Errorf(core.ErrNotFound, "no such certificate chain")
	}
	u := w.urls(r)
	for i := range chains {
		if i == alt {
			continue
		}
		url := u.cert(serial)
		if i > 0 {
			url += "/" + strconv.Itoa(i)
		}
		rw.Header().Add("Link", link(url, "alternate"))
	}
	var buf bytes.Buffer
	_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: cert.DER})
	if len(chains) > 0 {
		writeChain(&buf, chains[alt])
	}
	rw.Header().Set("Content-Type", "application/pem-certificate-chain")
	rw.WriteHeader(http.StatusOK)
	_, _ = rw.Write(buf.Bytes())
	return nil
}

func writeChain(buf *bytes.Buffer, chain []*x509.Certificate) {
	for _, c := range chain {
		_ = pem.Encode(buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
}

// isSerial accepts lower-case hex of a sane length.
func isSerial(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
