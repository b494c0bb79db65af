package ca

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	encasn1 "encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/quarry-ca/quarry/internal/core"
)

// Quarry encodes CRLs itself instead of calling x509.CreateRevocationList,
// which needs every entry as a struct in memory and marshals them by
// reflection: a million entries cost gigabytes. Here each entry goes
// straight from the storage stream into DER, about 40 bytes apiece.

var (
	oidAuthorityKeyID  = encasn1.ObjectIdentifier{2, 5, 29, 35}
	oidCRLNumber       = encasn1.ObjectIdentifier{2, 5, 29, 20}
	oidReasonCode      = encasn1.ObjectIdentifier{2, 5, 29, 21}
	oidECDSAWithSHA256 = encasn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = encasn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidSHA256WithRSA   = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
)

// crlEntries is the DER of revokedCertificates' contents, built as rows
// stream in; cut marks where the first limit entries end.
type crlEntries struct {
	der   []byte
	n     int
	cut   int // byte length after limit entries, or -1
	limit int
}

// encodeEntries streams entries into DER, checking each one.
func encodeEntries(entries RevokedEntries, lintPrefix int) (der []byte, count, cut int, err error) {
	e := &crlEntries{cut: -1, limit: lintPrefix}
	if entries != nil {
		serial := new(big.Int)
		err = entries(func(hex string, at time.Time, reason int) error {
			if _, ok := serial.SetString(hex, 16); !ok || serial.Sign() <= 0 || serial.BitLen() > 159 {
				return core.Errorf(core.ErrServerInternal, "stored serial %q is not positive hex of at most 20 octets", hex)
			}
			if !validReason(reason) {
				return core.Errorf(core.ErrServerInternal, "certificate %s has revocation reason %d, not an RFC 5280 CRLReason", hex, reason)
			}
			e.add(serial, at, reason)
			return nil
		})
		if err != nil {
			return nil, 0, 0, fmt.Errorf("reading revoked certificates: %w", err)
		}
	}
	if e.cut < 0 {
		e.cut = len(e.der)
	}
	return e.der, e.n, e.cut, nil
}

// reasonExtPrefix is crlEntryExtensions holding one reasonCode extension,
// all but the ENUMERATED's value byte.
var reasonExtPrefix = []byte{0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01}

// add appends one revokedCertificate by hand: an entry is under 128
// bytes, so every length has the short form, and a general encoder's
// allocations would dominate the cost of a long CRL.
func (e *crlEntries) add(serial *big.Int, at time.Time, reason int) {
	var buf [64]byte
	body := buf[:0]
	sb := serial.Bytes()
	if sb[0]&0x80 != 0 {
		body = append(body, 0x02, byte(len(sb)+1), 0)
	} else {
		body = append(body, 0x02, byte(len(sb)))
	}
	body = append(body, sb...)
	body = appendTime(body, at)
	if reason != 0 { // unspecified is left out (RFC 5280 §5.3.1, BRs 7.2.2)
		body = append(append(body, reasonExtPrefix...), byte(reason))
	}
	e.der = append(append(e.der, 0x30, byte(len(body))), body...)
	e.n++
	if e.n == e.limit {
		e.cut = len(e.der)
	}
}

// appendTime appends UTCTime through 2049 and GeneralizedTime after, as
// RFC 5280 §5.1.2.4 requires.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	if t.Year() >= 1950 && t.Year() < 2050 {
		return append(t.AppendFormat(append(dst, 0x17, 13), "060102150405"), 'Z')
	}
	return append(t.AppendFormat(append(dst, 0x18, 15), "20060102150405"), 'Z')
}

// addTime writes UTCTime through 2049 and GeneralizedTime after, as RFC
// 5280 §5.1.2.4 requires.
func addTime(b *cryptobyte.Builder, t time.Time) {
	t = t.UTC().Truncate(time.Second)
	if t.Year() >= 1950 && t.Year() < 2050 {
		b.AddASN1UTCTime(t)
		return
	}
	b.AddASN1GeneralizedTime(t)
}

func addExtension(b *cryptobyte.Builder, id encasn1.ObjectIdentifier, critical bool, value cryptobyte.BuilderContinuation) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(id)
		if critical {
			b.AddASN1Boolean(true)
		}
		b.AddASN1(asn1.OCTET_STRING, value)
	})
}

// tbsCertList encodes the TBSCertList (RFC 5280 §5.1.2) around entries.
func tbsCertList(s *crlSigner, req CRLRequest, entries []byte, idp pkix.Extension) ([]byte, error) {
	b := cryptobyte.NewBuilder(make([]byte, 0, len(entries)+1024))
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1) // v2
		addAlgorithm(b, s.spec)
		b.AddBytes(s.cert.RawSubject)
		addTime(b, req.ThisUpdate)
		addTime(b, req.NextUpdate)
		if len(entries) > 0 { // an empty list is left out (RFC 5280 §5.1.2.6)
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(entries) })
		}
		b.AddASN1(asn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				addExtension(b, oidAuthorityKeyID, false, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(asn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(s.cert.SubjectKeyId) })
					})
				})
				addExtension(b, oidCRLNumber, false, func(b *cryptobyte.Builder) { b.AddASN1Int64(req.Number) })
				addExtension(b, idp.Id, idp.Critical, func(b *cryptobyte.Builder) { b.AddBytes(idp.Value) })
			})
		})
	})
	return b.Bytes()
}

func addAlgorithm(b *cryptobyte.Builder, spec keySpec) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		switch signatureAlgorithm(spec) {
		case x509.ECDSAWithSHA384:
			b.AddASN1ObjectIdentifier(oidECDSAWithSHA384)
		case x509.ECDSAWithSHA256:
			b.AddASN1ObjectIdentifier(oidECDSAWithSHA256)
		default:
			b.AddASN1ObjectIdentifier(oidSHA256WithRSA)
			b.AddASN1NULL()
		}
	})
}

func hashOf(spec keySpec) crypto.Hash {
	if signatureAlgorithm(spec) == x509.ECDSAWithSHA384 {
		return crypto.SHA384
	}
	return crypto.SHA256
}

// signTBS signs a TBSCertList and returns the CertificateList and the
// signature.
func signTBS(s *crlSigner, tbs []byte) (der, sig []byte, err error) {
	h := hashOf(s.spec).New()
	h.Write(tbs)
	sig, err = s.signer.Sign(rand.Reader, h.Sum(nil), hashOf(s.spec))
	if err != nil {
		return nil, nil, fmt.Errorf("signing: %w", err)
	}
	der, err = certList(s, tbs, sig)
	return der, sig, err
}

// certList wraps a TBSCertList and a signature into a CertificateList.
func certList(s *crlSigner, tbs, sig []byte) ([]byte, error) {
	b := cryptobyte.NewBuilder(make([]byte, 0, len(tbs)+len(sig)+64))
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		addAlgorithm(b, s.spec)
		b.AddASN1BitString(sig)
	})
	return b.Bytes()
}
