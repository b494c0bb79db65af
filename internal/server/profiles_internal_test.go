package server

import (
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/config"
)

func TestProfilesFromConfig(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(c *config.Config)
		wantFirst string
		wantLife  map[string]time.Duration
		wantAllow map[string]int // number of allowed warnings
	}{
		{"defaults", func(*config.Config) {}, "classic",
			map[string]time.Duration{"classic": 90 * 24 * time.Hour, "tlsserver": 45 * 24 * time.Hour, "shortlived": 160 * time.Hour},
			map[string]int{"classic": 3, "tlsserver": 2, "shortlived": 2}},
		{"leaf-validity is the classic lifetime", func(c *config.Config) { c.CA.LeafValidity = config.Duration(30 * 24 * time.Hour) }, "classic",
			map[string]time.Duration{"classic": 30 * 24 * time.Hour, "tlsserver": 45 * 24 * time.Hour}, nil},
		{"profiles.classic.lifetime wins over leaf-validity", func(c *config.Config) {
			c.CA.LeafValidity = config.Duration(30 * 24 * time.Hour)
			c.Profiles.Classic.Lifetime = config.Duration(60 * 24 * time.Hour)
		}, "classic", map[string]time.Duration{"classic": 60 * 24 * time.Hour}, nil},
		{"default moves first, lifetimes and allow-lists apply", func(c *config.Config) {
			c.Profiles.Default = "shortlived"
			c.Profiles.ShortLived.Lifetime = config.Duration(100 * time.Hour)
			c.Profiles.TLSServer.LintAllowWarn = map[string]string{}
		}, "shortlived", map[string]time.Duration{"shortlived": 100 * time.Hour}, map[string]int{"tlsserver": 0, "classic": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			tt.mutate(&cfg)
			profs := Profiles(cfg)
			if len(profs) != 3 || profs[0].Name != tt.wantFirst {
				t.Fatalf("got %d profiles starting with %q, want 3 starting with %q", len(profs), profs[0].Name, tt.wantFirst)
			}
			for _, p := range profs {
				if want, ok := tt.wantLife[p.Name]; ok && p.Validity != want {
					t.Errorf("%s lifetime: got %v, want %v", p.Name, p.Validity, want)
				}
				if want, ok := tt.wantAllow[p.Name]; ok && len(p.LintAllowWarn) != want {
					t.Errorf("%s allow-list: got %v, want %d entries", p.Name, p.LintAllowWarn, want)
				}
			}
			got := profileDescriptions(profs)
			if len(got) != 3 {
				t.Errorf("meta.profiles: got %v, want 3", got)
			}
			for _, p := range profs {
				if want := p.Describe(); got[p.Name] != want {
					t.Errorf("meta.profiles[%s]: got %q, want %q", p.Name, got[p.Name], want)
				}
			}
		})
	}
}
