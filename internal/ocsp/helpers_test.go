package ocsp_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"log/slog"
	"math/big"
	"sync"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/ocsp"
	"github.com/quarry-ca/quarry/internal/ocsp/ocsptest"
	"github.com/quarry-ca/quarry/internal/testclock"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// countingSigner counts the responses the CA signs.
type countingSigner struct {
	*ca.CA
	mu sync.Mutex
	n  int
}

func (c *countingSigner) SignOCSP(ctx context.Context, req ca.OCSPRequest) ([]byte, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.CA.SignOCSP(ctx, req)
}

func (c *countingSigner) signed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// env is a responder over a real CA and an in-memory store.
type env struct {
	ca     *ca.CA
	signer *countingSigner
	store  *ocsptest.Store
	clock  *testclock.Clock
	resp   *ocsp.Responder
	issuer *x509.Certificate
}

func newEnv(t testing.TB, delegated bool) *env {
	t.Helper()
	c := ocsptest.NewCA(t, delegated)
	e := &env{ca: c, signer: &countingSigner{CA: c}, store: ocsptest.NewStore(),
		// On a minute boundary, where the responder puts thisUpdate.
		clock: testclock.New(time.Now().UTC().Truncate(time.Minute))}
	e.issuer, _ = c.IssuerCertificate(c.IssuerIDs()[0])
	var err error
	e.resp, err = ocsp.New(ocsp.Config{}, ocsp.Deps{Store: e.store, Signer: e.signer, Log: discard(), Clock: e.clock.Now})
	if err != nil {
		t.Fatalf("ocsp.New: %v", err)
	}
	return e
}

// issue signs a real leaf and stores it as good.
func (e *env) issue(t testing.TB) (*ca.Issued, *x509.Certificate) {
	t.Helper()
	return ocsptest.Issue(t, e.ca, e.store)
}

// The ASN.1 of a request (RFC 6960 §4.1.1), for building bad ones.
type (
	tCertID struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		NameHash      []byte
		IssuerKeyHash []byte
		SerialNumber  *big.Int
	}
	tRequest struct{ Cert tCertID }
	tTBS     struct {
		Version     int `asn1:"explicit,tag:0,default:0,optional"`
		RequestList []tRequest
	}
	tOCSPRequest struct{ TBS tTBS }
	tSigned      struct {
		TBS       tTBS
		Signature asn1.RawValue // [0] EXPLICIT, built by hand
	}
)

var (
	oidSHA1 = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidMD5  = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
)

// certID is the SHA-1 CertID of serial under issuer.
func certID(t testing.TB, issuer *x509.Certificate, serial *big.Int) tCertID {
	t.Helper()
	der := ocsptest.Request(t, &x509.Certificate{SerialNumber: serial}, issuer, crypto.SHA1)
	req, err := xocsp.ParseRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return tCertID{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA1, Parameters: asn1.NullRawValue},
		NameHash: req.IssuerNameHash, IssuerKeyHash: req.IssuerKeyHash, SerialNumber: serial}
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	der, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
