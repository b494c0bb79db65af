package ca

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// manifest records what a data directory's hierarchy is: written before the
// first key with Complete false, and rewritten with Complete true once every
// certificate exists. A later Load builds the same plan from it whatever the
// configuration says now, and knows whether a missing file is an interrupted
// creation (finish it) or a loss (refuse).
type manifest struct {
	Version      int      `json:"version"`
	Complete     bool     `json:"complete"`
	KeyTypes     []string `json:"key_types"`
	Organization string   `json:"organization"`
	Country      string   `json:"country,omitempty"`
	Names        Names    `json:"names"`
	IssuerIDs    []string `json:"issuer_ids"` // intermediates that sign leaves
	CertIDs      []string `json:"cert_ids"`   // every certificate of the hierarchy
	// KeyStore is "" for key files beside the certificates, or
	// "pkcs11" for keys in the token TokenLabel names.
	KeyStore   string `json:"key_store,omitempty"`
	TokenLabel string `json:"token_label,omitempty"`
}

const manifestName = "hierarchy.json"

func manifestPath(caDir string) string { return filepath.Join(caDir, manifestName) }

func newManifest(cfg Config) *manifest {
	m := &manifest{
		Version: 1, KeyTypes: cfg.KeyTypes, Organization: cfg.Organization,
		Country: cfg.Country, Names: cfg.Names,
	}
	if cfg.PKCS11.Enabled() {
		m.KeyStore, m.TokenLabel = keyStorePKCS11, cfg.PKCS11.TokenLabel
	}
	for _, n := range plan(cfg) {
		m.CertIDs = append(m.CertIDs, n.id)
		if !n.isRoot() && n.ownsKey() {
			m.IssuerIDs = append(m.IssuerIDs, n.id)
		}
	}
	return m
}

// readManifest returns nil, nil when there is none.
func readManifest(caDir string) (*manifest, error) {
	data, err := readOptional(manifestPath(caDir))
	if err != nil || data == nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", manifestPath(caDir), err)
	}
	if m.Version != 1 {
		return nil, fmt.Errorf("%s has version %d; this Quarry reads version 1", manifestPath(caDir), m.Version)
	}
	return &m, nil
}

func writeManifest(caDir string, m *manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	return writeFileAtomic(manifestPath(caDir), append(data, '\n'), 0o600, replace)
}

// apply makes cfg describe the recorded hierarchy.
func (m *manifest) apply(cfg Config) Config {
	cfg.KeyTypes = m.KeyTypes
	cfg.Organization = m.Organization
	cfg.Country = m.Country
	cfg.Names = m.Names
	return cfg
}
