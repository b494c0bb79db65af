package config

import (
	"testing"
	"time"
)

func TestDecodeProfiles(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // from Decode or Validate
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", yaml: "", check: func(t *testing.T, c Config) {
			if c.Profiles.Default != "classic" || c.Profiles.Classic.LintAllowWarn != nil || c.Profiles.ShortLived.Lifetime != 0 {
				t.Errorf("got %+v, want default classic and built-in settings", c.Profiles)
			}
		}},
		{name: "lifetimes and allow-list", yaml: "profiles:\n  default: shortlived\n  shortlived:\n    lifetime: 100h\n  tlsserver:\n    lint-allow-warn: {}\n  classic:\n    lint-allow-warn:\n      w_subject_common_name_included: old clients\n",
			check: func(t *testing.T, c Config) {
				if c.Profiles.Default != "shortlived" || time.Duration(c.Profiles.ShortLived.Lifetime) != 100*time.Hour {
					t.Errorf("got %+v, want shortlived default of 100h", c.Profiles)
				}
				if c.Profiles.TLSServer.LintAllowWarn == nil || len(c.Profiles.TLSServer.LintAllowWarn) != 0 {
					t.Errorf("tlsserver allow-list: got %v, want an empty, non-nil map", c.Profiles.TLSServer.LintAllowWarn)
				}
				if got := c.Profiles.Classic.LintAllowWarn["w_subject_common_name_included"]; got != "old clients" {
					t.Errorf("classic allow-list: got %q, want the reason", got)
				}
			}},
		{name: "unknown profile", yaml: "profiles:\n  shortlife:\n    lifetime: 1h\n", wantErr: "shortlife"},
		{name: "unknown default", yaml: "profiles:\n  default: nosuch\n", wantErr: "profiles.default"},
		{name: "lifetime too long", yaml: "profiles:\n  tlsserver:\n    lifetime: 400d\n", wantErr: "profiles.tlsserver.lifetime"},
		{name: "lifetime too short", yaml: "profiles:\n  shortlived:\n    lifetime: 30m\n", wantErr: "profiles.shortlived.lifetime"},
		{name: "allowed warning without reason", yaml: "profiles:\n  classic:\n    lint-allow-warn:\n      w_subject_common_name_included: \"\"\n",
			wantErr: "give the reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := decodeCase(t, tt.yaml, tt.wantErr)
			if ok && tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestCAAEnabled(t *testing.T) {
	on, off := true, false
	tests := []struct {
		preset  Preset
		setting *bool
		want    bool
	}{
		{PresetPublic, nil, true},
		{PresetDev, nil, true},
		{PresetPrivate, nil, false},
		{PresetPrivate, &on, true},
		{PresetPublic, &off, false},
	}
	for _, tt := range tests {
		c := Default()
		c.Preset, c.Policy.CheckCAA = tt.preset, tt.setting
		if got := c.CAAEnabled(); got != tt.want {
			t.Errorf("preset %s, check-caa %v: got %v, want %v", tt.preset, tt.setting, got, tt.want)
		}
	}
}
