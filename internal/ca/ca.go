package ca

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"

	"github.com/zmap/zlint/v3/lint"
)

// CA signs leaves with the hierarchy it loaded. It is safe for concurrent
// use.
type CA struct {
	cfg       Config
	log       *slog.Logger
	certs     map[string]*x509.Certificate // every certificate of the hierarchy, by ID
	issuers   map[string]*issuer           // leaf-signing intermediates, by ID
	issuerIDs []string
	roots     []*x509.Certificate
	chains    map[string][][]*x509.Certificate
	linter    *linter
	crlLinter lint.Registry
	// crlSigners sign CRLs: the leaf issuers and the roots (whose CRLs
	// cover the intermediates), by ID.
	crlSigners map[string]*crlSigner
	// crlLintPrefix is how many entries of a CRL the linter sees.
	crlLintPrefix int
	ocspResp      ocspResponders // delegated OCSP responders, made on first use

	// mutate, set only by tests, alters each leaf template before it is
	// linted, to prove a bad certificate never reaches the real key.
	mutate func(*x509.Certificate)

	tlsMu sync.Mutex // one ServerCertificate at a time

	token *token // the PKCS#11 token holding the CA keys; nil for key files
}

// issuer is an intermediate that signs leaves, with the throwaway key that
// signs the copy the linter sees.
type issuer struct {
	id         string
	cert       *x509.Certificate
	signer     crypto.Signer
	spec       keySpec
	lintSigner crypto.Signer
	lintParent *x509.Certificate // cert with lintSigner's public key, so the lint copy names the real issuer
}

func newCA(cfg Config, b *builder, nodes []node, log *slog.Logger) (*CA, error) {
	lnt, err := newLinter(cfg.Profiles)
	if err != nil {
		return nil, err
	}
	lnt.listNamesOnce()
	crlLnt, err := newCRLLinter()
	if err != nil {
		return nil, err
	}
	c := &CA{cfg: cfg, log: log, certs: b.certs, issuers: map[string]*issuer{},
		chains: map[string][][]*x509.Certificate{}, linter: lnt, crlLinter: crlLnt, crlSigners: map[string]*crlSigner{},
		crlLintPrefix: defaultCRLLintPrefix}
	for _, n := range nodes {
		switch {
		case n.isRoot():
			c.roots = append(c.roots, b.certs[n.id])
			c.crlSigners[n.id] = &crlSigner{cert: b.certs[n.id], signer: b.keys[n.id], spec: n.key, caCerts: true}
		case n.ownsKey():
			iss, err := newIssuer(n, b.certs[n.id], b.keys[n.id])
			if err != nil {
				return nil, err
			}
			c.issuers[n.id] = iss
			c.crlSigners[n.id] = &crlSigner{cert: iss.cert, signer: iss.signer, spec: n.key}
			c.issuerIDs = append(c.issuerIDs, n.id)
			c.chains[n.id] = append([][]*x509.Certificate{{b.certs[n.id]}}, c.chains[n.id]...)
		default: // a cross-signature: an alternate chain of the key's owner
			c.chains[n.keyID] = append(c.chains[n.keyID], []*x509.Certificate{b.certs[n.id]})
		}
	}
	return c, nil
}

func newIssuer(n node, cert *x509.Certificate, signer crypto.Signer) (*issuer, error) {
	lintSigner, err := generateKey(n.key)
	if err != nil {
		return nil, fmt.Errorf("generating the lint key of %s: %w", n.id, err)
	}
	lintParent := *cert
	lintParent.PublicKey = lintSigner.Public()
	return &issuer{id: n.id, cert: cert, signer: signer, spec: n.key,
		lintSigner: lintSigner, lintParent: &lintParent}, nil
}

// Chains returns the certificates above a leaf of issuerID, default chain
// first; each chain ends below the root. Unknown IDs have none.
func (c *CA) Chains(issuerID string) [][]*x509.Certificate {
	var out [][]*x509.Certificate
	for _, ch := range c.chains[issuerID] {
		out = append(out, slices.Clone(ch))
	}
	return out
}

// Roots returns the root certificates.
func (c *CA) Roots() []*x509.Certificate { return slices.Clone(c.roots) }

// RootsPEMPath is the file with every root certificate, for clients to trust.
func (c *CA) RootsPEMPath() string { return filepath.Join(c.cfg.DataDir, "roots.pem") }

// IssuerCertificate returns any certificate of the hierarchy by ID (roots,
// intermediates, the cross-signature): the targets of AIA caIssuers URLs.
func (c *CA) IssuerCertificate(issuerID string) (*x509.Certificate, bool) {
	cert, ok := c.certs[issuerID]
	return cert, ok
}

// IssuerIDs lists the intermediates that sign leaves, as recorded when the
// hierarchy was created.
func (c *CA) IssuerIDs() []string { return slices.Clone(c.issuerIDs) }

// issuerFor picks the intermediate of the leaf key's type, or the only one.
func (c *CA) issuerFor(spec keySpec) *issuer {
	for _, id := range c.issuerIDs {
		if c.issuers[id].spec.typ == spec.typ {
			return c.issuers[id]
		}
	}
	return c.issuers[c.issuerIDs[0]]
}
