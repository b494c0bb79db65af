package ocsp

import (
	"encoding/asn1"

	"golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/core"
)

// maxRequestSize bounds what is parsed: an RFC 5019 request is about 100
// bytes, and one with a nonce or a requestor name a few hundred.
const maxRequestSize = 4096

// rawRequest is OCSPRequest (RFC 6960 §4.1.1) with the fields
// x/crypto/ocsp does not check: the version and how many certificates
// are asked about.
type rawRequest struct {
	TBS struct {
		Version       int           `asn1:"explicit,tag:0,default:0,optional"`
		RequestorName asn1.RawValue `asn1:"explicit,tag:1,optional"`
		RequestList   []asn1.RawValue
		Extensions    asn1.RawValue `asn1:"explicit,tag:2,optional"`
	}
	Signature asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

// parseRequest parses a DER request for exactly one certificate. x/crypto
// would answer the first of several silently; RFC 5019 §2.1.1 allows one,
// so more is malformed rather than half-answered.
func parseRequest(der []byte) (*ocsp.Request, error) {
	malformed := func(why string) (*ocsp.Request, error) {
		return nil, core.Errorf(core.ErrMalformed, "OCSP request: %s", why)
	}
	if len(der) == 0 || len(der) > maxRequestSize {
		return malformed("empty or too large")
	}
	var raw rawRequest
	rest, err := asn1.Unmarshal(der, &raw)
	switch {
	case err != nil:
		return malformed("not DER")
	case len(rest) > 0:
		return malformed("trailing data")
	case raw.TBS.Version != 0:
		return malformed("unsupported version")
	case len(raw.TBS.RequestList) != 1:
		return malformed("want exactly one certificate")
	}
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		return malformed(err.Error())
	}
	// RFC 5280 §4.1.2.2: serials are positive and at most 20 octets, so
	// no certificate answers to another one.
	if req.SerialNumber == nil || req.SerialNumber.Sign() <= 0 || len(req.SerialNumber.Bytes()) > 20 {
		return malformed("the serial is not a positive integer of at most 20 octets")
	}
	return req, nil
}
