package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
	"golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/testclock"
)

func ocspCA(t *testing.T, delegated bool, clock func() time.Time) *CA {
	t.Helper()
	c, _ := loadCopy(t, Config{OCSP: OCSPConfig{Enabled: true, Delegated: delegated}, Clock: clock})
	return c
}

func TestSignOCSP(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	revokedAt := now.Add(-90 * time.Minute)
	serial := big.NewInt(0x51abcdef)
	tests := []struct {
		name       string
		status     OCSPStatus
		reason     int
		hash       crypto.Hash
		wantStatus int
	}{
		{"good sha1", OCSPGood, 0, crypto.SHA1, ocsp.Good},
		{"good sha256", OCSPGood, 0, crypto.SHA256, ocsp.Good},
		{"revoked keyCompromise", OCSPRevoked, ocsp.KeyCompromise, crypto.SHA1, ocsp.Revoked},
		{"revoked unspecified", OCSPRevoked, ocsp.Unspecified, crypto.SHA1, ocsp.Revoked},
		{"revoked superseded sha384", OCSPRevoked, ocsp.Superseded, crypto.SHA384, ocsp.Revoked},
		{"unknown", OCSPUnknown, 0, crypto.SHA512, ocsp.Unknown},
	}
	for _, delegated := range []bool{false, true} {
		c := ocspCA(t, delegated, nil)
		for _, id := range c.IssuerIDs() {
			issuer, _ := c.IssuerCertificate(id)
			for _, tt := range tests {
				name := id + "/" + tt.name
				if delegated {
					name += "/delegated"
				}
				t.Run(name, func(t *testing.T) {
					der, err := c.SignOCSP(context.Background(), OCSPRequest{IssuerID: id, Serial: serial, Status: tt.status,
						RevokedAt: revokedAt, Reason: tt.reason, ThisUpdate: now, NextUpdate: now.Add(DefaultOCSPResponseValidity), IssuerHash: tt.hash})
					if err != nil {
						t.Fatalf("SignOCSP: got error %v, want none", err)
					}
					got, err := ocsp.ParseResponseForCert(der, nil, issuer)
					if err != nil {
						t.Fatalf("ParseResponseForCert: got error %v, want a valid response", err)
					}
					checkOCSPResponse(t, got, tt.wantStatus, serial, now, now.Add(DefaultOCSPResponseValidity), tt.hash)
					if tt.wantStatus == ocsp.Revoked && (!got.RevokedAt.Equal(revokedAt) || got.RevocationReason != tt.reason) {
						t.Errorf("got revoked at %v reason %d, want %v reason %d", got.RevokedAt, got.RevocationReason, revokedAt, tt.reason)
					}
					checkSigner(t, c, id, got, issuer, delegated)
				})
			}
		}
	}
}

func checkOCSPResponse(t *testing.T, got *ocsp.Response, status int, serial *big.Int, this, next time.Time, hash crypto.Hash) {
	t.Helper()
	if got.Status != status || got.SerialNumber.Cmp(serial) != 0 {
		t.Errorf("got status %d serial %x, want %d %x", got.Status, got.SerialNumber, status, serial)
	}
	if !got.ThisUpdate.Equal(this) || !got.NextUpdate.Equal(next) {
		t.Errorf("got thisUpdate %v nextUpdate %v, want %v %v", got.ThisUpdate, got.NextUpdate, this, next)
	}
	if got.IssuerHash != hash {
		t.Errorf("got CertID hash %v, want %v (the request's)", got.IssuerHash, hash)
	}
	if d := time.Since(got.ProducedAt); d < -time.Minute || d > 2*time.Minute {
		t.Errorf("got producedAt %v, want about now", got.ProducedAt)
	}
}

