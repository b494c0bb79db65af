package store

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
)

// Store is one config directory. Its methods do not lock: callers hold
// Lock around anything that writes.
type Store struct {
	dir string
	// fail, when set by tests, is called before each step of a lineage
	// update; an error from it simulates a crash at that point.
	fail func(step string) error
}

// Open creates the directory layout under dir (mode 0700) and returns it.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, core.Errorf(core.ErrMalformed, "config directory is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("config directory %s: %w", dir, err)
	}
	s := &Store{dir: abs}
	if err := mkdirs(abs, s.path("accounts"), s.path("archive"), s.path("live"), s.path("renewal")); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir is the config directory's absolute path.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(parts ...string) string {
	return filepath.Join(append([]string{s.dir}, parts...)...)
}

func (s *Store) step(name string) error {
	if s.fail == nil {
		return nil
	}
	return s.fail(name)
}

// validName keeps lineage and account names to one safe path element.
var validName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$`)

func checkName(what, name string) error {
	if !validName.MatchString(name) || strings.Contains(name, "..") {
		return core.Errorf(core.ErrMalformed, "%s %q: use letters, digits, '.', '_' and '-'", what, name)
	}
	return nil
}

// ServerDir names the accounts/ subdirectory for an ACME directory URL: its
// host, with ":port" written "_port".
func ServerDir(directoryURL string) (string, error) {
	u, err := url.Parse(directoryURL)
	if err != nil || u.Host == "" {
		return "", core.Errorf(core.ErrMalformed, "server URL %q has no host", directoryURL)
	}
	host := strings.NewReplacer(":", "_", "[", "", "]", "").Replace(u.Host)
	if err := checkName("server host", host); err != nil {
		return "", err
	}
	return host, nil
}
