package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

func TestLeafFields(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	c, _ := loadCopy(t, Config{Clock: func() time.Time { return now }})
	tests := []struct {
		name       string
		key        crypto.Signer
		dnsNames   []string
		ips        []net.IP
		cn         string
		wantIssuer string
		wantSigAlg x509.SignatureAlgorithm
		wantKU     x509.KeyUsage
		profile    string
		lifetime   time.Duration
	}{
		{"ECDSA with CN", ecKey(t, elliptic.P256()), []string{"example.com", "www.example.com"}, nil, "www.example.com",
			"e1", x509.ECDSAWithSHA256, x509.KeyUsageDigitalSignature, "", 90 * 24 * time.Hour},
		{"ECDSA P-384 without CN", ecKey(t, elliptic.P384()), []string{"example.org"}, nil, "",
			"e1", x509.ECDSAWithSHA256, x509.KeyUsageDigitalSignature, "tlsserver", 45 * 24 * time.Hour},
		{"RSA without CN", rsaKey(t, 2048), []string{"example.net"}, nil, "",
			"r1", x509.SHA256WithRSA, x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, "classic", 90 * 24 * time.Hour},
		{"RSA with IP, shortlived", rsaKey(t, 3072), []string{"example.net"}, []net.IP{net.ParseIP("192.0.2.7")}, "",
			"r1", x509.SHA256WithRSA, x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, "shortlived", 160 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.cfg.PrivateNames = tt.ips != nil // 192.0.2.0/24 is reserved documentation space
			iss, cert := mustIssue(t, c, IssueRequest{PublicKey: tt.key.Public(), DNSNames: tt.dnsNames, IPs: tt.ips, CommonName: tt.cn, Profile: tt.profile})
			issuer, _ := c.IssuerCertificate(tt.wantIssuer)
			if iss.IssuerID != tt.wantIssuer {
				t.Fatalf("issuer: got %s, want %s", iss.IssuerID, tt.wantIssuer)
			}
			checkLeafIdentity(t, iss, cert, tt.dnsNames, tt.ips, tt.cn)
			checkLeafValidity(t, iss, cert, now, tt.lifetime)
			checkLeafExtensions(t, cert, issuer, tt.wantIssuer, tt.wantKU)
			if cert.SignatureAlgorithm != tt.wantSigAlg {
				t.Errorf("signature algorithm: got %v, want %v", cert.SignatureAlgorithm, tt.wantSigAlg)
			}
			if err := cert.CheckSignatureFrom(issuer); err != nil {
				t.Errorf("signature by %s: %v", tt.wantIssuer, err)
			}
			if !bytes.Equal(cert.RawIssuer, issuer.RawSubject) {
				t.Errorf("issuer name: got %v, want %v", cert.Issuer, issuer.Subject)
			}
		})
	}
}

func checkLeafIdentity(t *testing.T, iss *Issued, cert *x509.Certificate, dns []string, ips []net.IP, cn string) {
	t.Helper()
	if iss.Serial != fmt.Sprintf("%x", cert.SerialNumber) || iss.Serial != strings.ToLower(iss.Serial) {
		t.Errorf("serial: got %q, want lower-case hex of %x", iss.Serial, cert.SerialNumber)
	}
	if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() < 129 || len(cert.SerialNumber.Bytes()) != 17 {
		t.Errorf("serial %x: want positive, 17 bytes carrying 128 random bits", cert.SerialNumber)
	}
	if !slices.Equal(cert.DNSNames, dns) {
		t.Errorf("DNS names: got %v, want %v", cert.DNSNames, dns)
	}
	if !slices.EqualFunc(cert.IPAddresses, ips, net.IP.Equal) {
		t.Errorf("IPs: got %v, want %v", cert.IPAddresses, ips)
	}
	if cert.Subject.CommonName != cn {
		t.Errorf("CN: got %q, want %q", cert.Subject.CommonName, cn)
	}
	if cn == "" && len(cert.RawSubject) != 2 { // an empty SEQUENCE
		t.Errorf("subject: got %v, want empty", cert.Subject)
	}
	if len(cert.Subject.Organization) != 0 {
		t.Errorf("subject has O %v; a DV leaf should not", cert.Subject.Organization)
	}
}

