package ca

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// oidIssuingDistributionPoint is id-ce-issuingDistributionPoint (RFC 5280
// §5.2.5).
var oidIssuingDistributionPoint = asn1.ObjectIdentifier{2, 5, 29, 28}

// idpValue is IssuingDistributionPoint with the fields Quarry uses. Zero
// optional fields are left out, as DER requires of DEFAULT FALSE.
type idpValue struct {
	DistributionPoint idpName `asn1:"optional,tag:0"`
	OnlyUserCerts     bool    `asn1:"optional,tag:1"`
	OnlyCACerts       bool    `asn1:"optional,tag:2"`
}

// idpName is the DistributionPointName CHOICE with its fullName
// alternative; a CHOICE is tagged explicitly, which the [0] around this
// SEQUENCE-shaped struct produces.
type idpName struct {
	FullName []asn1.RawValue `asn1:"optional,tag:0"`
}

// issuingDistributionPoint is the critical extension that ties a leaf CRL
// to the one shard URL certificates name, so a relying party never takes a
// shard for a certificate of another shard. A root's CRL is complete (one
// shard) and names no URL: OpenSSL's -crl_check_all would otherwise find it
// out of scope for the root itself, which has no distribution point.
func issuingDistributionPoint(url string, caCerts bool) (pkix.Extension, error) {
	v := idpValue{OnlyUserCerts: !caCerts, OnlyCACerts: caCerts}
	if !caCerts {
		v.DistributionPoint.FullName = []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(url)}}
	}
	der, err := asn1.Marshal(v)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("encoding the issuing distribution point: %w", err)
	}
	return pkix.Extension{Id: oidIssuingDistributionPoint, Critical: true, Value: der}, nil
}
