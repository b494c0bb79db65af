package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"
	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/config"
)

// TestOCSPWithOpenSSL asks `openssl ocsp` about a certificate before and
// after its revocation through ACME, with the intermediate signing and
// with a delegated responder.
func TestOCSPWithOpenSSL(t *testing.T) {
	openssl := requireOpenSSL(t)
	for _, delegated := range []bool{false, true} {
		name := "intermediate signs"
		if delegated {
			name = "delegated responder"
		}
		t.Run(name, func(t *testing.T) {
			e := startEnv(t, func(c *config.Config) {
				c.OCSP.Enable, c.OCSP.DelegatedResponder = true, delegated
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c := e.client()
			e.register(ctx, c)
			chain := e.issue(ctx, c, "ocsp.quarry.test")
			leaf := e.verify(chain, "ocsp.quarry.test")
			inter, err := x509.ParseCertificate(chain[1])
			if err != nil {
				t.Fatal(err)
			}
			wantURL := "http://" + e.srv.HTTPAddr() + "/ocsp"
			if len(leaf.OCSPServer) != 1 || leaf.OCSPServer[0] != wantURL {
				t.Fatalf("leaf AIA OCSP: got %v, want [%s]", leaf.OCSPServer, wantURL)
			}
			checkNoRedirect(t, wantURL)
			dir := t.TempDir()
			args := []string{"ocsp", "-issuer", writePEM(t, filepath.Join(dir, "issuer.pem"), "CERTIFICATE", chain[1]),
				"-cert", writePEM(t, filepath.Join(dir, "leaf.pem"), "CERTIFICATE", chain[0]),
				"-url", wantURL, "-CAfile", e.srv.RootsPath()}
			if !delegated {
				// With no certificate in the response, openssl finds the
				// signer among the certificates it is given.
				args = append(args, "-verify_other", filepath.Join(dir, "issuer.pem"))
			}

			out, err := runOpenSSL(t, openssl, args...)
			if err != nil || !strings.Contains(out, "Response verify OK") || !strings.Contains(out, "leaf.pem: good") {
				t.Fatalf("before revocation: openssl %s: got %v:\n%s\nwant verify OK and good", strings.Join(args, " "), err, out)
			}
			checkGET(t, wantURL, leaf, inter, xocsp.Good, delegated)

			if err := c.RevokeCert(ctx, nil, chain[0], xacme.CRLReasonKeyCompromise); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			out, err = runOpenSSL(t, openssl, args...)
			if err != nil || !strings.Contains(out, "Response verify OK") || !strings.Contains(out, "leaf.pem: revoked") ||
				!strings.Contains(out, "Reason: keyCompromise") || !regexp.MustCompile(`Revocation Time: \w+ +\d+ [\d:]+ \d{4} GMT`).MatchString(out) {
				t.Fatalf("after revocation: openssl %s: got %v:\n%s\nwant verify OK, revoked, keyCompromise and a revocation time", strings.Join(args, " "), err, out)
			}
			got := checkGET(t, wantURL, leaf, inter, xocsp.Revoked, delegated)
			if got.RevocationReason != xocsp.KeyCompromise || time.Since(got.RevokedAt) > time.Minute || time.Since(got.RevokedAt) < -time.Second {
				t.Errorf("GET after revocation: got reason %d at %v, want keyCompromise about now", got.RevocationReason, got.RevokedAt)
			}
		})
	}
}

// checkGET fetches the leaf's status with an RFC 5019 GET and checks it
// and the caching headers.
func checkGET(t *testing.T, base string, leaf, issuer *x509.Certificate, status int, delegated bool) *xocsp.Response {
	t.Helper()
	req, err := xocsp.CreateRequest(leaf, issuer, &xocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + "/" + base64.StdEncoding.EncodeToString(req))
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	der, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/ocsp-response" || resp.Header.Get("ETag") == "" ||
		!strings.HasPrefix(resp.Header.Get("Cache-Control"), "max-age=") {
		t.Errorf("GET: got %d, headers %v; want 200 with OCSP caching headers", resp.StatusCode, resp.Header)
	}
	got, err := xocsp.ParseResponseForCert(der, leaf, issuer)
	if err != nil {
		t.Fatalf("GET: ParseResponseForCert: %v", err)
	}
	if got.Status != status || got.NextUpdate.Sub(got.ThisUpdate) != 4*24*time.Hour {
		t.Errorf("GET: got status %d valid %v, want %d valid 96h", got.Status, got.NextUpdate.Sub(got.ThisUpdate), status)
	}
	if delegated != (got.Certificate != nil) || (!delegated && !bytes.Equal(got.RawResponderName, issuer.RawSubject)) {
		t.Errorf("GET: got embedded certificate %v, want one only when delegated (%v)", got.Certificate != nil, delegated)
	}
	return got
}

// checkNoRedirect checks that a GET path with "//", which base64 can
// produce, reaches the responder instead of a ServeMux's clean-up redirect.
func checkNoRedirect(t *testing.T, base string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(base + "//Zm9v")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, xocsp.MalformedRequestErrorResponse) {
		t.Errorf("GET %s//Zm9v: got %d %x, want 200 and malformedRequest", base, resp.StatusCode, body)
	}
}

// TestOCSPOffByDefault checks that leaves name no responder and /ocsp is
// not served unless the ocsp section enables it.
func TestOCSPOffByDefault(t *testing.T) {
	e := startEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.client()
	e.register(ctx, c)
	leaf := e.verify(e.issue(ctx, c, "no-ocsp.quarry.test"), "no-ocsp.quarry.test")
	if len(leaf.OCSPServer) != 0 {
		t.Errorf("leaf AIA OCSP: got %v, want none", leaf.OCSPServer)
	}
	resp, err := http.Post("http://"+e.srv.HTTPAddr()+"/ocsp", "application/ocsp-request", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /ocsp: got %d, want 404", resp.StatusCode)
	}
}
