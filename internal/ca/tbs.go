package ca

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// rawTBS returns the tbsCertificate of a DER certificate, header
// included, without parsing the rest: prepare keeps only these bytes of
// the lint certificate, which zlint has already parsed in full.
func rawTBS(der []byte) ([]byte, error) {
	in := cryptobyte.String(der)
	var cert cryptobyte.String
	if !in.ReadASN1(&cert, asn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("malformed certificate")
	}
	var tbs cryptobyte.String
	if !cert.ReadASN1Element(&tbs, asn1.SEQUENCE) {
		return nil, errors.New("malformed tbsCertificate")
	}
	return tbs, nil
}
