package ca

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

func TestProfileLintAllowListIsPerProfile(t *testing.T) {
	// A profile that keeps a CN but lacks the CN warning on its list must
	// be blocked, while classic (same CA) issues: lists are not shared.
	profs := DefaultProfiles()
	profs[1].CommonName = true
	c, _ := loadCopy(t, Config{Profiles: profs, KeyTypes: []string{KeyECDSA}})
	tests := []struct {
		profile   string
		wantBlock string
	}{
		{ProfileClassic, ""},
		{ProfileTLSServer, "w_subject_common_name_included"},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			_, err := c.Issue(context.Background(), IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(),
				DNSNames: []string{"example.com"}, CommonName: "example.com", Profile: tt.profile})
			switch {
			case tt.wantBlock == "" && err != nil:
				t.Errorf("got %v, want issued", err)
			case tt.wantBlock != "" && (err == nil || !strings.Contains(err.Error(), tt.wantBlock)):
				t.Errorf("got %v, want blocked by %s", err, tt.wantBlock)
			}
		})
	}
}

func TestProfileConfigRefused(t *testing.T) {
	mod := func(f func(p []Profile)) []Profile {
		p := DefaultProfiles()
		f(p)
		return p
	}
	tests := []struct {
		name     string
		profiles []Profile
		want     string
	}{
		{"duplicate name", mod(func(p []Profile) { p[1].Name = ProfileClassic }), "unique"},
		{"too short", mod(func(p []Profile) { p[2].Validity = time.Minute }), "at least 1h"},
		{"outlives intermediates", mod(func(p []Profile) { p[1].Validity = 6 * 365 * 24 * time.Hour }), "shorter than"},
		{"no EKU", mod(func(p []Profile) { p[2].ExtKeyUsage = nil }), "extended key usage"},
		{"allowed without reason", mod(func(p []Profile) { p[2].LintAllowWarn = map[string]string{"w_subject_common_name_included": ""} }), "without a reason"},
		{"unknown lint", mod(func(p []Profile) { p[2].LintAllowWarn = map[string]string{"w_nope": "x"} }), "w_nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), Config{DataDir: copyBase(t), Profiles: tt.profiles}, discard())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaultProfilesTable(t *testing.T) {
	// The table is the documented contract; a change here is a change
	// operators must read about in docs/profiles-and-ari.md.
	tests := []struct {
		name       string
		validity   time.Duration
		cn, ip     bool
		maxNames   int
		reuse, ord time.Duration
	}{
		{ProfileClassic, 90 * 24 * time.Hour, true, false, 100, 30 * 24 * time.Hour, 7 * 24 * time.Hour},
		{ProfileTLSServer, 45 * 24 * time.Hour, false, false, 25, 7 * time.Hour, 7 * time.Hour},
		{ProfileShortLived, 160 * time.Hour, false, true, 25, 7 * time.Hour, 7 * time.Hour},
	}
	profs := DefaultProfiles()
	if len(profs) != len(tests) || profs[0].Name != ProfileClassic {
		t.Fatalf("got %d profiles starting with %q, want %d starting with classic", len(profs), profs[0].Name, len(tests))
	}
	for i, tt := range tests {
		p := profs[i]
		if p.Name != tt.name || p.Validity != tt.validity || p.CommonName != tt.cn || p.AllowIP != tt.ip ||
			p.MaxNames != tt.maxNames || p.AuthzReuse != tt.reuse || p.OrderLifetime != tt.ord {
			t.Errorf("profile %d: got %+v, want %+v", i, p, tt)
		}
		if len(p.ExtKeyUsage) != 1 || p.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
			t.Errorf("profile %s: got EKU %v, want serverAuth only", p.Name, p.ExtKeyUsage)
		}
		if p.Description == "" {
			t.Errorf("profile %s has no description for the directory", p.Name)
		}
	}
}

func TestLintBlockIsLogged(t *testing.T) {
	log, buf := bufLogger()
	c, err := Load(context.Background(), Config{DataDir: copyBase(t), KeyTypes: []string{KeyECDSA}, LintAllowWarn: map[string]string{}}, log)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Issue(context.Background(), IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(),
		DNSNames: []string{"example.com"}, CommonName: "example.com"})
	if err == nil {
		t.Fatal("Issue: got a certificate, want a lint block")
	}
	out := buf.String()
	for _, want := range []string{"pre-issuance lint blocked a certificate", "profile=classic", "w_subject_common_name_included"} {
		if !strings.Contains(out, want) {
			t.Errorf("log: got %q, want it to contain %q", out, want)
		}
	}
}

func TestProfileDescribe(t *testing.T) {
	tests := []struct {
		validity time.Duration
		want     string
	}{
		{90 * 24 * time.Hour, "x; valid 90 days"},
		{160 * time.Hour, "x; valid 160 hours"},
		{48 * time.Hour, "x; valid 2 days"},
	}
	for _, tt := range tests {
		if got := (Profile{Description: "x", Validity: tt.validity}).Describe(); got != tt.want {
			t.Errorf("Describe(%v): got %q, want %q", tt.validity, got, tt.want)
		}
	}
}
