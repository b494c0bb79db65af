package loadgen

import (
	"errors"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{DirectoryURL: "https://127.0.0.1/dir", Flows: 1}
	tests := []struct {
		name   string
		mutate func(*Config)
		ok     bool
	}{
		{name: "minimal", mutate: func(*Config) {}, ok: true},
		{name: "time bound only", mutate: func(c *Config) { c.Flows, c.Duration = 0, time.Second }, ok: true},
		{name: "everything set", mutate: func(c *Config) {
			c.Concurrency, c.MaxNames, c.BaseDomain, c.Challenge, c.KeyType = 4, 100, "load.test.", "dns-01", KeyRSA
		}, ok: true},
		{name: "no directory", mutate: func(c *Config) { c.DirectoryURL = "" }},
		{name: "unbounded", mutate: func(c *Config) { c.Flows = 0 }},
		{name: "negative flows", mutate: func(c *Config) { c.Flows = -1 }},
		{name: "rate", mutate: func(c *Config) { c.Rate = 12.5 }, ok: true},
		{name: "negative rate", mutate: func(c *Config) { c.Rate = -1 }},
		{name: "negative concurrency", mutate: func(c *Config) { c.Concurrency = -1 }},
		{name: "too many names", mutate: func(c *Config) { c.MaxNames = 101 }},
		{name: "unknown challenge", mutate: func(c *Config) { c.Challenge = "http-02" }},
		{name: "unknown key", mutate: func(c *Config) { c.KeyType = "ed25519" }},
		{name: "one-label domain", mutate: func(c *Config) { c.BaseDomain = "test" }},
		{name: "IP as domain", mutate: func(c *Config) { c.BaseDomain = "127.0.0.1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			if got := err == nil; got != tt.ok {
				t.Fatalf("got error %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, core.ErrMalformed) {
				t.Errorf("got %v, want an ErrMalformed", err)
			}
		})
	}
}
