package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/quarry-ca/quarry/client/renew"
	"github.com/quarry-ca/quarry/internal/core"
)

// confVersion is the renewal file format; a file of another version is
// refused rather than half understood.
const confVersion = 1

// Authenticators a renewal config may name.
const (
	AuthWebroot    = "webroot"
	AuthStandalone = "standalone"
	AuthTLSALPN    = "tls-alpn"
	AuthRFC2136    = "dns-rfc2136"
	AuthDNSHook    = "dns-hook"
	AuthManual     = "manual"
)

// Renewal is renewal/<name>.conf: every parameter needed to renew the
// lineage unattended. Unknown keys are an error when reading.
type Renewal struct {
	Version       int      `yaml:"version"`
	Server        string   `yaml:"server"`
	Account       string   `yaml:"account"`
	Domains       []string `yaml:"domains"`
	Authenticator string   `yaml:"authenticator"`
	Webroot       string   `yaml:"webroot,omitempty"`
	// WebrootMap gives names their own document roots (certbot's
	// -w A -d x -w B -d y); names not in it use Webroot.
	WebrootMap  map[string]string `yaml:"webroot_map,omitempty"`
	HTTPPort    int               `yaml:"http_port,omitempty"`
	TLSPort     int               `yaml:"tls_port,omitempty"`
	DNSServer   string            `yaml:"dns_server,omitempty"`
	TSIGKeyName string            `yaml:"tsig_key_name,omitempty"`
	TSIGSecret  string            `yaml:"tsig_secret,omitempty"`
	DNSHook     string            `yaml:"dns_hook,omitempty"`
	DNSResolver string            `yaml:"dns_resolver,omitempty"`
	Alias       string            `yaml:"challenge_alias,omitempty"`
	KeyType     string            `yaml:"key_type"`
	RSAKeySize  int               `yaml:"rsa_key_size,omitempty"`
	Curve       string            `yaml:"elliptic_curve,omitempty"`
	CABundle    string            `yaml:"ca_bundle,omitempty"`
	DeployHook  string            `yaml:"deploy_hook,omitempty"`
	// ManualChallenge (http-01 or dns-01) and the hooks of --manual.
	ManualChallenge   string `yaml:"manual_challenge,omitempty"`
	ManualAuthHook    string `yaml:"manual_auth_hook,omitempty"`
	ManualCleanupHook string `yaml:"manual_cleanup_hook,omitempty"`
	// ReuseKey keeps the lineage's private key across renewals.
	ReuseKey bool `yaml:"reuse_key,omitempty"`
	// PreferredChain is the issuer CN of the chain's top certificate to
	// pick among the server's alternate chains.
	PreferredChain string `yaml:"preferred_chain,omitempty"`
	// Profile is the certificate profile asked for in each order.
	Profile string `yaml:"profile,omitempty"`
}

// Validate checks that r names everything a renewal needs.
func (r Renewal) Validate() error {
	bad := func(f string, a ...any) error { return core.Errorf(core.ErrMalformed, f, a...) }
	switch {
	case r.Version != confVersion:
		return bad("renewal config version %d, want %d", r.Version, confVersion)
	case r.Server == "" || r.Account == "":
		return bad("renewal config needs server and account")
	case len(r.Domains) == 0:
		return bad("renewal config has no domains")
	case r.KeyType != "ecdsa" && r.KeyType != "rsa":
		return bad("renewal config key_type %q: want ecdsa or rsa", r.KeyType)
	}
	switch r.Authenticator {
	case AuthWebroot:
		for _, d := range r.Domains {
			if r.WebrootMap[d] == "" && r.Webroot == "" {
				return bad("webroot authenticator has no webroot for %s", d)
			}
		}
	case AuthManual:
		if r.ManualChallenge != "http-01" && r.ManualChallenge != "dns-01" {
			return bad("manual authenticator needs manual_challenge http-01 or dns-01")
		}
	case AuthStandalone, AuthTLSALPN:
	case AuthRFC2136:
		if r.DNSServer == "" {
			return bad("dns-rfc2136 authenticator needs dns_server")
		}
	case AuthDNSHook:
		if r.DNSHook == "" {
			return bad("dns-hook authenticator needs dns_hook")
		}
	default:
		return bad("unknown authenticator %q", r.Authenticator)
	}
	return nil
}

func (s *Store) confPath(name string) string  { return s.path("renewal", name+".conf") }
func (s *Store) statePath(name string) string { return s.path("renewal", name+".state") }

// SaveRenewal writes renewal/<name>.conf (0600: it may hold a TSIG secret).
func (s *Store) SaveRenewal(name string, r Renewal) error {
	if err := checkName("certificate name", name); err != nil {
		return err
	}
	r.Version = confVersion
	if err := r.Validate(); err != nil {
		return err
	}
	data, err := yaml.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding renewal config: %w", err)
	}
	return writeFile(s.confPath(name), data, 0o600)
}

// LoadRenewal reads and validates renewal/<name>.conf.
func (s *Store) LoadRenewal(name string) (Renewal, error) {
	if err := checkName("certificate name", name); err != nil {
		return Renewal{}, err
	}
	var r Renewal
	if err := readYAML(s.confPath(name), &r); err != nil {
		return Renewal{}, err
	}
	if err := r.Validate(); err != nil {
		return Renewal{}, fmt.Errorf("%s: %w", s.confPath(name), err)
	}
	return r, nil
}

// Names lists the lineages that have a renewal config, sorted.
func (s *Store) Names() ([]string, error) {
	entries, err := os.ReadDir(s.path("renewal"))
	if err != nil {
		return nil, fmt.Errorf("listing renewal configs: %w", err)
	}
	var out []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".conf"); ok && !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// SaveState persists a lineage's renewal state.
func (s *Store) SaveState(name string, st renew.State) error {
	if err := checkName("certificate name", name); err != nil {
		return err
	}
	data, err := yaml.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding renewal state: %w", err)
	}
	return writeFile(s.statePath(name), data, 0o644)
}

// LoadState reads a lineage's renewal state; none yet is the zero State.
func (s *Store) LoadState(name string) (renew.State, error) {
	if err := checkName("certificate name", name); err != nil {
		return renew.State{}, err
	}
	var st renew.State
	err := readYAML(s.statePath(name), &st)
	if errors.Is(err, core.ErrNotFound) {
		return renew.State{}, nil
	}
	return st, err
}

func readYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return core.Errorf(core.ErrNotFound, "%s does not exist", path)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return core.Errorf(core.ErrMalformed, "%s: %v", path, err)
	}
	return nil
}
