package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"testing"
	"time"
)

func TestRawTBS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), DNSNames: []string{"example.com"},
		NotBefore: time.Unix(1e9, 0), NotAfter: time.Unix(1e9+3600, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		der     []byte
		want    []byte
		wantErr bool
	}{
		{name: "certificate", der: der, want: cert.RawTBSCertificate},
		{name: "trailing data", der: append(bytes.Clone(der), 0), wantErr: true},
		{name: "truncated", der: der[:len(der)-1], wantErr: true},
		{name: "empty", der: nil, wantErr: true},
		{name: "not a sequence inside", der: []byte{0x30, 0x03, 0x02, 0x01, 0x00}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rawTBS(tc.der)
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error %v", err, tc.wantErr)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("got %d TBS bytes, want the %d ParseCertificate reads", len(got), len(tc.want))
			}
		})
	}
}
