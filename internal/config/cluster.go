package config

import (
	"fmt"
	"net/netip"
	"time"
)

// Cluster configures several quarry serve instances sharing one database
// behind a load balancer.
type Cluster struct {
	// Enabled says other instances share this database: background jobs
	// (CRL rounds, nonce sweeps, resuming abandoned work) run on the one
	// instance holding the lease, and nonces default to shared.
	Enabled bool `yaml:"enabled"`
	// InstanceID names this instance in logs, the lease row and the
	// X-Quarry-Instance header; empty means host name and listen port.
	InstanceID string `yaml:"instance-id"`
	// InstanceHeader adds X-Quarry-Instance to every response, to see
	// where a load balancer sent a request.
	InstanceHeader bool `yaml:"instance-header"`
	// Nonces is memory (each instance redeems only its own nonces: one
	// instance, or a balancer that routes by nonce) or shared (any
	// instance redeems any nonce once, through the database). Empty means
	// shared when Enabled, memory otherwise.
	Nonces string `yaml:"nonces"`
	// NonceLifetime is how long a shared nonce stays redeemable; 0 means
	// 30m.
	NonceLifetime Duration `yaml:"nonce-lifetime"`
	// Lease is how long the background-jobs lease lasts unrenewed: the
	// longest a dead leader's jobs wait for another instance; 0 means 15s.
	// It is renewed every third of it.
	Lease Duration `yaml:"lease"`
	// ProxyProtocolFrom lists the load balancers (addresses or CIDRs) whose
	// connections must start with a PROXY protocol v1 or v2 header naming
	// the client; a header from anywhere else is refused. Empty: no PROXY
	// protocol.
	ProxyProtocolFrom []string `yaml:"proxy-protocol-from"`
}

// Nonce modes.
const (
	NoncesMemory = "memory"
	NoncesShared = "shared"
)

// NonceMode is the nonce mode in force.
func (c Cluster) NonceMode() string {
	if c.Nonces != "" {
		return c.Nonces
	}
	if c.Enabled {
		return NoncesShared
	}
	return NoncesMemory
}

// LeaseTTL is the lease time in force.
func (c Cluster) LeaseTTL() time.Duration {
	if c.Lease == 0 {
		return 15 * time.Second
	}
	return time.Duration(c.Lease)
}

// validateCluster checks the cluster section and what several instances
// need of the rest.
func (c *Config) validateCluster() []error {
	errs := c.Cluster.validate()
	// Certificates carry the issuer URL (AIA, CRL distribution points):
	// derived from one instance's http-listen, it would name that instance
	// for the certificates' whole life.
	if c.Cluster.Enabled && c.PublicURL != "" && c.IssuerURL == "" {
		errs = append(errs, fmt.Errorf("issuer-url: must be set when cluster.enabled and public-url are, to the load balancer's plain-HTTP URL, or certificates name one instance's address"))
	}
	return errs
}

func (c Cluster) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Nonces {
	case "", NoncesMemory, NoncesShared:
	default:
		bad("cluster.nonces: %q is not memory or shared", c.Nonces)
	}
	if c.NonceLifetime < 0 || time.Duration(c.NonceLifetime) > 24*time.Hour {
		bad("cluster.nonce-lifetime: must be between 0 (default 30m) and 24h")
	}
	if l := time.Duration(c.Lease); l != 0 && (l < 3*time.Second || l > 10*time.Minute) {
		bad("cluster.lease: must be between 3s and 10m")
	}
	for _, p := range c.ProxyProtocolFrom {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				bad("cluster.proxy-protocol-from: %q is not an address or CIDR", p)
			}
		}
	}
	if len(c.InstanceID) > 64 {
		bad("cluster.instance-id: at most 64 characters")
	}
	for _, r := range c.InstanceID {
		if r < 0x21 || r > 0x7e {
			bad("cluster.instance-id: printable ASCII without spaces only (it is sent in a header)")
			break
		}
	}
	return errs
}