func checkLeafValidity(t *testing.T, iss *Issued, cert *x509.Certificate, now time.Time, lifetime time.Duration) {
	t.Helper()
	wantNB := now.Add(-time.Hour)
	wantNA := wantNB.Add(lifetime - time.Second)
	if !cert.NotBefore.Equal(wantNB) || !iss.NotBefore.Equal(wantNB) {
		t.Errorf("NotBefore: got %v (Issued %v), want %v", cert.NotBefore, iss.NotBefore, wantNB)
	}
	if !cert.NotAfter.Equal(wantNA) || !iss.NotAfter.Equal(wantNA) {
		t.Errorf("NotAfter: got %v (Issued %v), want %v", cert.NotAfter, iss.NotAfter, wantNA)
	}
}

func checkLeafExtensions(t *testing.T, cert, issuer *x509.Certificate, issuerID string, wantKU x509.KeyUsage) {
	t.Helper()
	base := "http://127.0.0.1:4002"
	if !slices.Equal(cert.IssuingCertificateURL, []string{base + "/issuer/" + issuerID}) {
		t.Errorf("AIA caIssuers: got %v, want %s/issuer/%s", cert.IssuingCertificateURL, base, issuerID)
	}
	if len(cert.OCSPServer) != 0 {
		t.Errorf("OCSP URL present: %v", cert.OCSPServer)
	}
	wantCRL := fmt.Sprintf("%s/crl/%s/%d.crl", base, issuerID, crlShard(cert.SerialNumber, defaultCRLShards))
	if !slices.Equal(cert.CRLDistributionPoints, []string{wantCRL}) {
		t.Errorf("CRL DP: got %v, want %s", cert.CRLDistributionPoints, wantCRL)
	}
	if !slices.EqualFunc(cert.Policies, []x509.OID{oidDomainValidated()}, x509.OID.Equal) {
		t.Errorf("policies: got %v, want [2.23.140.1.2.1]", cert.Policies)
	}
	if want := wantSKI(t, cert); !bytes.Equal(cert.SubjectKeyId, want) {
		t.Errorf("SKI: got %x, want %x", cert.SubjectKeyId, want)
	}
	if !bytes.Equal(cert.AuthorityKeyId, issuer.SubjectKeyId) {
		t.Errorf("AKI: got %x, want issuer SKI %x", cert.AuthorityKeyId, issuer.SubjectKeyId)
	}
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(cert.UnknownExtKeyUsage) != 0 {
		t.Errorf("EKU: got %v %v, want [serverAuth]", cert.ExtKeyUsage, cert.UnknownExtKeyUsage)
	}
	if cert.KeyUsage != wantKU {
		t.Errorf("key usage: got %v, want %v", cert.KeyUsage, wantKU)
	}
	if !cert.BasicConstraintsValid || cert.IsCA {
		t.Errorf("basic constraints: valid %v CA %v, want valid, not CA", cert.BasicConstraintsValid, cert.IsCA)
	}
	if !extensionCritical(cert, asn1.ObjectIdentifier{2, 5, 29, 19}) {
		t.Errorf("basic constraints not critical")
	}
}

func extensionCritical(cert *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range cert.Extensions {
		if e.Id.Equal(oid) {
			return e.Critical
		}
	}
	return false
}

func TestIssueRequestErrors(t *testing.T) {
	c := shared(t)
	key := ecKey(t, elliptic.P256()).Public()
	_, edKey, _ := ed25519.GenerateKey(nil)
	tests := []struct {
		name     string
		req      IssueRequest
		wantKind core.Kind
	}{
		{"unknown profile", IssueRequest{PublicKey: key, DNSNames: []string{"example.com"}, Profile: "nosuch"}, core.ErrInvalidProfile},
		{"IP under classic", IssueRequest{PublicKey: key, IPs: []net.IP{net.ParseIP("93.184.215.14")}}, core.ErrRejectedIdentifier},
		{"no public key", IssueRequest{DNSNames: []string{"example.com"}}, core.ErrBadPublicKey},
		{"Ed25519 key", IssueRequest{PublicKey: edKey.Public(), DNSNames: []string{"example.com"}}, core.ErrBadPublicKey},
		{"no names", IssueRequest{PublicKey: key}, core.ErrMalformed},
		{"empty DNS name", IssueRequest{PublicKey: key, DNSNames: []string{""}}, core.ErrMalformed},
		{"bad IP", IssueRequest{PublicKey: key, DNSNames: []string{"example.com"}, IPs: []net.IP{{1, 2, 3}}, Profile: "shortlived"}, core.ErrMalformed},
		{"CN not a SAN", IssueRequest{PublicKey: key, DNSNames: []string{"example.com"}, CommonName: "example.org"}, core.ErrBadCSR},
		{"CN too long", IssueRequest{PublicKey: key, DNSNames: []string{strings.Repeat("a", 61) + ".com"},
			CommonName: strings.Repeat("a", 61) + ".com"}, core.ErrBadCSR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, err := c.Issue(context.Background(), tt.req)
			if !errors.Is(err, tt.wantKind) || iss != nil {
				t.Errorf("Issue: got %v, %v; want error of kind %s", iss, err, tt.wantKind)
			}
		})
	}
}

