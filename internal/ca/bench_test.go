package ca

import (
	"context"
	"crypto/elliptic"
	"testing"
)

// BenchmarkIssue measures prepare (throwaway signature + zlint) and sign.
func BenchmarkIssue(b *testing.B) {
	c := shared(b)
	for _, bc := range []struct {
		name string
		req  IssueRequest
	}{
		{"ecdsa", IssueRequest{PublicKey: ecKey(b, elliptic.P256()).Public(), DNSNames: []string{"example.com", "www.example.com"}}},
		{"rsa", IssueRequest{PublicKey: rsaKey(b, 2048).Public(), DNSNames: []string{"example.com", "www.example.com"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Issue(context.Background(), bc.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLint isolates the zlint run on one certificate.
func BenchmarkLint(b *testing.B) {
	c := shared(b)
	iss, err := c.Issue(context.Background(), IssueRequest{PublicKey: ecKey(b, elliptic.P256()).Public(), DNSNames: []string{"example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.linter.check(iss.DER, false, DefaultLintAllowWarn()); err != nil {
			b.Fatal(err)
		}
	}
}
