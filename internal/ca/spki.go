package ca

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// spkiBits extracts the subjectPublicKey BIT STRING contents from a DER
// SubjectPublicKeyInfo, which is what RFC 5280 key identifiers hash.
func spkiBits(spki []byte) ([]byte, error) {
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	rest, err := asn1.Unmarshal(spki, &info)
	if err != nil {
		return nil, fmt.Errorf("parsing SubjectPublicKeyInfo: %w", err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("trailing data after SubjectPublicKeyInfo")
	}
	return info.PublicKey.Bytes, nil
}
