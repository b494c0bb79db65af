package loadgen

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// KeyType is the kind of key made for each certificate.
type KeyType string

const (
	KeyECDSA KeyType = "ecdsa" // P-256
	KeyRSA   KeyType = "rsa"   // 2048 bits
)

// Config describes one load run. Zero values of the optional fields take
// the defaults documented on each.
type Config struct {
	DirectoryURL string
	// RootCAs is the only trust for the server's TLS certificate; nil means
	// the system roots. InsecureSkipVerify trusts any certificate (the
	// target is loopback anyway).
	RootCAs            *x509.CertPool
	InsecureSkipVerify bool

	Concurrency int           // simulated subscribers; default 1
	Flows       int           // flows to start in all; 0 means until Duration ends
	Duration    time.Duration // wall-clock bound; 0 means until Flows are done
	// Rate caps flow starts per second across all subscribers; 0 means as
	// fast as the subscribers finish flows. Concurrency must be high
	// enough to keep up (rate × flow latency).
	Rate float64

	MaxNames     int    // each order has 1..MaxNames names; default 1
	BaseDomain   string // names are <random>.<BaseDomain>; default "load.test"
	Challenge    acme.ChallengeType
	KeyType      KeyType
	ReuseAccount bool // one account per subscriber instead of one per flow
	Revoke       bool // revoke each certificate after download
}

// withDefaults returns c with defaults filled in.
func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.MaxNames == 0 {
		c.MaxNames = 1
	}
	if c.BaseDomain == "" {
		c.BaseDomain = "load.test"
	}
	if c.Challenge == "" {
		c.Challenge = acme.ChallengeHTTP01
	}
	if c.KeyType == "" {
		c.KeyType = KeyECDSA
	}
	c.BaseDomain = strings.TrimSuffix(strings.ToLower(c.BaseDomain), ".")
	return c
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.DirectoryURL == "" {
		errs = append(errs, errors.New("a directory URL is required"))
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d is negative", c.Concurrency))
	}
	if c.Flows < 0 || c.Duration < 0 {
		errs = append(errs, errors.New("flows and duration must not be negative"))
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate %g is negative", c.Rate))
	}
	if c.Flows == 0 && c.Duration == 0 {
		errs = append(errs, errors.New("set flows, duration or both: a run must end by itself"))
	}
	if c.MaxNames < 0 || c.MaxNames > 100 {
		errs = append(errs, fmt.Errorf("names %d is outside 1..100", c.MaxNames))
	}
	switch c.Challenge {
	case "", acme.ChallengeHTTP01, acme.ChallengeTLSALPN01, acme.ChallengeDNS01:
	default:
		errs = append(errs, fmt.Errorf("unknown challenge type %q (http-01, tls-alpn-01 or dns-01)", c.Challenge))
	}
	switch c.KeyType {
	case "", KeyECDSA, KeyRSA:
	default:
		errs = append(errs, fmt.Errorf("unknown key type %q (ecdsa or rsa)", c.KeyType))
	}
	if d := strings.TrimSuffix(c.BaseDomain, "."); d != "" && (net.ParseIP(d) != nil || !strings.Contains(d, ".")) {
		errs = append(errs, fmt.Errorf("base domain %q must be a DNS name with at least two labels", c.BaseDomain))
	}
	if err := errors.Join(errs...); err != nil {
		return core.Errorf(core.ErrMalformed, "load configuration: %v", err)
	}
	return nil
}
