package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
)

// Load opens the hierarchy in cfg.DataDir, creating it on first use, and
// finishes or repairs it as described on builder.
func Load(ctx context.Context, cfg Config, log *slog.Logger) (*CA, error) {
	configured := cfg.KeyTypes
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	caDir := filepath.Join(cfg.DataDir, "ca")
	m, err := readManifest(caDir)
	if err != nil {
		return nil, caErr(err)
	}
	if m == nil {
		return create(ctx, cfg, log)
	}
	if len(configured) > 0 && !sameSet(configured, m.KeyTypes) {
		log.WarnContext(ctx, "configured CA key types differ from the data directory's; using the recorded ones",
			slog.String("configured", strings.Join(configured, ",")), slog.String("recorded", strings.Join(m.KeyTypes, ",")))
	}
	return open(ctx, cfg, m, log, nil)
}

// Init creates a new hierarchy in cfg.DataDir and fails if one, or any part
// of one, is already there.
func Init(ctx context.Context, cfg Config, log *slog.Logger) (*CA, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := readManifest(filepath.Join(cfg.DataDir, "ca"))
	if err != nil {
		return nil, caErr(err)
	}
	if m != nil {
		return nil, core.Errorf(core.ErrConflict, "a CA already exists in %s", cfg.DataDir)
	}
	return create(ctx, cfg, log)
}

// create records a new hierarchy's plan and then builds it.
func create(ctx context.Context, cfg Config, log *slog.Logger) (*CA, error) {
	caDir := filepath.Join(cfg.DataDir, "ca")
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, caErr(fmt.Errorf("creating %s: %w", cfg.DataDir, err))
	}
	if err := ensureDir(caDir, 0o700); err != nil {
		return nil, caErr(err)
	}
	if stray, err := strayFiles(caDir); err != nil || len(stray) > 0 {
		if err == nil {
			err = fmt.Errorf("%s holds %s but no %s; refusing to mix them into a new hierarchy: move them aside",
				caDir, strings.Join(stray, ", "), manifestName)
		}
		return nil, caErr(err)
	}
	var tok *token
	if cfg.PKCS11.Enabled() {
		var err error
		if tok, err = openToken(cfg.PKCS11); err != nil {
			return nil, caErr(err)
		}
		if err := checkTokenFree(tok, plan(cfg)); err != nil {
			tok.Close()
			return nil, caErr(err)
		}
	}
	m := newManifest(cfg)
	if err := writeManifest(caDir, m); err != nil {
		closeToken(tok)
		return nil, caErr(err)
	}
	log.InfoContext(ctx, "creating the CA hierarchy", slog.String("dir", caDir),
		slog.String("issuers", strings.Join(m.IssuerIDs, ",")))
	return open(ctx, cfg, m, log, tok)
}

func closeToken(t *token) {
	if t != nil {
		t.Close()
	}
}

// open builds the hierarchy the manifest records and makes the CA. It
// takes ownership of tok (nil: open the configured token, if any) and
// closes it on failure.
func open(ctx context.Context, cfg Config, m *manifest, log *slog.Logger, tok *token) (c *CA, err error) {
	defer func() {
		if err != nil {
			closeToken(tok)
		}
	}()
	cfg = m.apply(cfg)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := checkKeyStore(m, cfg); err != nil {
		return nil, caErr(err)
	}
	if tok == nil && cfg.PKCS11.Enabled() {
		if tok, err = openToken(cfg.PKCS11); err != nil {
			return nil, caErr(err)
		}
	}
	caDir := filepath.Join(cfg.DataDir, "ca")
	if err := ensureDir(caDir, 0o700); err != nil {
		return nil, caErr(err)
	}
	b := &builder{cfg: cfg, log: log, dir: caDir, complete: m.Complete,
		keys: map[string]crypto.Signer{}, certs: map[string]*x509.Certificate{}, token: tok}
	nodes := plan(cfg)
	if err := b.build(ctx, nodes); err != nil {
		return nil, caErr(err)
	}
	c, err = newCA(cfg, b, nodes, log)
	if err != nil {
		return nil, caErr(err)
	}
	c.token = tok
	if err := c.writeRoots(); err != nil {
		return nil, caErr(err)
	}
	if !m.Complete {
		m.Complete = true
		if err := writeManifest(caDir, m); err != nil {
			return nil, caErr(err)
		}
		log.LogAttrs(ctx, levelAudit, "CA hierarchy created", slog.String("dir", caDir), slog.String("roots", c.RootsPEMPath()))
	}
	return c, nil
}

// writeRoots keeps roots.pem equal to the hierarchy's root certificates.
func (c *CA) writeRoots() error {
	var want []byte
	for _, r := range c.roots {
		want = append(want, certPEM(r)...)
	}
	have, err := readOptional(c.RootsPEMPath())
	if err != nil || bytes.Equal(have, want) {
		return err
	}
	return writeFileAtomic(c.RootsPEMPath(), want, 0o644, replace)
}

// strayFiles lists key and certificate files in dir.
func strayFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var stray []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext == ".key" || ext == ".pem" {
			stray = append(stray, e.Name())
		}
	}
	return stray, nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// caErr classifies a hierarchy failure as serverInternal; the message,
// which names files, is for logs and the operator, never for a client.
func caErr(err error) error {
	if _, ok := err.(*core.Error); ok {
		return err
	}
	return internalError{err}
}

type internalError struct{ err error }

func (e internalError) Error() string   { return "ca: " + e.err.Error() }
func (e internalError) Unwrap() []error { return []error{e.err, core.ErrServerInternal} }
