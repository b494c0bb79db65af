package server

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/ra"
	"github.com/quarry-ca/quarry/internal/va"
	"github.com/quarry-ca/quarry/internal/varemote"
)

var _ ra.Validator = (*varemote.Multi)(nil)

// corroborated returns the validator the RA uses: the local VA alone when
// no remote perspectives are configured, otherwise a varemote.Multi that
// also asks each remote and applies the quorum (docs/validation.md).
func corroborated(cfg config.Config, local *va.VA, log *slog.Logger) (ra.Validator, error) {
	p := cfg.Perspectives
	if !p.Enabled() {
		return local, nil
	}
	remotes := make([]varemote.Remote, 0, len(p.Remotes))
	names := make([]string, 0, len(p.Remotes))
	for _, r := range p.Remotes {
		cert, key, ca := p.Auth(r)
		tlsCfg, err := varemote.ClientTLS(cert, key, ca)
		if err != nil {
			return nil, fmt.Errorf("perspective %s: %w", r.Name, err)
		}
		c, err := varemote.NewClient(varemote.ClientConfig{Name: r.Name, URL: r.URL, RIR: r.RIR, TLS: tlsCfg, CAAIdentities: cfg.ACME.CAAIdentities})
		if err != nil {
			return nil, err
		}
		remotes = append(remotes, c)
		names = append(names, r.Name)
	}
	maxFailures := -1
	if p.MaxRemoteFailures != nil {
		maxFailures = *p.MaxRemoteFailures
	}
	m, err := varemote.NewMulti(varemote.MultiConfig{Timeout: perspectiveTimeout(cfg), MaxFailures: maxFailures}, local, remotes, log)
	if err != nil {
		return nil, err
	}
	log.Info("multi-perspective corroboration on", "remotes", names, "timeout", perspectiveTimeout(cfg))
	return m, nil
}

// perspectiveTimeout is how long remote perspectives are waited for: a
// remote's own VA time-out plus room for the round trip.
func perspectiveTimeout(cfg config.Config) time.Duration {
	if cfg.Perspectives.Timeout > 0 {
		return time.Duration(cfg.Perspectives.Timeout)
	}
	return time.Duration(cfg.VA.Timeout) + 2*time.Second
}

// validationTimeout bounds one validation in the RA, remote perspectives
// included; without them it is the VA's time-out plus 5s, as before.
func validationTimeout(cfg config.Config) time.Duration {
	d := time.Duration(cfg.VA.Timeout)
	if cfg.Perspectives.Enabled() {
		d = max(d, perspectiveTimeout(cfg))
	}
	return d + 5*time.Second
}
