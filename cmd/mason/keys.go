package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
)

var errNoAccount = errors.New("no account for this server yet; run 'mason register --agree-tos' or add --agree-tos")

// newCertKey makes the certificate's private key as the flags say.
func newCertKey(keyType string, rsaBits int, curve string) (crypto.Signer, error) {
	switch keyType {
	case "rsa":
		if rsaBits < 2048 || rsaBits > 8192 {
			return nil, fmt.Errorf("--rsa-key-size %d: use 2048 to 8192", rsaBits)
		}
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case "ecdsa":
		c, err := parseCurve(curve)
		if err != nil {
			return nil, err
		}
		return ecdsa.GenerateKey(c, rand.Reader)
	}
	return nil, fmt.Errorf("--key-type %q: use ecdsa or rsa", keyType)
}

func parseCurve(name string) (elliptic.Curve, error) {
	switch strings.ToLower(name) {
	case "", "p256", "p-256", "secp256r1", "prime256v1":
		return elliptic.P256(), nil
	case "p384", "p-384", "secp384r1":
		return elliptic.P384(), nil
	}
	return nil, fmt.Errorf("--elliptic-curve %q: use secp256r1 or secp384r1", name)
}

func encodeKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func decodeKey(b []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("key file holds no PEM block")
	}
	var k any
	var err error
	switch blk.Type {
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key of type %T cannot sign", k)
	}
	return s, nil
}

// csr makes the certificate request for names with key.
func csr(names []string, key crypto.Signer) ([]byte, error) {
	tmpl := &x509.CertificateRequest{}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("creating CSR: %w", err)
	}
	return der, nil
}

// parseCert reads the first certificate of a PEM file.
func parseCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(blk.Bytes)
}
