package ocsp_test

import (
	"context"
	"crypto"
	"errors"
	"testing"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ocsp/ocsptest"
)

// FuzzRespond feeds hostile bytes to the responder: it must answer with a
// response that parses, or with a malformed or unauthorized error, and
// never panic.
func FuzzRespond(f *testing.F) {
	e := newEnv(f, false)
	_, leaf := e.issue(f)
	good := ocsptest.Request(f, leaf, e.issuer, crypto.SHA1)
	f.Add(good)
	f.Add(ocsptest.Request(f, leaf, e.issuer, crypto.SHA256))
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		resp, err := e.resp.Respond(context.Background(), der)
		if err != nil {
			if !errors.Is(err, core.ErrMalformed) && !errors.Is(err, core.ErrUnauthorized) {
				t.Fatalf("got error %v, want malformed or unauthorized", err)
			}
			return
		}
		if _, err := xocsp.ParseResponse(resp.DER, e.issuer); err != nil {
			t.Fatalf("got a response that does not parse: %v", err)
		}
	})
}
