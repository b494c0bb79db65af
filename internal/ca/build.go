package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// builder loads the hierarchy's files and creates what is missing, in plan
// order. What it may create depends on whether the manifest says the
// hierarchy was complete:
//
//   - a missing certificate whose key exists is re-signed from that key
//     (same subject and key, so certificates below it still chain);
//   - a certificate whose key is missing is an error: it cannot be re-made;
//   - a missing key and certificate are created during an interrupted first
//     creation, and are an error once the hierarchy was complete, because a
//     new key under an old issuer ID would silently mismatch.
//
// Every certificate, loaded or made, is checked against its key and its
// parent, so any other inconsistency is an error too.
type builder struct {
	cfg      Config
	log      *slog.Logger
	dir      string
	complete bool
	keys     map[string]crypto.Signer     // by key ID
	certs    map[string]*x509.Certificate // by certificate ID
	token    *token                       // non-nil when the keys live in a PKCS#11 token
}

func (b *builder) keyPath(id string) string  { return filepath.Join(b.dir, id+".key") }
func (b *builder) certPath(id string) string { return filepath.Join(b.dir, id+".pem") }

// keyWhere names where a key lives, for messages.
func (b *builder) keyWhere(id string) string {
	if b.token != nil {
		return fmt.Sprintf("token %q (key %s)", b.token.label, tokenKeyLabel(id))
	}
	return b.keyPath(id)
}

func (b *builder) build(ctx context.Context, nodes []node) error {
	for _, n := range nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		key, err := b.key(ctx, n)
		if err != nil {
			return err
		}
		if err := b.cert(ctx, n, key); err != nil {
			return err
		}
	}
	return nil
}

// key loads or creates the private key of n.
func (b *builder) key(ctx context.Context, n node) (crypto.Signer, error) {
	if !n.ownsKey() {
		return b.keys[n.keyID], nil
	}
	if b.token != nil {
		return b.tokenKey(ctx, n)
	}
	path := b.keyPath(n.id)
	data, err := readOptional(path)
	if err != nil {
		return nil, err
	}
	if data != nil {
		key, err := decodeKey(data, n.key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		b.keys[n.id] = key
		return key, nil
	}
	if _, err := os.Stat(b.certPath(n.id)); err == nil {
		return nil, fmt.Errorf("%s exists but its private key %s is missing; restore the key from a backup, or move %s aside to create a new hierarchy",
			b.certPath(n.id), path, b.dir)
	}
	if b.complete {
		return nil, fmt.Errorf("the hierarchy in %s was complete but %s and %s are both missing; restore them from a backup, or move %s aside to create a new hierarchy",
			b.dir, path, b.certPath(n.id), b.dir)
	}
	key, err := generateKey(n.key)
	if err != nil {
		return nil, fmt.Errorf("generating the key of %s: %w", n.id, err)
	}
	pemKey, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, pemKey, 0o600, noClobber); err != nil {
		return nil, err
	}
	b.log.LogAttrs(ctx, levelAudit, "CA key created", slog.String("id", n.id),
		slog.String("type", fmt.Sprintf("%s-%d", n.key.typ, n.key.bits)), slog.String("path", path))
	b.keys[n.id] = key
	return key, nil
}

// cert loads, checks, or creates the certificate of n.
func (b *builder) cert(ctx context.Context, n node, key crypto.Signer) error {
	path := b.certPath(n.id)
	data, err := readOptional(path)
	if err != nil {
		return err
	}
	var cert *x509.Certificate
	if data != nil {
		if cert, err = parseCertPEM(data); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	} else {
		if cert, err = b.create(n, key); err != nil {
			return err
		}
		if err := writeFileAtomic(path, certPEM(cert), 0o644, noClobber); err != nil {
			return err
		}
		level := levelAudit
		if b.complete {
			level = slog.LevelWarn // a file went missing after creation
		}
		b.log.LogAttrs(ctx, level, "CA certificate created", slog.String("id", n.id),
			slog.String("serial", serialHex(cert.SerialNumber)), slog.String("path", path))
	}
	if err := b.check(n, cert, key); err != nil {
		return fmt.Errorf("%s does not fit the hierarchy in %s: %w; restore the directory from a backup, or move it aside to create a new hierarchy",
			path, b.dir, err)
	}
	b.certs[n.id] = cert
	return nil
}

// create signs a new certificate for n with its parent's key.
func (b *builder) create(n node, key crypto.Signer) (*x509.Certificate, error) {
	var parent *x509.Certificate
	signer := key
	if !n.isRoot() {
		parent, signer = b.certs[n.parentID], b.keys[n.parentID]
	}
	t, err := b.caTemplate(n, key.Public(), parent)
	if err != nil {
		return nil, err
	}
	if !n.ownsKey() {
		// A cross-signature names exactly the CA it vouches for.
		t.RawSubject = b.certs[n.keyID].RawSubject
	}
	return signCA(t, parent, key.Public(), signer)
}

// check verifies that cert holds key, is a CA, and is signed by its parent.
func (b *builder) check(n node, cert *x509.Certificate, key crypto.Signer) error {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := key.Public().(equaler); !ok || !pub.Equal(cert.PublicKey) {
		return fmt.Errorf("its public key is not the one in %s", b.keyWhere(n.keyID))
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return fmt.Errorf("it is not a CA certificate")
	}
	parent := cert
	if !n.isRoot() {
		parent = b.certs[n.parentID]
	}
	if !bytes.Equal(cert.RawIssuer, parent.RawSubject) {
		return fmt.Errorf("its issuer is not the subject of %s", n.parentOrSelf())
	}
	if err := cert.CheckSignatureFrom(parent); err != nil {
		return fmt.Errorf("it is not signed by %s: %w", n.parentOrSelf(), err)
	}
	if !n.ownsKey() && !bytes.Equal(cert.RawSubject, b.certs[n.keyID].RawSubject) {
		return fmt.Errorf("its subject differs from %s's", n.keyID)
	}
	return nil
}

func (n node) parentOrSelf() string {
	if n.isRoot() {
		return n.id + " (itself)"
	}
	return n.parentID
}

func certPEM(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// parseCertPEM parses a file holding exactly one PEM certificate.
func parseCertPEM(data []byte) (*x509.Certificate, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("not a PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("trailing data after the certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate: %w", err)
	}
	return cert, nil
}
