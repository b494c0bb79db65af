package solver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Webroot answers http-01 by writing the token file under
// <root>/.well-known/acme-challenge/ of an existing web server.
type Webroot struct {
	// Root returns the document root serving domain.
	Root func(domain string) string
}

var _ Solver = (*Webroot)(nil)

// NewWebroot returns a Webroot serving every domain from one root.
func NewWebroot(root string) *Webroot {
	return &Webroot{Root: func(string) string { return root }}
}

func (w *Webroot) Type() acme.ChallengeType { return acme.ChallengeHTTP01 }

func (w *Webroot) path(ch Challenge) (string, error) {
	if !tokenOK(ch.Token) {
		return "", core.Errorf(core.ErrMalformed, "challenge token %q is not base64url", ch.Token)
	}
	return filepath.Join(w.Root(ch.Domain), ".well-known", "acme-challenge", ch.Token), nil
}

// Present writes the key authorization where the web server will serve it.
func (w *Webroot) Present(ctx context.Context, ch Challenge) error {
	p, err := w.path(ch)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return notWritable(w.Root(ch.Domain), err)
	}
	if err := os.WriteFile(p, []byte(ch.KeyAuth), 0o644); err != nil {
		return notWritable(w.Root(ch.Domain), err)
	}
	return nil
}

// notWritable says which webroot failed and what to check; the cause
// (no such directory, permission denied) stays last in the chain.
func notWritable(root string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("webroot %s is not writable (%w); check that it is the web server's document root and that mason may write there", root, err)
}

// CleanUp removes the token file; the directories are left for next time.
func (w *Webroot) CleanUp(ctx context.Context, ch Challenge) error {
	p, err := w.path(ch)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", p, err)
	}
	return nil
}

// tokenOK accepts only base64url, so a token can never name another path.
func tokenOK(t string) bool {
	if t == "" || len(t) > 256 {
		return false
	}
	for _, c := range t {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
