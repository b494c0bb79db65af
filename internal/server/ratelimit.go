package server

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/ratelimit"
)

// rateLimits builds the limiter the rate-limits section asks for, over
// store. It is never nil: with every limit off it admits everything.
func rateLimits(cfg config.Config, store ratelimit.Store, log *slog.Logger) (*ratelimit.Limiter, error) {
	rc, err := rateLimitConfig(cfg)
	if err != nil {
		return nil, err
	}
	var on []string
	for _, n := range ratelimit.Names() {
		if l, ok := rc.Limits[n]; ok {
			on = append(on, fmt.Sprintf("%s=%s", n, l))
		}
	}
	log.Info("rate limits", "limits", strings.Join(on, ", "), "overrides", len(rc.Overrides))
	return ratelimit.New(rc, store, nil)
}

// rateLimitConfig turns the rate-limits section into the limiter's terms:
// Let's Encrypt's defaults where the file says nothing, only the limits it
// names when the preset leaves limits off.
func rateLimitConfig(cfg config.Config) (ratelimit.Config, error) {
	defaults := ratelimit.Defaults()
	out := ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{}}
	for _, n := range ratelimit.Names() {
		set, named := cfg.RateLimits.Limits[string(n)]
		if set.Disabled || (!named && !cfg.RateLimitsOn()) {
			continue
		}
		l := defaults[n]
		if set.Count > 0 {
			l.Count = set.Count
		}
		if set.Period > 0 {
			l.Period = time.Duration(set.Period)
		}
		out.Limits[n] = l
	}
	for i, o := range cfg.RateLimits.Overrides {
		n := ratelimit.Name(o.Limit)
		ov := ratelimit.Override{Limit: n, AccountID: o.Account, FQDNSet: o.FQDNSet,
			Value: ratelimit.Limit{Count: o.Count, Period: time.Duration(o.Period)}}
		if ov.Value.Period == 0 {
			ov.Value.Period = defaults[n].Period
			if l, ok := out.Limits[n]; ok {
				ov.Value.Period = l.Period
			}
		}
		if o.Domain != "" {
			// config.Validate has checked it is a registered domain.
			ov.Domain = strings.ToLower(strings.TrimSuffix(o.Domain, "."))
		}
		if o.CIDR != "" {
			p, err := netip.ParsePrefix(o.CIDR)
			if err != nil {
				return ratelimit.Config{}, fmt.Errorf("rate-limits.overrides[%d].cidr: %w", i, err)
			}
			ov.CIDR = p.Masked()
		}
		out.Overrides = append(out.Overrides, ov)
	}
	return out, nil
}
