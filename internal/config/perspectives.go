package config

import (
	"fmt"
	"net/url"
)

// Perspectives configures multi-perspective issuance corroboration
// (docs/validation.md): remote `quarry va` perspectives that repeat every
// validation and CAA check. Off (no remotes) by default: the local VA alone
// decides.
type Perspectives struct {
	Remotes []RemotePerspective `yaml:"remotes"`
	// ClientCert and ClientKey are the primary's client certificate for
	// every remote, and ServerCA the CA their server certificates chain to;
	// a remote may name its own.
	ClientCert string `yaml:"client-cert"`
	ClientKey  string `yaml:"client-key"`
	ServerCA   string `yaml:"server-ca"`
	// Timeout bounds the wait for remote answers; a remote silent by then
	// counts as failed. 0 means va.timeout plus 2s.
	Timeout Duration `yaml:"timeout"`
	// MaxRemoteFailures, when set, allows fewer remote failures than the
	// Baseline Requirements do (1 of 2–5 remotes, 2 of 6 or more).
	MaxRemoteFailures *int `yaml:"max-remote-failures"`
}

// RemotePerspective is one `quarry va`.
type RemotePerspective struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"` // https://host:port
	// RIR is the regional Internet registry whose service region the
	// perspective is in: ARIN, RIPE, APNIC, LACNIC or AFRINIC. Set on every
	// remote or none; when set, corroborating remotes must span two.
	RIR        string `yaml:"rir"`
	ClientCert string `yaml:"client-cert"`
	ClientKey  string `yaml:"client-key"`
	ServerCA   string `yaml:"server-ca"`
}

// Enabled says whether any remote perspective is configured.
func (p Perspectives) Enabled() bool { return len(p.Remotes) > 0 }

// Auth returns the client certificate, key and server CA files for r,
// falling back to the section's.
func (p Perspectives) Auth(r RemotePerspective) (cert, key, ca string) {
	cert, key, ca = r.ClientCert, r.ClientKey, r.ServerCA
	if cert == "" && key == "" {
		cert, key = p.ClientCert, p.ClientKey
	}
	if ca == "" {
		ca = p.ServerCA
	}
	return cert, key, ca
}

// brAllowedFailures is the Baseline Requirements' (3.2.2.9) allowance for n
// remotes; varemote.AllowedFailures is the rule the server applies.
func brAllowedFailures(n int) int {
	switch {
	case n <= 1:
		return 0
	case n <= 5:
		return 1
	}
	return 2
}

func (p Perspectives) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.Timeout < 0 {
		bad("perspectives.timeout: must not be negative")
	}
	seen := map[string]bool{}
	for i, r := range p.Remotes {
		where := fmt.Sprintf("perspectives.remotes[%d]", i)
		if r.Name == "" {
			bad("%s.name: must not be empty", where)
		} else if seen[r.Name] {
			bad("%s.name: %q appears twice", where, r.Name)
		}
		seen[r.Name] = true
		if u, err := url.Parse(r.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("%s.url: %q is not an https URL", where, r.URL)
		}
		cert, key, ca := p.Auth(r)
		if cert == "" || key == "" || ca == "" {
			bad("%s: needs client-cert, client-key and server-ca (its own or the section's)", where)
		}
	}
	errs = append(errs, p.validateRIRs()...)
	if m := p.MaxRemoteFailures; m != nil {
		if allowed := brAllowedFailures(len(p.Remotes)); *m < 0 || *m > allowed {
			bad("perspectives.max-remote-failures: must be between 0 and %d for %d remotes (the Baseline Requirements' allowance)", allowed, len(p.Remotes))
		}
	}
	return errs
}

func (p Perspectives) validateRIRs() []error {
	var errs []error
	named, distinct := 0, map[string]bool{}
	for i, r := range p.Remotes {
		if r.RIR == "" {
			continue
		}
		switch r.RIR {
		case "ARIN", "RIPE", "APNIC", "LACNIC", "AFRINIC":
		default:
			errs = append(errs, fmt.Errorf("perspectives.remotes[%d].rir: %q is not ARIN, RIPE, APNIC, LACNIC or AFRINIC", i, r.RIR))
		}
		named++
		distinct[r.RIR] = true
	}
	switch {
	case named == 0:
	case named != len(p.Remotes):
		errs = append(errs, fmt.Errorf("perspectives.remotes: rir must be set on every remote or on none"))
	case len(distinct) < 2:
		errs = append(errs, fmt.Errorf("perspectives.remotes: the remotes' rir must name at least two registries"))
	}
	return errs
}
