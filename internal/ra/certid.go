package ra

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
)

// certID is an RFC 9773 certificate identifier: the issuer's key
// identifier and the serial number.
type certID struct {
	aki    []byte
	serial string // lower-case hex, as certificates are stored
}

// Bounds on the parts of a certID: a SHA-1 or SHA-256 key identifier, and
// RFC 5280 §4.1.2.2's 20-octet serial.
const (
	maxKeyIDLen  = 64
	maxSerialLen = 20
)

// parseCertID parses base64url(keyIdentifier) "." base64url(serial DER
// content octets). Anything else is malformed: padding, an empty part, a
// negative or non-minimal serial.
func parseCertID(s string) (certID, error) {
	bad := func(why string) (certID, error) {
		return certID{}, core.Errorf(core.ErrMalformed, "invalid certificate identifier: %s", why)
	}
	// encoding/base64 skips CR and LF even in strict mode; a certID
	// carrying them would name a certificate under a second spelling.
	if strings.IndexFunc(s, func(c rune) bool { return !isBase64URL(c) && c != '.' }) >= 0 {
		return bad("want only base64url characters and one dot")
	}
	akiPart, serialPart, ok := strings.Cut(s, ".")
	if !ok || strings.Contains(serialPart, ".") {
		return bad("want two base64url parts joined by one dot")
	}
	aki, err := base64.RawURLEncoding.Strict().DecodeString(akiPart)
	if err != nil || len(aki) == 0 || len(aki) > maxKeyIDLen {
		return bad("the key identifier part is not base64url of 1 to 64 bytes")
	}
	ser, err := base64.RawURLEncoding.Strict().DecodeString(serialPart)
	if err != nil || len(ser) == 0 || len(ser) > maxSerialLen+1 {
		return bad("the serial part is not base64url of a DER integer")
	}
	switch {
	case ser[0]&0x80 != 0:
		return bad("the serial number is negative")
	case len(ser) > 1 && ser[0] == 0 && ser[1]&0x80 == 0:
		return bad("the serial number is not minimally encoded")
	}
	return certID{aki: aki, serial: fmt.Sprintf("%x", new(big.Int).SetBytes(ser))}, nil
}

func isBase64URL(c rune) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// certificateByID finds the certificate an identifier names; one whose
// issuer key differs is not it.
func (r *RA) certificateByID(ctx context.Context, id certID) (*core.Certificate, *x509.Certificate, error) {
	cert, err := r.store.GetCertificate(ctx, id.serial)
	if errors.Is(err, core.ErrNotFound) {
		return nil, nil, core.Errorf(core.ErrNotFound, "no certificate with that identifier was issued here")
	} else if err != nil {
		return nil, nil, fmt.Errorf("getting certificate: %w", err)
	}
	parsed, err := x509.ParseCertificate(cert.DER)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing stored certificate %s: %w", cert.Serial, err)
	}
	if !bytes.Equal(parsed.AuthorityKeyId, id.aki) {
		return nil, nil, core.Errorf(core.ErrNotFound, "no certificate with that identifier was issued here")
	}
	return cert, parsed, nil
}
