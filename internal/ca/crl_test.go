package ca

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

type testEntry struct {
	serial string
	at     time.Time
	reason int
}

func entriesOf(es []testEntry) RevokedEntries {
	return func(fn func(string, time.Time, int) error) error {
		for _, e := range es {
			if err := fn(e.serial, e.at, e.reason); err != nil {
				return err
			}
		}
		return nil
	}
}

// parsedIDP decodes a CRL's issuing distribution point.
func parsedIDP(t *testing.T, crl *x509.RevocationList) (idpValue, bool) {
	t.Helper()
	for _, ext := range crl.Extensions {
		if !ext.Id.Equal(oidIssuingDistributionPoint) {
			continue
		}
		if !ext.Critical {
			t.Errorf("IDP extension: got critical false, want true")
		}
		var v idpValue
		if rest, err := asn1.Unmarshal(ext.Value, &v); err != nil || len(rest) > 0 {
			t.Fatalf("IDP extension: got error %v (%d bytes left), want a clean decode", err, len(rest))
		}
		return v, true
	}
	return idpValue{}, false
}

func TestSignCRL(t *testing.T) {
	c := shared(t)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	at := now.Add(-time.Hour)
	leafEntries := []testEntry{
		{"51" + strings.Repeat("ab", 16), at, 1},
		{"51" + strings.Repeat("0c", 16), at.Add(time.Minute), 0},
		{"51" + strings.Repeat("ff", 16), at.Add(2 * time.Minute), 4},
	}
	tests := []struct {
		name     string
		issuer   string
		shard    int
		entries  []testEntry
		caCerts  bool
		wantAlgo x509.SignatureAlgorithm
	}{
		{"ecdsa issuer shard 3", idIntECDSA, 3, leafEntries, false, x509.ECDSAWithSHA256},
		{"rsa issuer empty shard", idIntRSA, 15, nil, false, x509.SHA256WithRSA},
		{"ecdsa root", idRootECDSA, 0, nil, true, x509.ECDSAWithSHA384},
		{"rsa root", idRootRSA, 0, nil, true, x509.SHA256WithRSA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := CRLRequest{IssuerID: tt.issuer, Shard: tt.shard, Number: 42, ThisUpdate: now, NextUpdate: now.Add(7 * 24 * time.Hour)}
			der, err := c.SignCRL(context.Background(), req, entriesOf(tt.entries))
			if err != nil {
				t.Fatalf("SignCRL: got error %v, want none", err)
			}
			crl, err := x509.ParseRevocationList(der)
			if err != nil {
				t.Fatalf("ParseRevocationList: got error %v, want none", err)
			}
			issuer, _ := c.IssuerCertificate(tt.issuer)
			checkCRL(t, crl, issuer, req, tt.wantAlgo)
			checkEntries(t, crl, tt.entries)
			idp, ok := parsedIDP(t, crl)
			if !ok {
				t.Fatal("CRL: got no issuing distribution point, want one")
			}
			wantURL := fmt.Sprintf("http://127.0.0.1:4002/crl/%s/%d.crl", tt.issuer, tt.shard)
			switch fn := idp.DistributionPoint.FullName; {
			case tt.caCerts && len(fn) != 0:
				t.Errorf("root CRL IDP distribution point: got %+v, want none (a complete CRL)", fn)
			case !tt.caCerts && (len(fn) != 1 || fn[0].Class != asn1.ClassContextSpecific || fn[0].Tag != 6 || string(fn[0].Bytes) != wantURL):
				t.Errorf("IDP distribution point: got %+v, want one URI %s", fn, wantURL)
			}
			if idp.OnlyUserCerts == tt.caCerts || idp.OnlyCACerts != tt.caCerts {
				t.Errorf("IDP: got onlyContainsUserCerts %v onlyContainsCACerts %v, want %v %v",
					idp.OnlyUserCerts, idp.OnlyCACerts, !tt.caCerts, tt.caCerts)
			}
		})
	}
}

func checkCRL(t *testing.T, crl *x509.RevocationList, issuer *x509.Certificate, req CRLRequest, algo x509.SignatureAlgorithm) {
	t.Helper()
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		t.Errorf("CheckSignatureFrom issuer: got %v, want a valid signature", err)
	}
	if crl.SignatureAlgorithm != algo {
		t.Errorf("signature algorithm: got %v, want %v", crl.SignatureAlgorithm, algo)
	}
	if string(crl.RawIssuer) != string(issuer.RawSubject) {
		t.Errorf("issuer: got %s, want %s", crl.Issuer, issuer.Subject)
	}
	if crl.Number == nil || crl.Number.Int64() != req.Number {
		t.Errorf("CRL number: got %v, want %d", crl.Number, req.Number)
	}
	if !crl.ThisUpdate.Equal(req.ThisUpdate) || !crl.NextUpdate.Equal(req.NextUpdate) {
		t.Errorf("times: got %v..%v, want %v..%v", crl.ThisUpdate, crl.NextUpdate, req.ThisUpdate, req.NextUpdate)
	}
	if string(crl.AuthorityKeyId) != string(issuer.SubjectKeyId) {
		t.Errorf("AKI: got %x, want %x", crl.AuthorityKeyId, issuer.SubjectKeyId)
	}
}

