package policy

import (
	"fmt"
	"math/big"
	"net/netip"
)

// Mode selects the bundle of identifier rules.
type Mode string

const (
	// ModePublic is a publicly trusted CA: ICANN names only, no reserved
	// names, no private addresses.
	ModePublic Mode = "public"
	// ModePrivate is an internal PKI: any well-formed name, single labels
	// and private addresses allowed.
	ModePrivate Mode = "private"
	// ModeDev is for one machine (localhost, .test): identifier rules as
	// in ModePrivate.
	ModeDev Mode = "dev"
)

// DefaultMaxNames is the identifier limit per order when Config leaves it 0.
const DefaultMaxNames = 100

// Config is the policy's configuration. The zero value is a public CA.
type Config struct {
	Mode         Mode     // default ModePublic
	MaxNames     int      // default DefaultMaxNames
	BlockedNames []string // exact names and suffixes: "example.com" blocks it and every name under it
	AllowIP      bool     // IP identifiers (RFC 8738) allowed at all
}

// Policy holds the checks. It is safe for concurrent use.
type Policy struct {
	mode     Mode
	maxNames int
	allowIP  bool
	blocked  blockList
	special  []netip.Prefix // special-purpose IP ranges
	weak     weakModulus
}

// New validates cfg, fills in defaults and precomputes the tables the
// checks need.
func New(cfg Config) (*Policy, error) {
	p := &Policy{mode: cfg.Mode, maxNames: cfg.MaxNames, allowIP: cfg.AllowIP}
	switch p.mode {
	case "":
		p.mode = ModePublic
	case ModePublic, ModePrivate, ModeDev:
	default:
		return nil, fmt.Errorf("policy mode %q is not one of public, private, dev", cfg.Mode)
	}
	switch {
	case p.maxNames == 0:
		p.maxNames = DefaultMaxNames
	case p.maxNames < 0:
		return nil, fmt.Errorf("policy max names %d is negative", cfg.MaxNames)
	}
	blocked, err := newBlockList(cfg.BlockedNames)
	if err != nil {
		return nil, err
	}
	p.blocked = blocked
	p.special = specialPurposeRanges()
	p.weak = newWeakModulus()
	return p, nil
}

// public says whether the strict, publicly trusted name rules apply.
func (p *Policy) public() bool { return p.mode == ModePublic }

// weakModulus holds the tables for the RSA modulus checks.
type weakModulus struct {
	smallPrimes *big.Int // product of the primes below smallPrimeLimit
	roca        rocaFingerprint
}

func newWeakModulus() weakModulus {
	return weakModulus{smallPrimes: primorial(smallPrimeLimit), roca: newROCAFingerprint()}
}
