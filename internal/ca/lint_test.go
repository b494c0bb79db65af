package ca

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/zmap/zlint/v3/lint"
)

func TestLintBlocksBadCertificates(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*x509.Certificate)
		wantLint string // a substring of the blocking lint's name
	}{
		{"CN not among the SANs", func(c *x509.Certificate) { c.Subject.CommonName = "evil.example.net" }, "e_subject_common_name_not_"}, // _from_san or _exactly_from_san, by date
		{"no EKU", func(c *x509.Certificate) { c.ExtKeyUsage = nil }, "e_sub_cert_eku_missing"},
		{"certSign on a leaf", func(c *x509.Certificate) { c.KeyUsage |= x509.KeyUsageCertSign }, "e_sub_cert_key_usage_cert_sign_bit_set"},
		{"validity over 398 days", func(c *x509.Certificate) { c.NotAfter = c.NotBefore.Add(400 * 24 * time.Hour) }, "_valid_time_longer_than_"}, // the limit falls by date (SC081)
		{"no AIA", func(c *x509.Certificate) { c.IssuingCertificateURL = nil }, "e_sub_cert_aia_missing"},
		{"no CRL distribution point", func(c *x509.Certificate) { c.CRLDistributionPoints = nil }, "e_missing_crl_distrib_point"},
		{"bad SAN", func(c *x509.Certificate) { c.DNSNames = append(c.DNSNames, "bad_name..example.com") }, "e_rfc_dnsname_empty_label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := loadCopy(t, Config{})
			log, buf := bufLogger()
			c.log = log
			c.mutate = tt.mutate
			real := &countingSigner{Signer: c.issuers["e1"].signer}
			c.issuers["e1"].signer = real
			iss, err := c.Issue(context.Background(), IssueRequest{
				PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"example.com"}})
			if iss != nil || !errors.Is(err, core.ErrServerInternal) || !strings.Contains(err.Error(), tt.wantLint) {
				t.Errorf("Issue: got %v, %v; want serverInternal naming %s", iss, err, tt.wantLint)
			}
			if n := real.signatures(); n != 0 {
				t.Errorf("the real issuer key made %d signatures, want 0", n)
			}
			if !strings.Contains(buf.String(), tt.wantLint) || !strings.Contains(buf.String(), "pre-issuance lint blocked") {
				t.Errorf("log does not name %s: %s", tt.wantLint, buf.String())
			}
		})
	}
}

func TestLintWarnAllowList(t *testing.T) {
	tests := []struct {
		name      string
		allow     map[string]string
		cn        string
		wantBlock string // "" = issued
	}{
		{"default list allows a CN", nil, "example.com", ""},
		{"empty list blocks the CN warning", map[string]string{}, "example.com", "w_subject_common_name_included"},
		{"empty list blocks the SKI warning", map[string]string{}, "", "w_ext_subject_key_identifier_not_recommended_subscriber"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := loadCopy(t, Config{LintAllowWarn: tt.allow, KeyTypes: []string{KeyECDSA}})
			_, err := c.Issue(context.Background(), IssueRequest{
				PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"example.com"}, CommonName: tt.cn})
			switch {
			case tt.wantBlock == "" && err != nil:
				t.Errorf("Issue: got %v, want success", err)
			case tt.wantBlock != "" && (err == nil || !strings.Contains(err.Error(), tt.wantBlock)):
				t.Errorf("Issue: got %v, want blocked by %s", err, tt.wantBlock)
			}
		})
	}
}

func TestLintAllowListUnknownName(t *testing.T) {
	_, err := Load(context.Background(), Config{DataDir: copyBase(t), LintAllowWarn: map[string]string{"w_no_such_lint": "typo"}}, discard())
	if err == nil || !strings.Contains(err.Error(), "w_no_such_lint") {
		t.Errorf("Load: got %v, want an error naming the unknown lint", err)
	}
}

func TestPrivateNames(t *testing.T) {
	c, _ := loadCopy(t, Config{})
	tests := []struct {
		name      string
		dns       []string
		ips       []net.IP
		wantLint  string // blocking lint without PrivateNames
		wantInPub bool
	}{
		{"localhost", []string{"localhost"}, nil, "e_dnsname_not_valid_tld", false},
		{"reserved TLD", []string{"host.test"}, nil, "e_dnsname_not_valid_tld", false},
		{"loopback IP", nil, []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, "e_ext_san_contains_reserved_ip", false},
		{"private IP", nil, []net.IP{net.ParseIP("10.1.2.3")}, "e_ext_san_contains_reserved_ip", false},
		{"public name", []string{"example.com"}, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: tt.dns, IPs: tt.ips}
			if tt.ips != nil {
				req.Profile = ProfileShortLived
			}
			c.cfg.PrivateNames = false
			_, err := c.Issue(context.Background(), req)
			if gotPub := err == nil; gotPub != tt.wantInPub || (err != nil && !strings.Contains(err.Error(), tt.wantLint)) {
				t.Errorf("public mode: got %v, want issued=%v (lint %s)", err, tt.wantInPub, tt.wantLint)
			}
			c.cfg.PrivateNames = true
			if _, err := c.Issue(context.Background(), req); err != nil {
				t.Errorf("private mode: got %v, want issued", err)
			}
		})
	}
}

func TestLintRegistryRestricted(t *testing.T) {
	c := shared(t)
	for _, reg := range []lint.Registry{c.linter.public, c.linter.private} {
		for _, src := range reg.Sources() {
			if !slices.Contains(lintSources(), src) {
				t.Errorf("registry runs lints from %s", src)
			}
		}
		if slices.Contains(reg.Names(), "e_cert_issued_by_compromised_emudhra_ca") {
			t.Errorf("registry runs an issuer-specific lint")
		}
		if !slices.Contains(reg.Names(), "e_subject_common_name_not_from_san") {
			t.Errorf("registry lacks a core BR lint")
		}
	}
	if slices.Contains(c.linter.private.Names(), "e_dnsname_not_valid_tld") {
		t.Errorf("private-names registry still checks TLDs")
	}
	if all := len(lint.GlobalRegistry().Names()); len(c.linter.public.Names()) >= all {
		t.Errorf("registry not restricted: %d of %d lints", len(c.linter.public.Names()), all)
	}
}

func TestLintedIsSigned(t *testing.T) {
	// What the linter saw and what was signed share one tbsCertificate.
	c := shared(t)
	tok, err := c.prepare(context.Background(), IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"example.com"}}, c.cfg.Profiles[0], false)
	if err != nil {
		t.Fatal(err)
	}
	lintTBS := tok.lintTBS
	iss, err := c.sign(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(iss.DER)
	if !bytes.Equal(cert.RawTBSCertificate, lintTBS) {
		t.Errorf("signed tbsCertificate differs from the linted one")
	}
}
