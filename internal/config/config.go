package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Preset names a bundle of policy defaults.
type Preset string

const (
	// PresetPublic is a public CA: strict names, no private addresses.
	PresetPublic Preset = "public"
	// PresetPrivate is an internal PKI: internal names and private addresses.
	PresetPrivate Preset = "private"
	// PresetDev is for trying Quarry on one machine: .localhost and .test
	// names, loopback validation.
	PresetDev Preset = "dev"
)

// Duration is a time.Duration that reads "90d", "2160h" or "30m" from YAML.
type Duration time.Duration

// UnmarshalYAML accepts Go duration strings plus a "d" (day) suffix.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration in Go's notation.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ParseDuration parses a Go duration or a whole number of days ("90d").
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || fmt.Sprint(n) != days {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return v, nil
}

// Config is the whole configuration file.
type Config struct {
	DataDir    string `yaml:"data-dir"`
	Storage    string `yaml:"storage"`     // DSN; empty: sqlite:<data-dir>/quarry.db
	Listen     string `yaml:"listen"`      // ACME over HTTPS
	HTTPListen string `yaml:"http-listen"` // issuer certificates and CRLs over HTTP
	// PublicURL is the base URL clients use (a load balancer's); empty means
	// each request's own host.
	PublicURL string `yaml:"public-url"`
	// IssuerURL is the base of AIA caIssuers URLs; empty derives it from
	// http-listen.
	IssuerURL string   `yaml:"issuer-url"`
	Preset    Preset   `yaml:"preset"`
	ACME      ACME     `yaml:"acme"`
	VA        VA       `yaml:"va"`
	CA        CA       `yaml:"ca"`
	Policy    Policy   `yaml:"policy"`
	Orders    Orders   `yaml:"orders"`
	Profiles  Profiles `yaml:"profiles"`
	CRL       CRL      `yaml:"crl"`
	OCSP      OCSP     `yaml:"ocsp"`
	Log       Log      `yaml:"log"`
	Shutdown  Duration `yaml:"shutdown-timeout"`

	RateLimits RateLimits `yaml:"rate-limits"` // ratelimit.go
	Cluster    Cluster    `yaml:"cluster"`

	Perspectives Perspectives `yaml:"perspectives"` // perspectives.go
}

// ACME is what the directory advertises and how accounts are admitted.
type ACME struct {
	TermsOfService string   `yaml:"terms-of-service"`
	Website        string   `yaml:"website"`
	CAAIdentities  []string `yaml:"caa-identities"`
	// EABRequired refuses accounts without external account binding.
	EABRequired bool `yaml:"eab-required"`
	// EABKeys maps a key ID to its base64url HMAC key.
	EABKeys map[string]string `yaml:"eab-keys"`
}

// VA configures validation.
type VA struct {
	HTTPPort              int      `yaml:"http-port"`
	TLSPort               int      `yaml:"tls-port"`
	DNSResolver           string   `yaml:"dns-resolver"`
	AllowPrivateAddresses *bool    `yaml:"allow-private-addresses"`
	Timeout               Duration `yaml:"timeout"`
}

// CA configures the hierarchy and issued certificates.
type CA struct {
	Organization         string   `yaml:"organization"`
	KeyTypes             []string `yaml:"key-types"`
	RootValidity         Duration `yaml:"root-validity"`
	IntermediateValidity Duration `yaml:"intermediate-validity"`
	LeafValidity         Duration `yaml:"leaf-validity"`
	Backdate             Duration `yaml:"backdate"`
	PKCS11               *PKCS11  `yaml:"pkcs11"` // see keys.go
}

// Policy configures identifier policy on top of the preset.
type Policy struct {
	BlockedNames []string `yaml:"blocked-names"`
	MaxNames     int      `yaml:"max-names"`
	// CheckCAA turns CAA checking on or off; unset means on, except in the
	// private preset.
	CheckCAA *bool `yaml:"check-caa"`
}

