package ca

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// PKCS11Config names the PKCS#11 token that holds the CA keys. The zero
// value keeps them in files under the data directory.
type PKCS11Config struct {
	Module     string // path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string // CKA_LABEL of the token
	// PINFile holds the user PIN, so the PIN is never in the configuration
	// or on a command line. Trailing line breaks are ignored.
	PINFile string
}

// Enabled reports whether the CA keys live in a token.
func (p PKCS11Config) Enabled() bool { return p.Module != "" }

// keyStorePKCS11 is the manifest's name for keys held in a token.
const keyStorePKCS11 = "pkcs11"

// tokenKeyLabel is the CKA_LABEL (and CKA_ID) of a CA key in the token:
// the certificate ID, prefixed so Quarry's keys stand apart from others
// that share the token.
func tokenKeyLabel(id string) string { return "quarry-" + id }

// openToken loads the module and logs in to the token. Every failure is
// one sentence that names the setting to check, because it is what the
// operator reads when quarry will not start.
func openToken(cfg PKCS11Config) (*token, error) {
	if cfg.TokenLabel == "" || cfg.PINFile == "" {
		return nil, fmt.Errorf("ca.pkcs11 needs module, token-label and pin-file")
	}
	if _, err := os.Stat(cfg.Module); err != nil {
		return nil, fmt.Errorf("PKCS#11 module %s cannot be read (%v); install it or fix ca.pkcs11.module", cfg.Module, unwrapPath(err))
	}
	pin, err := readPIN(cfg.PINFile)
	if err != nil {
		return nil, err
	}
	return configureToken(cfg, pin)
}

// readPIN reads the PIN file, refusing one that others may read: a PIN
// anyone on the machine can read protects nothing.
func readPIN(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("PKCS#11 PIN file %s cannot be read (%v); fix ca.pkcs11.pin-file", path, unwrapPath(err))
	}
	if fi.Mode().Perm()&0o007 != 0 {
		return "", fmt.Errorf("PKCS#11 PIN file %s is readable by other users (mode %04o); chmod o-rwx it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("PKCS#11 PIN file %s cannot be read (%v); fix ca.pkcs11.pin-file", path, unwrapPath(err))
	}
	pin := strings.TrimRight(string(data), "\r\n")
	if pin == "" {
		return "", fmt.Errorf("PKCS#11 PIN file %s is empty; write the token's user PIN into it", path)
	}
	return pin, nil
}

// unwrapPath drops the path an *fs.PathError repeats, so the sentence
// names the file once.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// tokenKey is builder.key for keys in a token, with the same rules: a key
// is made only while the first creation is unfinished and its certificate
// does not exist yet.
func (b *builder) tokenKey(ctx context.Context, n node) (crypto.Signer, error) {
	key, err := b.token.find(n.id, n.key)
	if err != nil {
		return nil, err
	}
	label := tokenKeyLabel(n.id)
	if key != nil {
		b.keys[n.id] = key
		return key, nil
	}
	if _, err := os.Stat(b.certPath(n.id)); err == nil {
		return nil, fmt.Errorf("%s exists but its key %s is missing from token %q; restore the token from a backup, or move %s aside to create a new hierarchy",
			b.certPath(n.id), label, b.token.label, b.dir)
	}
	if b.complete {
		return nil, fmt.Errorf("the hierarchy in %s was complete but key %s is missing from token %q; check ca.pkcs11.token-label or restore the token from a backup",
			b.dir, label, b.token.label)
	}
	key, err = b.token.generate(n.id, n.key)
	if err != nil {
		return nil, err
	}
	b.log.LogAttrs(ctx, levelAudit, "CA key created", slog.String("id", n.id),
		slog.String("type", fmt.Sprintf("%s-%d", n.key.typ, n.key.bits)),
		slog.String("token", b.token.label), slog.String("label", label))
	b.keys[n.id] = key
	return key, nil
}

// checkTokenFree refuses to start a new hierarchy in a token that already
// holds keys under its labels: reusing another hierarchy's key would give
// two CAs one key, and deleting it is the operator's decision.
func checkTokenFree(t *token, nodes []node) error {
	for _, n := range nodes {
		if !n.ownsKey() {
			continue
		}
		held, err := t.holds(tokenKeyLabel(n.id))
		if err != nil {
			return fmt.Errorf("looking up key %s in token %q: %w", tokenKeyLabel(n.id), t.label, err)
		}
		if held {
			return fmt.Errorf("token %q already holds key %s, perhaps of another hierarchy; delete it from the token or use another token for a new hierarchy",
				t.label, tokenKeyLabel(n.id))
		}
	}
	return nil
}

// checkKeyStore compares where the manifest says the keys are with where
// the configuration looks for them, so a data directory is never served
// with keys from the wrong place.
func checkKeyStore(m *manifest, cfg Config) error {
	switch {
	case m.KeyStore == keyStorePKCS11 && !cfg.PKCS11.Enabled():
		return fmt.Errorf("the CA keys of %s are in PKCS#11 token %q but ca.pkcs11 is not configured; configure it", cfg.DataDir, m.TokenLabel)
	case m.KeyStore == "" && cfg.PKCS11.Enabled():
		return fmt.Errorf("the CA keys of %s are files, but ca.pkcs11 is configured; remove ca.pkcs11, or use a new data directory to create a hierarchy in the token", cfg.DataDir)
	case m.KeyStore == keyStorePKCS11 && m.TokenLabel != cfg.PKCS11.TokenLabel:
		return fmt.Errorf("the CA keys of %s are in PKCS#11 token %q but ca.pkcs11.token-label is %q; fix it", cfg.DataDir, m.TokenLabel, cfg.PKCS11.TokenLabel)
	case m.KeyStore != "" && m.KeyStore != keyStorePKCS11:
		return fmt.Errorf("%s records key store %q, which this Quarry does not know", manifestPath(filepath.Join(cfg.DataDir, "ca")), m.KeyStore)
	}
	return nil
}

// Close releases the PKCS#11 token, if the CA uses one. The CA must not
// sign after Close.
func (c *CA) Close() error {
	if c.token == nil {
		return nil
	}
	err := c.token.Close()
	c.token = nil
	return err
}
