package va

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// acmeExt builds the acmeIdentifier extension for keyAuth.
func acmeExt(t *testing.T, keyAuth string, critical bool) pkix.Extension {
	t.Helper()
	d := acme.TLSALPN01Digest(keyAuth)
	v, err := asn1.Marshal(d[:])
	if err != nil {
		t.Fatalf("marshalling digest: %v", err)
	}
	return pkix.Extension{Id: idPeACMEIdentifier(), Critical: critical, Value: v}
}

// alpnCert makes a self-signed responder certificate with the given SANs
// and extra extensions.
func alpnCert(t *testing.T, names []string, ips []net.IP, exts ...pkix.Extension) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(1),
		Subject:         pkix.Name{CommonName: "tls-alpn-01 responder"},
		NotBefore:       time.Now().Add(-time.Hour),
		NotAfter:        time.Now().Add(time.Hour),
		DNSNames:        names,
		IPAddresses:     ips,
		ExtraExtensions: exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("creating certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// alpnResponder is a TLS server on 127.0.0.1 that remembers what clients
// asked for.
type alpnResponder struct {
	port   int
	mu     sync.Mutex
	hellos []*tls.ClientHelloInfo
}

func (r *alpnResponder) lastHello() *tls.ClientHelloInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.hellos) == 0 {
		return nil
	}
	return r.hellos[len(r.hellos)-1]
}

func startALPN(t *testing.T, cert tls.Certificate, protos []string) *alpnResponder {
	t.Helper()
	r := &alpnResponder{}
	cfg := &tls.Config{
		NextProtos:   protos,
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			r.mu.Lock()
			r.hellos = append(r.hellos, h)
			r.mu.Unlock()
			return nil, nil
		},
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	r.port = ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = c.(*tls.Conn).HandshakeContext(t.Context())
				_ = c.Close()
			}()
		}
	}()
	return r
}