func TestIssueRequestAccepted(t *testing.T) {
	c := shared(t)
	key := ecKey(t, elliptic.P256()).Public()
	tests := []struct {
		name    string
		req     IssueRequest
		wantDNS []string
		wantCN  string
	}{
		{"explicit classic profile", IssueRequest{PublicKey: key, DNSNames: []string{"example.com"}, Profile: "classic"},
			[]string{"example.com"}, ""},
		{"duplicates dropped", IssueRequest{PublicKey: key, DNSNames: []string{"example.com", "a.example.com", "example.com"}},
			[]string{"example.com", "a.example.com"}, ""},
		{"CN of another case takes the SAN's spelling", IssueRequest{PublicKey: key, DNSNames: []string{"example.com"}, CommonName: "Example.COM"},
			[]string{"example.com"}, "example.com"},
		{"IP under shortlived, CN dropped", IssueRequest{PublicKey: key, IPs: []net.IP{net.ParseIP("93.184.215.14")},
			CommonName: "93.184.215.14", Profile: "shortlived"}, nil, ""},
		{"tlsserver drops the CN", IssueRequest{PublicKey: key, DNSNames: []string{"example.com"}, CommonName: "example.com",
			Profile: "tlsserver"}, []string{"example.com"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, err := c.Issue(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			cert, _ := x509.ParseCertificate(iss.DER)
			if !slices.Equal(cert.DNSNames, tt.wantDNS) || cert.Subject.CommonName != tt.wantCN {
				t.Errorf("got DNS %v CN %q, want %v %q", cert.DNSNames, cert.Subject.CommonName, tt.wantDNS, tt.wantCN)
			}
		})
	}
}

func TestLeafOutlivingIssuerRefused(t *testing.T) {
	c, _ := loadCopy(t, Config{Clock: func() time.Time { return time.Now().Add(5*365*24*time.Hour - 30*24*time.Hour) }})
	_, err := c.Issue(context.Background(), IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"example.com"}})
	if !errors.Is(err, core.ErrServerInternal) || !strings.Contains(err.Error(), "expires before") {
		t.Errorf("Issue near the issuer's end: got %v, want serverInternal about expiry", err)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"defaults", Config{DataDir: "/x"}, ""},
		{"no data dir", Config{}, "DataDir"},
		{"unknown key type", Config{DataDir: "/x", KeyTypes: []string{"ed25519"}}, "unknown key type"},
		{"https issuer URL", Config{DataDir: "/x", IssuerBaseURL: "https://ca.example"}, "plain http"},
		{"issuer URL without host", Config{DataDir: "/x", IssuerBaseURL: "http://"}, "plain http"},
		{"issuer URL with only a port", Config{DataDir: "/x", IssuerBaseURL: "http://:4002"}, "plain http"},
		{"leaf outlives intermediate", Config{DataDir: "/x", LeafValidity: 6 * 365 * 24 * time.Hour}, "must nest"},
		{"intermediate outlives root", Config{DataDir: "/x", RootValidity: 2 * 365 * 24 * time.Hour}, "must nest"},
		{"negative backdate", Config{DataDir: "/x", Backdate: -time.Hour}, "backdate"},
		{"too many CRL shards", Config{DataDir: "/x", CRLShards: 5000}, "CRLShards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.withDefaults()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