// checkSigner checks who signed: the issuer itself, or its current
// delegated responder, embedded in the response.
func checkSigner(t *testing.T, c *CA, id string, got *ocsp.Response, issuer *x509.Certificate, delegated bool) {
	t.Helper()
	if !delegated {
		if got.Certificate != nil {
			t.Errorf("direct signing: got an embedded certificate %s, want none", got.Certificate.Subject)
		}
		if !bytes.Equal(got.RawResponderName, issuer.RawSubject) {
			t.Errorf("direct signing: got responder name %x, want the issuer's", got.RawResponderName)
		}
		return
	}
	if got.Certificate == nil {
		t.Fatal("delegated signing: got no embedded responder certificate, want one")
	}
	want, err := c.OCSPResponderCertificate(context.Background(), id)
	if err != nil {
		t.Fatalf("OCSPResponderCertificate: %v", err)
	}
	if !got.Certificate.Equal(want) {
		t.Errorf("delegated signing: embedded certificate is not the current responder")
	}
	if err := got.CheckSignatureFrom(got.Certificate); err != nil {
		t.Errorf("delegated signing: response signature does not verify with the responder: %v", err)
	}
	if err := got.Certificate.CheckSignatureFrom(issuer); err != nil {
		t.Errorf("delegated signing: responder certificate not issued by the issuer: %v", err)
	}
	if !bytes.Equal(got.RawResponderName, got.Certificate.RawSubject) {
		t.Errorf("delegated signing: got responder name %x, want the responder certificate's subject", got.RawResponderName)
	}
}

func TestOCSPResponderCertificate(t *testing.T) {
	clock := testclock.New(time.Now().UTC())
	c := ocspCA(t, true, clock.Now)
	for _, id := range c.IssuerIDs() {
		t.Run(id, func(t *testing.T) {
			issuer, _ := c.IssuerCertificate(id)
			cert, err := c.OCSPResponderCertificate(context.Background(), id)
			if err != nil {
				t.Fatalf("OCSPResponderCertificate: got error %v, want none", err)
			}
			if err := cert.CheckSignatureFrom(issuer); err != nil {
				t.Errorf("signature: got %v, want valid from the issuer", err)
			}
			if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageOCSPSigning || len(cert.UnknownExtKeyUsage) != 0 {
				t.Errorf("EKU: got %v %v, want OCSPSigning only", cert.ExtKeyUsage, cert.UnknownExtKeyUsage)
			}
			if cert.KeyUsage != x509.KeyUsageDigitalSignature || cert.IsCA || !cert.BasicConstraintsValid {
				t.Errorf("got key usage %v, CA %v (constraints %v), want digitalSignature and CA false", cert.KeyUsage, cert.IsCA, cert.BasicConstraintsValid)
			}
			var noCheck bool
			for _, ext := range cert.Extensions {
				if ext.Id.Equal(oidOCSPNoCheck) {
					noCheck = !ext.Critical && bytes.Equal(ext.Value, asn1.NullBytes)
				}
			}
			if !noCheck {
				t.Errorf("got no non-critical id-pkix-ocsp-nocheck with a NULL value, want one")
			}
			if len(cert.OCSPServer)+len(cert.CRLDistributionPoints)+len(cert.IssuingCertificateURL)+len(cert.DNSNames) != 0 {
				t.Errorf("got AIA/CRL DP/SAN %v %v %v %v, want none", cert.OCSPServer, cert.CRLDistributionPoints, cert.IssuingCertificateURL, cert.DNSNames)
			}
			if !bytes.Equal(cert.AuthorityKeyId, issuer.SubjectKeyId) || len(cert.SubjectKeyId) == 0 {
				t.Errorf("got AKI %x SKI %x, want AKI %x and an SKI", cert.AuthorityKeyId, cert.SubjectKeyId, issuer.SubjectKeyId)
			}
			if life := cert.NotAfter.Sub(clock.Now()); life < 3*DefaultOCSPResponseValidity-time.Second || life > 3*DefaultOCSPResponseValidity {
				t.Errorf("lifetime from now: got %v, want 3 × %v", life, DefaultOCSPResponseValidity)
			}
			z, err := zx509.ParseCertificate(cert.Raw)
			if err != nil {
				t.Fatal(err)
			}
			for name, r := range zlint.LintCertificate(z).Results {
				if r.Status == lint.Warn || r.Status == lint.Error || r.Status == lint.Fatal {
					t.Errorf("zlint %s: got %s (%s), want pass", name, r.Status, r.Details)
				}
			}
		})
	}
}