func TestTLSALPN01(t *testing.T) {
	dnsSrv := startDNS(t)
	ok := []string{alpnProto}
	localhost := []net.IP{net.IPv4(127, 0, 0, 1)}
	cases := []struct {
		name       string
		id         acme.Identifier
		cert       func(t *testing.T) tls.Certificate
		protos     []string
		wantKind   core.Kind
		wantDetail string
		wantSNI    string
	}{
		{name: "pass", protos: ok, wantSNI: "a.test", cert: func(t *testing.T) tls.Certificate {
			return alpnCert(t, []string{"a.test"}, nil, acmeExt(t, testKeyAuth, true))
		}},
		{name: "SAN compared without case", protos: ok, cert: func(t *testing.T) tls.Certificate {
			return alpnCert(t, []string{"A.Test"}, nil, acmeExt(t, testKeyAuth, true))
		}},
		{name: "IP identifier pass", id: ipID("127.0.0.1"), protos: ok, wantSNI: "1.0.0.127.in-addr.arpa",
			cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, nil, localhost, acmeExt(t, testKeyAuth, true))
			}},
		{name: "IP identifier with a DNS SAN", id: ipID("127.0.0.1"), protos: ok, wantKind: core.ErrUnauthorized,
			wantDetail: "subject alternative names [DNS:127.0.0.1]", cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"127.0.0.1"}, nil, acmeExt(t, testKeyAuth, true))
			}},
		{name: "missing extension", protos: ok, wantKind: core.ErrUnauthorized,
			wantDetail: "1.3.6.1.5.5.7.1.31 (acmeIdentifier) is not present", cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"a.test"}, nil)
			}},
		{name: "non-critical extension", protos: ok, wantKind: core.ErrUnauthorized,
			wantDetail: "is not critical", cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"a.test"}, nil, acmeExt(t, testKeyAuth, false))
			}},
		{name: "wrong digest", protos: ok, wantKind: core.ErrUnauthorized,
			wantDetail: "expected acmeIdentifier extension value", cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"a.test"}, nil, acmeExt(t, "other.keyauth", true))
			}},
		{name: "extension not an OCTET STRING", protos: ok, wantKind: core.ErrUnauthorized,
			wantDetail: "is not an OCTET STRING of 32 bytes", cert: func(t *testing.T) tls.Certificate {
				d := acme.TLSALPN01Digest(testKeyAuth)
				bad := pkix.Extension{Id: idPeACMEIdentifier(), Critical: true, Value: append([]byte{0x03, 0x21, 0x00}, d[:]...)}
				return alpnCert(t, []string{"a.test"}, nil, bad)
			}},
		{name: "two SANs", protos: ok, wantKind: core.ErrUnauthorized,
			wantDetail: "subject alternative names [DNS:a.test, DNS:b.test]", cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"a.test", "b.test"}, nil, acmeExt(t, testKeyAuth, true))
			}},
		{name: "DNS and IP SANs", protos: ok, wantKind: core.ErrUnauthorized,
			wantDetail: "subject alternative names [DNS:a.test, IP:127.0.0.1]", cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"a.test"}, localhost, acmeExt(t, testKeyAuth, true))
			}},
		{name: "wrong SAN", protos: ok, wantKind: core.ErrUnauthorized,
			wantDetail: "requested a.test, received a certificate with subject alternative names [DNS:b.test]",
			cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"b.test"}, nil, acmeExt(t, testKeyAuth, true))
			}},
		{name: "wrong ALPN: none negotiated", wantKind: core.ErrUnauthorized,
			wantDetail: `Cannot negotiate ALPN protocol "acme-tls/1"`, cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"a.test"}, nil, acmeExt(t, testKeyAuth, true))
			}},
		{name: "wrong ALPN: server refuses", protos: []string{"h2"}, wantKind: core.ErrTLS,
			wantDetail: "no application protocol", cert: func(t *testing.T) tls.Certificate {
				return alpnCert(t, []string{"a.test"}, nil, acmeExt(t, testKeyAuth, true))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := startALPN(t, tc.cert(t), tc.protos)
			if tc.id.Value == "" {
				tc.id = dnsID("a.test")
			}
			v := newTestVA(t, Config{TLSPort: resp.port, DNSResolver: dnsSrv.Addr(), AllowPrivate: true, Timeout: 5 * time.Second})
			records, err := v.Validate(t.Context(), Request{
				Identifier: tc.id, Challenge: acme.ChallengeTLSALPN01, Token: testToken, KeyAuthorization: testKeyAuth,
			})
			t.Logf("result: %v", err)
			checkErr(t, err, tc.wantKind, tc.wantDetail)
			if len(records) != 1 || records[0].AddressUsed != "127.0.0.1" || len(records[0].AddressesResolved) == 0 {
				t.Fatalf("got records %+v, want one that used 127.0.0.1", records)
			}
			h := resp.lastHello()
			if h == nil || len(h.SupportedProtos) != 1 || h.SupportedProtos[0] != alpnProto {
				t.Fatalf("got client hello %+v, want ALPN [%s]", h, alpnProto)
			}
			if tc.wantSNI != "" && h.ServerName != tc.wantSNI {
				t.Fatalf("got SNI %q, want %q", h.ServerName, tc.wantSNI)
			}
		})
	}
}

func TestTLSALPN01ConnectionFailures(t *testing.T) {
	dnsSrv := startDNS(t)
	plainHTTP := startHTTP(t, "127.0.0.1", func(int) http.Handler { return http.NotFoundHandler() })
	cases := []struct {
		name       string
		port       int
		wantKind   core.Kind
		wantDetail string
	}{
		{name: "connection refused", port: freePort(t), wantKind: core.ErrConnection,
			wantDetail: "127.0.0.1: Connecting to a.test:"},
		{name: "server does not speak TLS", port: plainHTTP, wantKind: core.ErrTLS,
			wantDetail: "Server does not speak TLS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVA(t, Config{TLSPort: tc.port, DNSResolver: dnsSrv.Addr(), AllowPrivate: true})
			_, err := v.Validate(t.Context(), Request{
				Identifier: dnsID("a.test"), Challenge: acme.ChallengeTLSALPN01, Token: testToken, KeyAuthorization: testKeyAuth,
			})
			t.Logf("result: %v", err)
			checkErr(t, err, tc.wantKind, tc.wantDetail)
		})
	}
}
