package ocsp_test

import (
	"context"
	"crypto"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/ocsp/ocsptest"
)

// TestThisUpdateNotAfterProducedAt: x/crypto stamps producedAt with the
// signing minute, so a thisUpdate with seconds would claim a status known
// after the response was signed (RFC 6960 §4.2.2.1). The clock sits half a
// minute past a minute boundary, where that showed.
func TestThisUpdateNotAfterProducedAt(t *testing.T) {
	for _, delegated := range []bool{false, true} {
		e := newEnv(t, delegated)
		e.clock.Add(-30 * time.Second)
		_, leaf := e.issue(t)
		resp, err := e.resp.Respond(context.Background(), ocsptest.Request(t, leaf, e.issuer, crypto.SHA256))
		if err != nil {
			t.Fatalf("Respond: %v", err)
		}
		got, err := xocsp.ParseResponseForCert(resp.DER, leaf, e.issuer)
		if err != nil {
			t.Fatalf("ParseResponseForCert: %v", err)
		}
		want := e.clock.Now().Truncate(time.Minute)
		if !got.ThisUpdate.Equal(want) || got.ProducedAt.Before(got.ThisUpdate) {
			t.Errorf("delegated %t: got thisUpdate %v producedAt %v, want thisUpdate %v, not after producedAt",
				delegated, got.ThisUpdate, got.ProducedAt, want)
		}
		if d := got.NextUpdate.Sub(got.ThisUpdate); d != 4*24*time.Hour {
			t.Errorf("delegated %t: got validity %v, want 96h", delegated, d)
		}
	}
}