func checkEntries(t *testing.T, crl *x509.RevocationList, want []testEntry) {
	t.Helper()
	if len(crl.RevokedCertificateEntries) != len(want) {
		t.Fatalf("entries: got %d, want %d", len(crl.RevokedCertificateEntries), len(want))
	}
	for i, e := range crl.RevokedCertificateEntries {
		w := want[i]
		serial, _ := new(big.Int).SetString(w.serial, 16)
		if e.SerialNumber.Cmp(serial) != 0 || !e.RevocationTime.Equal(w.at) || e.ReasonCode != w.reason {
			t.Errorf("entry %d: got %x at %v reason %d, want %s at %v reason %d",
				i, e.SerialNumber, e.RevocationTime, e.ReasonCode, w.serial, w.at, w.reason)
		}
		hasReasonExt := false
		for _, ext := range e.Extensions {
			hasReasonExt = hasReasonExt || ext.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 21})
		}
		if hasReasonExt != (w.reason != 0) {
			t.Errorf("entry %d: got reason extension %v, want %v (unspecified is left out)", i, hasReasonExt, w.reason != 0)
		}
	}
}

func TestSignCRLRefuses(t *testing.T) {
	c := shared(t)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ok := CRLRequest{IssuerID: idIntECDSA, Shard: 0, Number: 1, ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour)}
	stop := errors.New("storage failed")
	tests := []struct {
		name    string
		mutate  func(*CRLRequest)
		entries RevokedEntries
		want    error
	}{
		{"unknown issuer", func(r *CRLRequest) { r.IssuerID = "nope" }, nil, core.ErrNotFound},
		{"cross-signature is not a CRL issuer", func(r *CRLRequest) { r.IssuerID = idCrossECDSA }, nil, core.ErrNotFound},
		{"shard past the count", func(r *CRLRequest) { r.Shard = 16 }, nil, core.ErrNotFound},
		{"root shard 1", func(r *CRLRequest) { r.IssuerID, r.Shard = idRootRSA, 1 }, nil, core.ErrNotFound},
		{"number zero", func(r *CRLRequest) { r.Number = 0 }, nil, core.ErrServerInternal},
		{"nextUpdate before thisUpdate", func(r *CRLRequest) { r.NextUpdate = now.Add(-time.Second) }, nil, core.ErrServerInternal},
		{"bad serial", nil, entriesOf([]testEntry{{"zz", now, 1}}), core.ErrServerInternal},
		{"serial over 20 octets", nil, entriesOf([]testEntry{{strings.Repeat("7f", 21), now, 1}}), core.ErrServerInternal},
		{"reason 7", nil, entriesOf([]testEntry{{"51ab", now, 7}}), core.ErrServerInternal},
		{"storage error", nil, func(func(string, time.Time, int) error) error { return stop }, stop},
		{"nextUpdate too far for a leaf CRL", func(r *CRLRequest) { r.NextUpdate = now.Add(30 * 24 * time.Hour) }, nil, core.ErrServerInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ok
			if tt.mutate != nil {
				tt.mutate(&req)
			}
			_, err := c.SignCRL(context.Background(), req, tt.entries)
			if !errors.Is(err, tt.want) {
				t.Errorf("SignCRL: got error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCRLScopes(t *testing.T) {
	got := shared(t).CRLScopes()
	want := []CRLScope{{idIntECDSA, 16, false}, {idIntRSA, 16, false}, {idRootECDSA, 1, true}, {idRootRSA, 1, true}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CRLScopes: got %v, want %v", got, want)
	}
}

func TestIssuedShard(t *testing.T) {
	c := shared(t)
	for range 4 {
		iss, cert := mustIssue(t, c, IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"shard.example.com"}})
		want := fmt.Sprintf("http://127.0.0.1:4002/crl/%s/%d.crl", iss.IssuerID, iss.Shard)
		if len(cert.CRLDistributionPoints) != 1 || cert.CRLDistributionPoints[0] != want {
			t.Errorf("Issued.Shard %d: got distribution points %v, want [%s]", iss.Shard, cert.CRLDistributionPoints, want)
		}
	}
}

// TestSignCRLLongList covers a CRL longer than the lint prefix, far-future
// revocation times (GeneralizedTime), and openssl's view of an RSA CRL.
func TestSignCRLLongList(t *testing.T) {
	openssl := requireOpenSSL(t)
	c, _ := loadCopy(t, Config{})
	log, logged := bufLogger()
	c.log, c.crlLintPrefix = log, 5
	// Times from 2050 on are GeneralizedTime, earlier ones UTCTime.
	now := time.Date(2050, 1, 1, 2, 0, 0, 0, time.UTC)
	var entries []testEntry
	for i := range 20 {
		at := now.Add(-time.Duration(i) * time.Hour)
		entries = append(entries, testEntry{fmt.Sprintf("51%032x", i+1), at, []int{0, 1, 3, 4, 5, 9}[i%6]})
	}
	req := CRLRequest{IssuerID: idIntRSA, Shard: 7, Number: 1 << 40, ThisUpdate: now, NextUpdate: now.Add(10 * 24 * time.Hour)}
	der, err := c.SignCRL(context.Background(), req, entriesOf(entries))
	if err != nil {
		t.Fatalf("SignCRL: got error %v, want none", err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("ParseRevocationList: got error %v, want none", err)
	}
	issuer, _ := c.IssuerCertificate(idIntRSA)
	checkCRL(t, crl, issuer, req, x509.SHA256WithRSA)
	checkEntries(t, crl, entries)
	if strings.Contains(logged.String(), "CRL lint") {
		t.Errorf("log: got lint findings, want none:\n%s", logged)
	}

	dir := t.TempDir()
	crlPath, issuerPath := filepath.Join(dir, "crl.der"), filepath.Join(dir, "r1.pem")
	if err := os.WriteFile(crlPath, der, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(issuerPath, certPEM(issuer), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "crl", "-inform", "DER", "-in", crlPath, "-noout", "-verify", "-CAfile", issuerPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verify OK") {
		t.Errorf("openssl crl -verify: got %v:\n%s\nwant verify OK", err, out)
	}
}