func TestOCSPResponderRenewal(t *testing.T) {
	clock := testclock.New(time.Now().UTC())
	c := ocspCA(t, true, clock.Now)
	id := c.IssuerIDs()[0]
	first, err := c.OCSPResponderCertificate(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	v := DefaultOCSPResponseValidity
	steps := []struct {
		name    string
		advance time.Duration
		renewed bool
	}{
		{"fresh", 0, false},
		{"a day later", 24 * time.Hour, false},
		{"just before a third of its life", v - 24*time.Hour - time.Second, false},
		{"past a third of its life", 2 * time.Second, true},
	}
	prev := first
	for _, s := range steps {
		clock.Add(s.advance)
		got, err := c.OCSPResponderCertificate(context.Background(), id)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if renewed := !got.Equal(prev); renewed != s.renewed {
			t.Errorf("%s: got renewed %v, want %v", s.name, renewed, s.renewed)
		}
		if left := got.NotAfter.Sub(clock.Now()); left < 2*v {
			t.Errorf("%s: got %v of life left, want at least %v, so every response it signs expires first", s.name, left, 2*v)
		}
		prev = got
	}
	// A response signed now is valid until its nextUpdate; its signer
	// outlives it.
	now := clock.Now()
	issuer, _ := c.IssuerCertificate(id)
	der, err := c.SignOCSP(context.Background(), OCSPRequest{IssuerID: id, Serial: big.NewInt(7), Status: OCSPGood,
		ThisUpdate: now, NextUpdate: now.Add(v), IssuerHash: crypto.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ocsp.ParseResponseForCert(der, nil, issuer)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Certificate.Equal(prev) || !resp.Certificate.NotAfter.After(resp.NextUpdate) {
		t.Errorf("got signer valid until %v for a response valid until %v, want the current responder outliving it", resp.Certificate.NotAfter, resp.NextUpdate)
	}
}

func TestSignOCSPRefuses(t *testing.T) {
	now := time.Now()
	good := OCSPRequest{Serial: big.NewInt(5), Status: OCSPGood, ThisUpdate: now, NextUpdate: now.Add(time.Hour), IssuerHash: crypto.SHA1}
	c := ocspCA(t, false, nil)
	good.IssuerID = c.IssuerIDs()[0]
	var rootID string
	for _, sc := range c.CRLScopes() {
		if sc.CACerts {
			rootID = sc.IssuerID
		}
	}
	tests := []struct {
		name   string
		ca     *CA
		mutate func(*OCSPRequest)
		want   error
	}{
		{"disabled", shared(t), func(*OCSPRequest) {}, core.ErrServerInternal},
		{"unknown issuer", c, func(r *OCSPRequest) { r.IssuerID = "nope" }, core.ErrNotFound},
		{"root as issuer", c, func(r *OCSPRequest) { r.IssuerID = rootID }, core.ErrNotFound},
		{"nil serial", c, func(r *OCSPRequest) { r.Serial = nil }, core.ErrServerInternal},
		{"zero serial", c, func(r *OCSPRequest) { r.Serial = big.NewInt(0) }, core.ErrServerInternal},
		{"negative serial", c, func(r *OCSPRequest) { r.Serial = big.NewInt(-3) }, core.ErrServerInternal},
		{"nextUpdate before thisUpdate", c, func(r *OCSPRequest) { r.NextUpdate = now.Add(-time.Hour) }, core.ErrServerInternal},
		{"validity too long", c, func(r *OCSPRequest) { r.NextUpdate = now.Add(DefaultOCSPResponseValidity + time.Hour) }, core.ErrServerInternal},
		{"md5 hash", c, func(r *OCSPRequest) { r.IssuerHash = crypto.MD5 }, core.ErrServerInternal},
		{"reason 7", c, func(r *OCSPRequest) { r.Status, r.Reason, r.RevokedAt = OCSPRevoked, 7, now }, core.ErrServerInternal},
		{"revoked without time", c, func(r *OCSPRequest) { r.Status, r.Reason = OCSPRevoked, 1 }, core.ErrServerInternal},
		{"unknown status", c, func(r *OCSPRequest) { r.Status = 9 }, core.ErrServerInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := good
			tt.mutate(&req)
			der, err := tt.ca.SignOCSP(context.Background(), req)
			if !errors.Is(err, tt.want) || der != nil {
				t.Errorf("got %d bytes, error %v; want error of kind %v", len(der), err, tt.want)
			}
		})
	}
}

func TestLeafOCSPURL(t *testing.T) {
	tests := []struct {
		name string
		ca   *CA
		want []string
	}{
		{"off by default", shared(t), nil},
		{"enabled", ocspCA(t, false, nil), []string{defaultIssuerBaseURL + "/ocsp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cert := mustIssue(t, tt.ca, IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"ocsp.example.com"}})
			if len(cert.OCSPServer) != len(tt.want) || (len(tt.want) == 1 && cert.OCSPServer[0] != tt.want[0]) {
				t.Errorf("AIA OCSP: got %v, want %v", cert.OCSPServer, tt.want)
			}
		})
	}
}
