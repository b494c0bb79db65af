package ca

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"errors"
	"io"
	"math/big"
	"testing"
	"testing/iotest"
)

func TestSerialsUnique(t *testing.T) {
	c := shared(t)
	key := ecKey(t, elliptic.P256()).Public()
	seen := map[string]bool{}
	shards := map[int]int{}
	for i := range 1000 {
		iss, err := c.Issue(context.Background(), IssueRequest{PublicKey: key, DNSNames: []string{"example.com"}})
		if err != nil {
			t.Fatalf("issue %d: %v", i, err)
		}
		if seen[iss.Serial] {
			t.Fatalf("serial %s issued twice", iss.Serial)
		}
		seen[iss.Serial] = true
		n, _ := new(big.Int).SetString(iss.Serial, 16)
		shards[crlShard(n, defaultCRLShards)]++
	}
	if len(shards) != defaultCRLShards {
		t.Errorf("1000 serials fell into %d CRL shards, want all %d", len(shards), defaultCRLShards)
	}
}

func TestNewSerial(t *testing.T) {
	tests := []struct {
		name    string
		rand    io.Reader
		want    string
		wantErr bool
	}{
		{"all zero entropy", bytes.NewReader(make([]byte, 16)), "51" + "00000000000000000000000000000000", false},
		{"all ones entropy", bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)), "51" + "ffffffffffffffffffffffffffffffff", false},
		{"short entropy", bytes.NewReader(make([]byte, 15)), "", true},
		{"failing reader", iotest.ErrReader(errors.New("boom")), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := newSerial(tt.rand)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err: got %v, want error %v", err, tt.wantErr)
			}
			if err == nil && serialHex(n) != tt.want {
				t.Errorf("serial: got %s, want %s", serialHex(n), tt.want)
			}
		})
	}
}
