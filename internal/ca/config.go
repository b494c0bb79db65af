package ca

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// Key types an issuer can have.
const (
	KeyECDSA = "ecdsa"
	KeyRSA   = "rsa"
)

// Config says where the hierarchy lives and how certificates are shaped.
// Zero values take the defaults documented on each field.
type Config struct {
	DataDir      string
	Organization string   // subject O of roots and intermediates; default "Quarry"
	Country      string   // subject C of roots and intermediates; optional
	KeyTypes     []string // KeyECDSA, KeyRSA; default both. Only read at creation.
	Names        Names    // common names of roots and intermediates

	RootValidity         time.Duration // default 20 years
	IntermediateValidity time.Duration // default 5 years
	// LeafValidity is the classic profile's lifetime when Profiles is
	// empty; default 90 days.
	LeafValidity time.Duration
	Backdate     time.Duration // default 1h

	// IssuerBaseURL is the plain-HTTP base of the AIA caIssuers and CRL
	// URLs, e.g. "http://127.0.0.1:4002"; default that.
	IssuerBaseURL string
	// CRLShards is how many CRL shards each issuer has; a leaf names the
	// shard (serial mod CRLShards) in its CRL distribution point. Default 16.
	CRLShards int
	// OCSP turns the OCSP responder's URL and signing on; off by default.
	OCSP OCSPConfig
	// PKCS11, when enabled, keeps the root and intermediate keys in a
	// PKCS#11 token instead of files; only certificates go to DataDir.
	PKCS11 PKCS11Config

	// Profiles are the certificate profiles, the default first; empty
	// means DefaultProfiles (see defaultProfiles).
	Profiles []Profile
	// LintAllowWarn, when not nil and Profiles is empty, replaces the
	// classic profile's warning allow-list; an empty map allows none.
	LintAllowWarn map[string]string
	// PrivateNames drops the lints that check names against the public DNS
	// and public IP ranges (for the private and dev policy modes, where
	// names like "host.test" or 10.0.0.1 are legitimate).
	PrivateNames bool

	Clock func() time.Time // default time.Now
	Rand  io.Reader        // default crypto/rand.Reader; used for serials
}

// Names are the subject common names of the hierarchy, fixed at creation.
type Names struct {
	RootECDSA, RootRSA, IntermediateECDSA, IntermediateRSA string
}

const (
	defaultRootValidity         = 20 * 365 * 24 * time.Hour
	defaultIntermediateValidity = 5 * 365 * 24 * time.Hour
	defaultBackdate             = time.Hour
	defaultIssuerBaseURL        = "http://127.0.0.1:4002"
	defaultCRLShards            = 16
)

// withDefaults returns cfg with every zero field set and checks the result.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.DataDir == "" {
		return cfg, core.Errorf(core.ErrServerInternal, "ca: DataDir is required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.RootValidity, defaultRootValidity)
	def(&cfg.IntermediateValidity, defaultIntermediateValidity)
	def(&cfg.Backdate, defaultBackdate)
	if cfg.Organization == "" {
		cfg.Organization = "Quarry"
	}
	if len(cfg.KeyTypes) == 0 {
		cfg.KeyTypes = []string{KeyECDSA, KeyRSA}
	}
	cfg.Names = cfg.Names.withDefaults()
	if cfg.IssuerBaseURL == "" {
		cfg.IssuerBaseURL = defaultIssuerBaseURL
	}
	if cfg.CRLShards == 0 {
		cfg.CRLShards = defaultCRLShards
	}
	cfg.OCSP = cfg.OCSP.withDefaults()
	cfg.defaultProfiles()
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return cfg, cfg.validate()
}

func (n Names) withDefaults() Names {
	set := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	set(&n.RootECDSA, "Quarry Root E1")
	set(&n.RootRSA, "Quarry Root R1")
	set(&n.IntermediateECDSA, "Quarry E1")
	set(&n.IntermediateRSA, "Quarry R1")
	return n
}

func (cfg Config) validate() error {
	bad := func(format string, args ...any) error {
		return core.Errorf(core.ErrServerInternal, "ca: "+format, args...)
	}
	if len(cfg.KeyTypes) == 0 {
		return bad("no key types")
	}
	for _, kt := range cfg.KeyTypes {
		if kt != KeyECDSA && kt != KeyRSA {
			return bad("unknown key type %q (want %q or %q)", kt, KeyECDSA, KeyRSA)
		}
	}
	if cfg.LeafValidity < time.Hour || cfg.Backdate < 0 || cfg.Backdate > 24*time.Hour {
		return bad("leaf validity must be at least 1h and backdate within 0..24h")
	}
	if cfg.IntermediateValidity <= cfg.LeafValidity || cfg.RootValidity < cfg.IntermediateValidity {
		return bad("validities must nest: root ≥ intermediate > leaf")
	}
	if err := cfg.validateProfiles(); err != nil {
		return bad("%s", err)
	}
	if cfg.CRLShards < 1 || cfg.CRLShards > 1024 {
		return bad("CRLShards must be within 1..1024, got %d", cfg.CRLShards)
	}
	u, err := url.Parse(cfg.IssuerBaseURL)
	if err != nil || u.Scheme != "http" || u.Hostname() == "" || u.RawQuery != "" || u.Fragment != "" {
		return bad("IssuerBaseURL must be a plain http:// URL, got %q", cfg.IssuerBaseURL)
	}
	return cfg.OCSP.validate()
}

// hasKeyType reports whether kt is among the configured key types.
func (cfg Config) hasKeyType(kt string) bool { return slices.Contains(cfg.KeyTypes, kt) }

// issuerURL is the AIA caIssuers URL of the certificate with the given ID.
func (cfg Config) issuerURL(id string) string {
	return fmt.Sprintf("%s/issuer/%s", trimSlash(cfg.IssuerBaseURL), id)
}

// crlURL is the URL of one CRL shard of an issuer.
func (cfg Config) crlURL(id string, shard int) string {
	return fmt.Sprintf("%s/crl/%s/%d.crl", trimSlash(cfg.IssuerBaseURL), id, shard)
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
