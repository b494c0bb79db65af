package solver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// alpnProto is the ALPN protocol of RFC 8737.
const alpnProto = "acme-tls/1"

// idPeACMEIdentifier is the certificate extension carrying the digest.
var idPeACMEIdentifier = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}

// TLSALPN answers tls-alpn-01 from its own TLS listener (--tls-alpn).
type TLSALPN struct {
	ln net.Listener

	mu    sync.Mutex
	certs map[string]*tls.Certificate // SNI -> challenge certificate
}

var (
	_ Solver    = (*TLSALPN)(nil)
	_ io.Closer = (*TLSALPN)(nil)
)

// ListenTLSALPN starts the tls-alpn-01 listener on addr (":443" in
// production).
func ListenTLSALPN(ctx context.Context, addr string) (*TLSALPN, error) {
	var lc net.ListenConfig
	raw, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for tls-alpn-01 on %s (is a web server using the port?): %w", addr, err)
	}
	s := &TLSALPN{certs: map[string]*tls.Certificate{}}
	s.ln = tls.NewListener(raw, &tls.Config{
		NextProtos:     []string{alpnProto},
		GetCertificate: s.certificate,
		MinVersion:     tls.VersionTLS12,
	})
	go s.serve()
	return s, nil
}

func (s *TLSALPN) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			_ = c.(*tls.Conn).Handshake() // the handshake is the whole answer
			_ = c.Close()
		}()
	}
}

func (s *TLSALPN) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if !slices.Contains(hello.SupportedProtos, alpnProto) {
		return nil, fmt.Errorf("client did not offer %s", alpnProto)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.certs[strings.ToLower(hello.ServerName)]
	if !ok {
		return nil, fmt.Errorf("no challenge for %q", hello.ServerName)
	}
	return c, nil
}

// Addr is where the listener listens.
func (s *TLSALPN) Addr() net.Addr { return s.ln.Addr() }

func (s *TLSALPN) Type() acme.ChallengeType { return acme.ChallengeTLSALPN01 }

func (s *TLSALPN) Present(ctx context.Context, ch Challenge) error {
	c, err := ChallengeCert(ch.Domain, ch.KeyAuth)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.certs[strings.ToLower(ch.Domain)] = c
	return nil
}

func (s *TLSALPN) CleanUp(ctx context.Context, ch Challenge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.certs, strings.ToLower(ch.Domain))
	return nil
}

// Close stops the listener.
func (s *TLSALPN) Close() error { return s.ln.Close() }

// ChallengeCert is the self-signed RFC 8737 certificate for domain: its
// only SAN is domain and a critical acmeIdentifier extension holds the
// SHA-256 digest of the key authorization.
func ChallengeCert(domain, keyAuth string) (*tls.Certificate, error) {
	if strings.HasPrefix(domain, "*.") {
		return nil, core.Errorf(core.ErrMalformed, "tls-alpn-01 cannot validate wildcard %s", domain)
	}
	digest := acme.TLSALPN01Digest(keyAuth)
	ext, err := asn1.Marshal(digest[:])
	if err != nil {
		return nil, fmt.Errorf("encoding acmeIdentifier: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating challenge key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(1),
		Subject:         pkix.Name{CommonName: "mason tls-alpn-01"},
		NotBefore:       now.Add(-time.Hour),
		NotAfter:        now.Add(24 * time.Hour),
		DNSNames:        []string{domain},
		ExtraExtensions: []pkix.Extension{{Id: idPeACMEIdentifier, Critical: true, Value: ext}},
	}
	if ip := net.ParseIP(domain); ip != nil {
		tmpl.DNSNames, tmpl.IPAddresses = nil, []net.IP{ip}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("creating challenge certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
