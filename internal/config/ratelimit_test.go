package config

import (
	"strings"
	"testing"
	"time"
)

func TestRateLimitsDecode(t *testing.T) {
	c, err := Decode(strings.NewReader(`
rate-limits:
  enabled: true
  limits:
    NewOrdersPerAccount: {count: 1000, period: 1h}
    CertificatesPerFQDNSet: {disabled: true}
  overrides:
    - {limit: CertificatesPerDomain, domain: example.com, count: 500, period: 7d}
    - {limit: NewRegistrationsPerIPAddress, cidr: 10.0.0.0/8, count: 100}
    - {limit: CertificatesPerFQDNSet, fqdn-set: [a.example.com, b.example.com], count: 20}
    - {limit: NewOrdersPerAccount, account: 42, count: 5000}
`))
	if err != nil {
		t.Fatalf("decode: got %v, want none", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: got %v, want none", err)
	}
	r := c.RateLimits
	if r.Enabled == nil || !*r.Enabled || !c.RateLimitsOn() {
		t.Errorf("enabled: got %v, want true", r.Enabled)
	}
	if got := r.Limits["NewOrdersPerAccount"]; got.Count != 1000 || time.Duration(got.Period) != time.Hour {
		t.Errorf("NewOrdersPerAccount: got %+v, want 1000 per 1h", got)
	}
	if !r.Limits["CertificatesPerFQDNSet"].Disabled {
		t.Errorf("CertificatesPerFQDNSet: got %+v, want disabled", r.Limits["CertificatesPerFQDNSet"])
	}
	if len(r.Overrides) != 4 || r.Overrides[0].Domain != "example.com" || time.Duration(r.Overrides[0].Period) != 7*24*time.Hour ||
		r.Overrides[1].CIDR != "10.0.0.0/8" || len(r.Overrides[2].FQDNSet) != 2 || r.Overrides[3].Account != 42 {
		t.Errorf("overrides: got %+v", r.Overrides)
	}
}

func TestRateLimitsOnByPreset(t *testing.T) {
	on, off := true, false
	tests := []struct {
		preset  Preset
		enabled *bool
		want    bool
	}{
		{PresetPublic, nil, true},
		{PresetPrivate, nil, false},
		{PresetDev, nil, false},
		{PresetPublic, &off, false},
		{PresetDev, &on, true},
	}
	for _, tt := range tests {
		c := Default()
		c.Preset, c.RateLimits.Enabled = tt.preset, tt.enabled
		if got := c.RateLimitsOn(); got != tt.want {
			t.Errorf("preset %s enabled %v: got %v, want %v", tt.preset, tt.enabled, got, tt.want)
		}
	}
}

func TestRateLimitsValidate(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"unknown limit", "rate-limits:\n  limits:\n    NewOrdersPerAcount: {count: 3}\n", `"NewOrdersPerAcount" is not a limit`},
		{"unknown key", "rate-limits:\n  limits:\n    NewOrdersPerAccount: {cnt: 3}\n", "cnt"},
		{"negative count", "rate-limits:\n  limits:\n    NewOrdersPerAccount: {count: -1}\n", "count: -1"},
		{"sub-second period", "rate-limits:\n  limits:\n    NewOrdersPerAccount: {period: 10ms}\n", "period: 10ms"},
		{"disabled with a count", "rate-limits:\n  limits:\n    NewOrdersPerAccount: {disabled: true, count: 3}\n", "takes no count"},
		{"limits while disabled", "rate-limits:\n  enabled: false\n  limits:\n    NewOrdersPerAccount: {count: 3}\n", "enabled is false"},
		{"override of unknown limit", "rate-limits:\n  overrides:\n    - {limit: Foo, account: 1, count: 3}\n", `"Foo" is not a limit`},
		{"override with wrong subject", "rate-limits:\n  overrides:\n    - {limit: NewOrdersPerAccount, domain: example.com, count: 3}\n", "exactly one subject, account"},
		{"override with two subjects", "rate-limits:\n  overrides:\n    - {limit: CertificatesPerDomain, domain: example.com, account: 2, count: 3}\n", "exactly one subject, domain"},
		{"override without count", "rate-limits:\n  overrides:\n    - {limit: NewOrdersPerAccount, account: 1}\n", "needs a count"},
		{"override of a subdomain", "rate-limits:\n  overrides:\n    - {limit: CertificatesPerDomain, domain: www.example.co.uk, count: 3}\n", `CertificatesPerDomain counts "example.co.uk"`},
		{"override with bad CIDR", "rate-limits:\n  overrides:\n    - {limit: NewRegistrationsPerIPAddress, cidr: 10.0.0.0/33, count: 3}\n", "not an address range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decodeCase(t, tt.yaml, tt.wantErr)
		})
	}
}
