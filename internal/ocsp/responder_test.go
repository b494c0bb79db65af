package ocsp_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ocsp"
	"github.com/quarry-ca/quarry/internal/ocsp/ocsptest"
)

func TestRespond(t *testing.T) {
	for _, delegated := range []bool{false, true} {
		e := newEnv(t, delegated)
		now := e.clock.Now()
		revokedAt := now.Add(-time.Hour).Add(123 * time.Millisecond)
		_, good := e.issue(t)
		revIss, revoked := e.issue(t)
		e.store.Revoke(revIss.Serial, xocsp.KeyCompromise, revokedAt)
		unspecIss, unspec := e.issue(t)
		e.store.Revoke(unspecIss.Serial, xocsp.Unspecified, revokedAt)
		tests := []struct {
			name       string
			leaf       *x509.Certificate
			hash       crypto.Hash
			wantStatus int
			wantReason int
		}{
			{"good sha1", good, crypto.SHA1, xocsp.Good, 0},
			{"good sha256", good, crypto.SHA256, xocsp.Good, 0},
			{"revoked keyCompromise", revoked, crypto.SHA1, xocsp.Revoked, xocsp.KeyCompromise},
			{"revoked unspecified", unspec, crypto.SHA256, xocsp.Revoked, xocsp.Unspecified},
			{"unknown serial", &x509.Certificate{SerialNumber: big.NewInt(0x51aa)}, crypto.SHA1, xocsp.Unknown, 0},
			{"unknown serial sha384", &x509.Certificate{SerialNumber: new(big.Int).Lsh(big.NewInt(1), 159)}, crypto.SHA384, xocsp.Unknown, 0},
		}
		for _, tt := range tests {
			name := tt.name
			if delegated {
				name += " delegated"
			}
			t.Run(name, func(t *testing.T) {
				resp, err := e.resp.Respond(context.Background(), ocsptest.Request(t, tt.leaf, e.issuer, tt.hash))
				if err != nil {
					t.Fatalf("Respond: got error %v, want none", err)
				}
				leaf := tt.leaf
				if tt.wantStatus == xocsp.Unknown {
					leaf = nil // ParseResponseForCert matches by serial only with a certificate
				}
				got, err := xocsp.ParseResponseForCert(resp.DER, leaf, e.issuer)
				if err != nil {
					t.Fatalf("ParseResponseForCert: got error %v, want a valid response", err)
				}
				if got.Status != tt.wantStatus || got.SerialNumber.Cmp(tt.leaf.SerialNumber) != 0 {
					t.Errorf("got status %d serial %x, want %d %x", got.Status, got.SerialNumber, tt.wantStatus, tt.leaf.SerialNumber)
				}
				if got.IssuerHash != tt.hash {
					t.Errorf("got CertID hash %v, want the request's %v", got.IssuerHash, tt.hash)
				}
				next := now.Add(ocsp.DefaultValidity)
				if !got.ThisUpdate.Equal(now) || !got.NextUpdate.Equal(next) || !resp.ThisUpdate.Equal(now) || !resp.NextUpdate.Equal(next) {
					t.Errorf("got thisUpdate %v nextUpdate %v (reported %v, %v), want %v, %v", got.ThisUpdate, got.NextUpdate, resp.ThisUpdate, resp.NextUpdate, now, next)
				}
				if tt.wantStatus == xocsp.Revoked {
					if want := revokedAt.Truncate(time.Second); !got.RevokedAt.Equal(want) || got.RevocationReason != tt.wantReason {
						t.Errorf("got revoked at %v reason %d, want %v reason %d", got.RevokedAt, got.RevocationReason, want, tt.wantReason)
					}
				} else if !got.RevokedAt.IsZero() {
					t.Errorf("got a revocation time %v, want none", got.RevokedAt)
				}
				if (got.Certificate != nil) != delegated {
					t.Errorf("got embedded responder certificate %v, want one only when delegated (%v)", got.Certificate != nil, delegated)
				}
				if delegated && got.Certificate != nil {
					if len(got.Certificate.ExtKeyUsage) != 1 || got.Certificate.ExtKeyUsage[0] != x509.ExtKeyUsageOCSPSigning {
						t.Errorf("responder EKU: got %v, want OCSPSigning", got.Certificate.ExtKeyUsage)
					}
				} else if !bytes.Equal(got.RawResponderName, e.issuer.RawSubject) {
					t.Errorf("direct: got responder name %x, want the issuer's subject", got.RawResponderName)
				}
			})
		}
	}
}

func TestRespondUnauthorized(t *testing.T) {
	e := newEnv(t, false)
	other := ocsptest.NewCA(t, false)
	otherIssuer, _ := other.IssuerCertificate(other.IssuerIDs()[0])
	_, leaf := e.issue(t)
	var rootOfOurs *x509.Certificate
	for _, r := range e.ca.Roots() {
		rootOfOurs = r
	}
	tests := []struct {
		name   string
		issuer *x509.Certificate
		hash   crypto.Hash
	}{
		{"another CA's issuer", otherIssuer, crypto.SHA1},
		{"another CA's issuer sha256", otherIssuer, crypto.SHA256},
		{"our root, which signs no leaves", rootOfOurs, crypto.SHA1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.resp.Respond(context.Background(), ocsptest.Request(t, leaf, tt.issuer, tt.hash))
			if !errors.Is(err, core.ErrUnauthorized) || resp != nil {
				t.Errorf("got %v, %v; want error of kind unauthorized", resp, err)
			}
		})
	}
	// The same serial, asked of the right issuer, is answered: the issuer
	// and not the serial decided.
	if _, err := e.resp.Respond(context.Background(), ocsptest.Request(t, leaf, e.issuer, crypto.SHA1)); err != nil {
		t.Errorf("right issuer: got error %v, want a response", err)
	}
}

