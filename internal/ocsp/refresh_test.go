package ocsp_test

import (
	"bytes"
	"context"
	"crypto"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/ocsp"
	"github.com/quarry-ca/quarry/internal/ocsp/ocsptest"
)

// TestCacheAndRefresh walks one certificate through time and a revocation
// and checks when a response is signed anew.
func TestCacheAndRefresh(t *testing.T) {
	e := newEnv(t, false)
	iss, leaf := e.issue(t)
	other, _ := e.issue(t)
	for other.Shard == iss.Shard {
		other, _ = e.issue(t)
	}
	sha1 := ocsptest.Request(t, leaf, e.issuer, crypto.SHA1)
	sha256 := ocsptest.Request(t, leaf, e.issuer, crypto.SHA256)
	fresh := ocsp.DefaultValidity - ocsp.DefaultRefreshBefore
	lastDER := map[string][]byte{}
	signed := 0
	steps := []struct {
		name       string
		before     func()
		req        []byte
		wantSigned int // total signatures so far
		wantStatus int
	}{
		{"first request", nil, sha1, 1, xocsp.Good},
		{"again: cached", nil, sha1, 1, xocsp.Good},
		{"other CertID hash: its own response", nil, sha256, 2, xocsp.Good},
		{"just before the refresh window", func() { e.clock.Add(fresh - time.Second) }, sha1, 2, xocsp.Good},
		{"in the refresh window", func() { e.clock.Add(2 * time.Second) }, sha1, 3, xocsp.Good},
		{"another shard revoked: still cached", func() { e.resp.Revoked(other.IssuerID, other.Shard) }, sha1, 3, xocsp.Good},
		{"own shard revoked: signed again", func() { e.resp.Revoked(iss.IssuerID, iss.Shard) }, sha1, 4, xocsp.Good},
		{"revoked in storage, no hook: signed again", func() { e.store.Revoke(iss.Serial, xocsp.Superseded, e.clock.Now()) }, sha1, 5, xocsp.Revoked},
		{"revoked: cached", nil, sha1, 5, xocsp.Revoked},
		{"sha256 is revoked too", nil, sha256, 6, xocsp.Revoked},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		resp, err := e.resp.Respond(context.Background(), s.req)
		if err != nil {
			t.Fatalf("%s: Respond: %v", s.name, err)
		}
		got, err := xocsp.ParseResponseForCert(resp.DER, leaf, e.issuer)
		if err != nil {
			t.Fatalf("%s: ParseResponseForCert: %v", s.name, err)
		}
		if n := e.signer.signed(); n != s.wantSigned || got.Status != s.wantStatus {
			t.Errorf("%s: got %d signatures and status %d, want %d and %d", s.name, n, got.Status, s.wantSigned, s.wantStatus)
		}
		if !got.ThisUpdate.Equal(resp.ThisUpdate) || e.clock.Now().Sub(got.ThisUpdate) >= fresh {
			t.Errorf("%s: got thisUpdate %v at %v, want one younger than %v", s.name, got.ThisUpdate, e.clock.Now(), fresh)
		}
		if prev, ok := lastDER[string(s.req)]; ok && s.wantSigned == signed && !bytes.Equal(prev, resp.DER) {
			t.Errorf("%s: got different bytes without a new signature, want the cached response", s.name)
		}
		lastDER[string(s.req)], signed = resp.DER, s.wantSigned
	}
}
