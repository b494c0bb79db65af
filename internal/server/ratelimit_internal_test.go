package server

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/ratelimit"
)

func TestRateLimitNamesAgree(t *testing.T) {
	var want []string
	for _, n := range ratelimit.Names() {
		want = append(want, string(n))
	}
	slices.Sort(want)
	if got := config.RateLimitNames(); !slices.Equal(got, want) {
		t.Fatalf("config knows %v, ratelimit defines %v", got, want)
	}
}

func TestRateLimitConfig(t *testing.T) {
	hour := config.Duration(time.Hour)
	off := false
	tests := []struct {
		name   string
		mutate func(c *config.Config)
		want   map[ratelimit.Name]ratelimit.Limit
		wantOv []ratelimit.Override
	}{
		{name: "public preset: every default", mutate: func(c *config.Config) {}, want: ratelimit.Defaults()},
		{name: "private preset: none", mutate: func(c *config.Config) { c.Preset = config.PresetPrivate }, want: map[ratelimit.Name]ratelimit.Limit{}},
		{name: "public, explicitly off", mutate: func(c *config.Config) { c.RateLimits.Enabled = &off }, want: map[ratelimit.Name]ratelimit.Limit{}},
		{name: "dev: only the named limit, default filled in", mutate: func(c *config.Config) {
			c.Preset = config.PresetDev
			c.RateLimits.Limits = map[string]config.RateLimit{"NewOrdersPerAccount": {Count: 7}}
		}, want: map[ratelimit.Name]ratelimit.Limit{ratelimit.NewOrdersPerAccount: {Count: 7, Period: 3 * time.Hour}}},
		{name: "public: one disabled, one changed", mutate: func(c *config.Config) {
			c.RateLimits.Limits = map[string]config.RateLimit{"CertificatesPerFQDNSet": {Disabled: true}, "CertificatesPerDomain": {Period: hour}}
		}, want: func() map[ratelimit.Name]ratelimit.Limit {
			m := ratelimit.Defaults()
			delete(m, ratelimit.CertificatesPerFQDNSet)
			m[ratelimit.CertificatesPerDomain] = ratelimit.Limit{Count: 50, Period: time.Hour}
			return m
		}()},
		{name: "overrides take the limit's period", mutate: func(c *config.Config) {
			c.RateLimits.Limits = map[string]config.RateLimit{"CertificatesPerDomain": {Period: hour}}
			c.RateLimits.Overrides = []config.RateLimitOverride{
				{Limit: "CertificatesPerDomain", Domain: "Example.COM.", Count: 500},
				{Limit: "NewRegistrationsPerIPAddress", CIDR: "10.1.2.3/8", Count: 100, Period: hour},
			}
		}, want: func() map[ratelimit.Name]ratelimit.Limit {
			m := ratelimit.Defaults()
			m[ratelimit.CertificatesPerDomain] = ratelimit.Limit{Count: 50, Period: time.Hour}
			return m
		}(), wantOv: []ratelimit.Override{
			{Limit: ratelimit.CertificatesPerDomain, Domain: "example.com", Value: ratelimit.Limit{Count: 500, Period: time.Hour}},
			{Limit: ratelimit.NewRegistrationsPerIPAddress, CIDR: netip.MustParsePrefix("10.0.0.0/8"), Value: ratelimit.Limit{Count: 100, Period: time.Hour}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.mutate(&c)
			if err := c.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			got, err := rateLimitConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Limits) != len(tt.want) {
				t.Fatalf("limits: got %v, want %v", got.Limits, tt.want)
			}
			for n, l := range tt.want {
				if got.Limits[n] != l {
					t.Errorf("%s: got %v, want %v", n, got.Limits[n], l)
				}
			}
			if len(got.Overrides) != len(tt.wantOv) {
				t.Fatalf("overrides: got %+v, want %+v", got.Overrides, tt.wantOv)
			}
			for i, o := range tt.wantOv {
				g := got.Overrides[i]
				if g.Limit != o.Limit || g.Domain != o.Domain || g.CIDR != o.CIDR || g.Value != o.Value {
					t.Errorf("override %d: got %+v, want %+v", i, g, o)
				}
			}
		})
	}
}
