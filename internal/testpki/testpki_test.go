package testpki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"
)

func TestIssueVerifiesUnderItsCA(t *testing.T) {
	ca, other := NewCA(t, "test root"), NewCA(t, "other root")
	der, _ := ca.Issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing the issued certificate: %v", err)
	}
	tests := []struct {
		name    string
		root    *CA
		host    string
		wantErr bool
	}{
		{name: "its CA, its name", root: ca, host: "localhost"},
		{name: "its CA, its address", root: ca, host: "127.0.0.1"},
		{name: "its CA, another name", root: ca, host: "example.com", wantErr: true},
		{name: "another CA", root: other, host: "localhost", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roots := x509.NewCertPool()
			roots.AddCert(tt.root.Cert)
			_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: tt.host})
			if (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
