package config

import (
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "empty file keeps defaults", yaml: "", check: func(t *testing.T, c Config) {
			if c.Listen != "127.0.0.1:14000" || c.Preset != PresetPublic {
				t.Errorf("got listen %q preset %q, want defaults", c.Listen, c.Preset)
			}
		}},
		{name: "days suffix", yaml: "ca:\n  leaf-validity: 30d\n", check: func(t *testing.T, c Config) {
			if got := time.Duration(c.CA.LeafValidity); got != 30*24*time.Hour {
				t.Errorf("got %v, want 720h", got)
			}
		}},
		{name: "go duration", yaml: "va:\n  timeout: 3s\n", check: func(t *testing.T, c Config) {
			if got := time.Duration(c.VA.Timeout); got != 3*time.Second {
				t.Errorf("got %v, want 3s", got)
			}
		}},
		{name: "unknown top-level key", yaml: "lisen: 1.2.3.4:5\n", wantErr: "lisen"},
		{name: "unknown nested key", yaml: "va:\n  http-prot: 80\n", wantErr: "http-prot"},
		{name: "crl section", yaml: "crl:\n  shards: 4\n  period: 1h\n  next-update: 2d\n  after-revocation-delay: 10s\n", check: func(t *testing.T, c Config) {
			want := CRL{Shards: 4, Period: Duration(time.Hour), NextUpdate: Duration(48 * time.Hour),
				AfterRevocationDelay: Duration(10 * time.Second), CacheMaxAge: Duration(time.Hour)}
			if c.CRL != want {
				t.Errorf("got crl %+v, want %+v", c.CRL, want)
			}
		}},
		{name: "unknown crl key", yaml: "crl:\n  shard: 4\n", wantErr: "shard"},
		{name: "bad duration", yaml: "ca:\n  leaf-validity: soon\n", wantErr: "invalid duration"},
		{name: "wrong type", yaml: "va:\n  http-port: eighty\n", wantErr: "eighty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Decode(strings.NewReader(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			tt.check(t, c)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantErr string
	}{
		{name: "defaults are valid", mutate: func(*Config) {}},
		{name: "bad listen", mutate: func(c *Config) { c.Listen = "nowhere" }, wantErr: "listen"},
		{name: "bad preset", mutate: func(c *Config) { c.Preset = "open" }, wantErr: "preset"},
		{name: "bad port", mutate: func(c *Config) { c.VA.HTTPPort = 70000 }, wantErr: "va.http-port"},
		{name: "bad resolver", mutate: func(c *Config) { c.VA.DNSResolver = "8.8.8.8" }, wantErr: "dns-resolver"},
		{name: "bad key type", mutate: func(c *Config) { c.CA.KeyTypes = []string{"dsa"} }, wantErr: "key-types"},
		{name: "leaf too long", mutate: func(c *Config) { c.CA.LeafValidity = Duration(400 * 24 * time.Hour) }, wantErr: "leaf-validity"},
		{name: "too many names", mutate: func(c *Config) { c.Policy.MaxNames = 101 }, wantErr: "max-names"},
		{name: "public url scheme", mutate: func(c *Config) { c.PublicURL = "ftp://x" }, wantErr: "public-url"},
		{name: "eab required without keys", mutate: func(c *Config) { c.ACME.EABRequired = true }, wantErr: "eab-required"},
		{name: "short eab key", mutate: func(c *Config) { c.ACME.EABKeys = map[string]string{"k": "c2hvcnQ"} }, wantErr: "eab-keys"},
		{name: "crl shards zero", mutate: func(c *Config) { c.CRL.Shards = 0 }, wantErr: "crl.shards"},
		{name: "crl next-update past 10 days", mutate: func(c *Config) { c.CRL.NextUpdate = Duration(11 * 24 * time.Hour) }, wantErr: "crl.next-update"},
		{name: "crl period not shorter than next-update", mutate: func(c *Config) { c.CRL.Period = c.CRL.NextUpdate }, wantErr: "crl.next-update"},
		{name: "crl delay past period", mutate: func(c *Config) { c.CRL.AfterRevocationDelay = Duration(7 * time.Hour) }, wantErr: "crl.after-revocation-delay"},
		{name: "crl cache max-age zero", mutate: func(c *Config) { c.CRL.CacheMaxAge = 0 }, wantErr: "crl.period and crl.cache-max-age"},
		{name: "bad log level", mutate: func(c *Config) { c.Log.Level = "loud" }, wantErr: "log.level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestAllowPrivate(t *testing.T) {
	no, yes := false, true
	tests := []struct {
		name     string
		preset   Preset
		explicit *bool
		want     bool
	}{
		{"public default", PresetPublic, nil, false},
		{"dev default", PresetDev, nil, true},
		{"private default", PresetPrivate, nil, true},
		{"public with flag", PresetPublic, &yes, true},
		{"dev turned off", PresetDev, &no, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Preset, c.VA.AllowPrivateAddresses = tt.preset, tt.explicit
			if got := c.AllowPrivate(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
