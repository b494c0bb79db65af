package policy

import (
	"crypto/x509"
	"encoding/asn1"

	"github.com/quarry-ca/quarry/internal/core"
)

// Extension OIDs a CSR may request. The CA's profile decides what the
// certificate carries; these are accepted only because common clients send
// them.
const (
	oidSubjectKeyID     = "2.5.29.14"
	oidKeyUsage         = "2.5.29.15"
	oidSubjectAltName   = "2.5.29.17"
	oidBasicConstraints = "2.5.29.19"
	oidExtKeyUsage      = "2.5.29.37"
	oidTLSFeature       = "1.3.6.1.5.5.7.1.24" // OCSP Must-Staple (RFC 7633)
)

// checkCSRExtensions refuses requested extensions the CA cannot honour,
// above all a request for a CA certificate.
func checkCSRExtensions(csr *x509.CertificateRequest) *core.Error {
	seen := make(map[string]bool, len(csr.Extensions))
	for _, ext := range csr.Extensions {
		id := ext.Id.String()
		if seen[id] {
			return errCSR("the CSR requests extension %s more than once", id)
		}
		seen[id] = true
		switch id {
		case oidSubjectKeyID, oidKeyUsage, oidSubjectAltName, oidExtKeyUsage:
		case oidBasicConstraints:
			ca, ok := parseIsCA(ext.Value)
			if !ok {
				return errCSR("the CSR's basicConstraints extension is malformed")
			}
			if ca {
				return errCSR("the CSR requests a CA certificate (basicConstraints cA=true); this CA issues only end-entity certificates")
			}
		case oidTLSFeature:
			// Revocation status is published by CRL; a must-staple
			// certificate would fail in every browser that enforces it.
			return errCSR("the CSR requests OCSP Must-Staple, which this CA does not support")
		default:
			return errCSR("the CSR requests extension %s, which this CA does not support", id)
		}
	}
	return nil
}

// parseIsCA reads the cA flag of a basicConstraints value.
func parseIsCA(der []byte) (ca, ok bool) {
	var bc struct {
		IsCA       bool `asn1:"optional"`
		MaxPathLen int  `asn1:"optional,default:-1"`
	}
	rest, err := asn1.Unmarshal(der, &bc)
	return bc.IsCA, err == nil && len(rest) == 0
}