// Orders configures object lifetimes.
type Orders struct {
	Lifetime             Duration `yaml:"lifetime"`
	PendingAuthzLifetime Duration `yaml:"pending-authz-lifetime"`
	ValidAuthzLifetime   Duration `yaml:"valid-authz-lifetime"`
}

// CRL configures certificate revocation lists.
type CRL struct {
	// Shards is how many CRL shards each issuer has; a certificate's shard
	// is fixed at issuance.
	Shards int `yaml:"shards"`
	// Period is how often every CRL is regenerated.
	Period Duration `yaml:"period"`
	// NextUpdate is how long each CRL is valid; at most 10 days (BRs).
	NextUpdate Duration `yaml:"next-update"`
	// AfterRevocationDelay bounds how long a revocation waits to appear in
	// its CRL; revocations within it share one regeneration.
	AfterRevocationDelay Duration `yaml:"after-revocation-delay"`
	// CacheMaxAge caps the Cache-Control max-age CRLs are served with.
	CacheMaxAge Duration `yaml:"cache-max-age"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Default returns the configuration used when no file is given.
func Default() Config {
	return Config{
		DataDir:    "quarry-data",
		Listen:     "127.0.0.1:14000",
		HTTPListen: "127.0.0.1:14080",
		Preset:     PresetPublic,
		VA: VA{
			HTTPPort: 80,
			TLSPort:  443,
			Timeout:  Duration(10 * time.Second),
		},
		CA: CA{
			Organization:         "Quarry",
			KeyTypes:             []string{"ecdsa", "rsa"},
			RootValidity:         Duration(20 * 365 * 24 * time.Hour),
			IntermediateValidity: Duration(5 * 365 * 24 * time.Hour),
			LeafValidity:         Duration(90 * 24 * time.Hour),
			Backdate:             Duration(time.Hour),
		},
		Policy:   Policy{MaxNames: 100},
		Profiles: Profiles{Default: ProfileClassic},
		Orders: Orders{
			Lifetime:             Duration(7 * 24 * time.Hour),
			PendingAuthzLifetime: Duration(7 * 24 * time.Hour),
			ValidAuthzLifetime:   Duration(30 * 24 * time.Hour),
		},
		CRL: CRL{
			Shards:               16,
			Period:               Duration(6 * time.Hour),
			NextUpdate:           Duration(7 * 24 * time.Hour),
			AfterRevocationDelay: Duration(time.Minute),
			CacheMaxAge:          Duration(time.Hour),
		},
		OCSP:     defaultOCSP(),
		Log:      Log{Level: "info", Format: "text"},
		Shutdown: Duration(30 * time.Second),
	}
}

// Load reads a YAML file over the defaults. Unknown keys are errors.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("opening config: %w", err)
	}
	defer f.Close()
	return Decode(f)
}

// Decode reads YAML from r over the defaults. Unknown keys are errors.
func Decode(r io.Reader) (Config, error) {
	cfg := Default()
	data, err := io.ReadAll(r)
	if err != nil {
		return cfg, fmt.Errorf("reading config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// AllowPrivate says whether the VA may contact private addresses: the
// explicit setting if any, otherwise what the preset implies.
func (c *Config) AllowPrivate() bool {
	if c.VA.AllowPrivateAddresses != nil {
		return *c.VA.AllowPrivateAddresses
	}
	return c.Preset == PresetDev || c.Preset == PresetPrivate
}

// EABKeyBytes decodes the configured EAB MAC keys.
func (c *Config) EABKeyBytes() (map[string][]byte, error) {
	out := make(map[string][]byte, len(c.ACME.EABKeys))
	for kid, k := range c.ACME.EABKeys {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k, "="))
		// go-jose refuses HMAC keys shorter than the hash: 32 bytes for HS256.
		if err != nil || len(b) < 32 {
			return nil, fmt.Errorf("acme.eab-keys.%s: want a base64url key of at least 32 bytes", kid)
		}
		out[kid] = b
	}
	return out, nil
}

// Validate checks the whole configuration once, at start.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.DataDir == "" {
		bad("data-dir must not be empty")
	}
	for name, addr := range map[string]string{"listen": c.Listen, "http-listen": c.HTTPListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad("%s: %q is not host:port", name, addr)
		}
	}
	for name, u := range map[string]string{"public-url": c.PublicURL, "issuer-url": c.IssuerURL, "acme.terms-of-service": c.ACME.TermsOfService, "acme.website": c.ACME.Website} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			bad("%s: %q is not an http(s) URL", name, u)
		}
	}
	switch c.Preset {
	case PresetPublic, PresetPrivate, PresetDev:
	default:
		bad("preset: %q is not one of public, private, dev", c.Preset)
	}
	for name, p := range map[string]int{"va.http-port": c.VA.HTTPPort, "va.tls-port": c.VA.TLSPort} {
		if p < 1 || p > 65535 {
			bad("%s: %d is not a port", name, p)
		}
	}
	if c.VA.DNSResolver != "" {
		if _, _, err := net.SplitHostPort(c.VA.DNSResolver); err != nil {
			bad("va.dns-resolver: %q is not host:port", c.VA.DNSResolver)
		}
	}
	if len(c.CA.KeyTypes) == 0 {
		bad("ca.key-types: at least one of ecdsa, rsa")
	}
	for _, k := range c.CA.KeyTypes {
		if k != "ecdsa" && k != "rsa" {
			bad("ca.key-types: %q is not ecdsa or rsa", k)
		}
	}
	if c.CA.LeafValidity <= 0 || time.Duration(c.CA.LeafValidity) > 398*24*time.Hour {
		bad("ca.leaf-validity: must be between 0 and 398d")
	}
	if c.CA.Backdate < 0 || time.Duration(c.CA.Backdate) > 24*time.Hour {
		bad("ca.backdate: must be between 0 and 24h")
	}
	if c.Policy.MaxNames < 1 || c.Policy.MaxNames > 100 {
		bad("policy.max-names: must be between 1 and 100")
	}
	for name, d := range map[string]Duration{"orders.lifetime": c.Orders.Lifetime, "orders.pending-authz-lifetime": c.Orders.PendingAuthzLifetime, "orders.valid-authz-lifetime": c.Orders.ValidAuthzLifetime, "va.timeout": c.VA.Timeout} {
		if d <= 0 {
			bad("%s: must be positive", name)
		}
	}
	errs = append(errs, c.CRL.validate()...)
	errs = append(errs, c.RateLimits.validate()...)
	errs = append(errs, c.OCSP.validate()...)
	errs = append(errs, c.CA.PKCS11.validate()...)
	errs = append(errs, c.Perspectives.validate()...)
	if err := c.validateStorage(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Profiles.validate()...)
	errs = append(errs, c.validateCluster()...)
	if _, err := c.EABKeyBytes(); err != nil {
		errs = append(errs, err)
	}
	if c.ACME.EABRequired && len(c.ACME.EABKeys) == 0 {
		bad("acme.eab-required: no acme.eab-keys are configured")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level: %q is not debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format: %q is not text or json", c.Log.Format)
	}
	return errors.Join(errs...)
}

func (c CRL) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Shards < 1 || c.Shards > 1024 {
		bad("crl.shards: must be between 1 and 1024")
	}
	if c.Period <= 0 || c.CacheMaxAge <= 0 {
		bad("crl.period and crl.cache-max-age: must be positive")
	}
	if c.NextUpdate <= c.Period || time.Duration(c.NextUpdate) > 10*24*time.Hour {
		bad("crl.next-update: must be longer than crl.period and at most 10d")
	}
	if c.AfterRevocationDelay < 0 || c.AfterRevocationDelay > c.Period {
		bad("crl.after-revocation-delay: must be between 0 and crl.period")
	}
	return errs
}