func TestRespondMalformed(t *testing.T) {
	e := newEnv(t, false)
	_, leaf := e.issue(t)
	good := ocsptest.Request(t, leaf, e.issuer, crypto.SHA1)
	id := certID(t, e.issuer, leaf.SerialNumber)
	md5 := id
	md5.HashAlgorithm.Algorithm = oidMD5
	cert, _ := e.ca.IssuerCertificate(e.ca.IssuerIDs()[0])
	tests := []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"text", []byte("hello, responder")},
		{"truncated", good[:len(good)-3]},
		{"trailing byte", append(append([]byte{}, good...), 0)},
		{"too large", bytes.Repeat([]byte{0x30}, 5000)},
		{"a certificate", cert.Raw},
		{"no certificates", marshal(t, tOCSPRequest{TBS: tTBS{RequestList: []tRequest{}}})},
		{"two certificates", marshal(t, tOCSPRequest{TBS: tTBS{RequestList: []tRequest{{id}, {id}}}})},
		{"version 2", marshal(t, tOCSPRequest{TBS: tTBS{Version: 1, RequestList: []tRequest{{id}}}})},
		{"md5 CertID", marshal(t, tOCSPRequest{TBS: tTBS{RequestList: []tRequest{{md5}}}})},
		{"signed", marshal(t, tSigned{TBS: tTBS{RequestList: []tRequest{{id}}},
			Signature: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: marshal(t, []int{1})}})},
		{"zero serial", ocsptest.Request(t, &x509.Certificate{SerialNumber: big.NewInt(0)}, e.issuer, crypto.SHA1)},
		{"negative serial", ocsptest.Request(t, &x509.Certificate{SerialNumber: big.NewInt(-5)}, e.issuer, crypto.SHA1)},
		{"21-octet serial", ocsptest.Request(t, &x509.Certificate{SerialNumber: new(big.Int).Lsh(big.NewInt(1), 160)}, e.issuer, crypto.SHA1)},
		{"wrong outer tag", append([]byte{0x31}, good[1:]...)},
		{"serial as a string", marshal(t, stringSerialRequest(id))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.resp.Respond(context.Background(), tt.der)
			if !errors.Is(err, core.ErrMalformed) || resp != nil {
				t.Errorf("got %v, %v; want error of kind malformed", resp, err)
			}
		})
	}
	if e.signer.signed() != 0 {
		t.Errorf("got %d responses signed for malformed requests, want 0", e.signer.signed())
	}
	// The well-formed one of the same family works.
	if _, err := e.resp.Respond(context.Background(), marshal(t, tOCSPRequest{TBS: tTBS{RequestList: []tRequest{{id}}}})); err != nil {
		t.Errorf("hand-built good request: got error %v, want a response", err)
	}
}

func TestRespondStoreError(t *testing.T) {
	e := newEnv(t, false)
	_, leaf := e.issue(t)
	e.store.SetErr(errors.New("disk on fire"))
	_, err := e.resp.Respond(context.Background(), ocsptest.Request(t, leaf, e.issuer, crypto.SHA1))
	if err == nil || errors.Is(err, core.ErrMalformed) || errors.Is(err, core.ErrUnauthorized) {
		t.Errorf("got %v, want an internal error (neither malformed nor unauthorized)", err)
	}
}

func TestNewRefuses(t *testing.T) {
	e := newEnv(t, false)
	tests := []struct {
		name string
		cfg  ocsp.Config
		deps ocsp.Deps
	}{
		{"no store", ocsp.Config{}, ocsp.Deps{Signer: e.signer}},
		{"no signer", ocsp.Config{}, ocsp.Deps{Store: e.store}},
		{"validity past 10 days", ocsp.Config{Validity: 11 * 24 * time.Hour}, ocsp.Deps{Store: e.store, Signer: e.signer}},
		{"validity under an hour", ocsp.Config{Validity: time.Minute, RefreshBefore: time.Second}, ocsp.Deps{Store: e.store, Signer: e.signer}},
		{"refresh longer than validity", ocsp.Config{Validity: 24 * time.Hour, RefreshBefore: 25 * time.Hour}, ocsp.Deps{Store: e.store, Signer: e.signer}},
		{"negative refresh", ocsp.Config{RefreshBefore: -time.Hour}, ocsp.Deps{Store: e.store, Signer: e.signer}},
		{"negative cache", ocsp.Config{MaxCached: -1}, ocsp.Deps{Store: e.store, Signer: e.signer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := ocsp.New(tt.cfg, tt.deps); err == nil {
				t.Errorf("got responder %v, want an error", r)
			}
		})
	}
}

// stringSerialRequest is a request whose CertID holds the serial as a
// PrintableString instead of an INTEGER.
func stringSerialRequest(id tCertID) any {
	type certID struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		NameHash      []byte
		IssuerKeyHash []byte
		SerialNumber  string `asn1:"printable"`
	}
	type req struct{ Cert certID }
	type tbs struct{ RequestList []req }
	return struct{ TBS tbs }{tbs{[]req{{certID{id.HashAlgorithm, id.NameHash, id.IssuerKeyHash, "51abc"}}}}}
}
