package loadgen

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"
)

func TestRandomNames(t *testing.T) {
	tests := []struct {
		name      string
		first     byte // the byte that picks the count
		maxNames  int
		wantCount int
	}{
		{name: "one allowed", first: 200, maxNames: 1, wantCount: 1},
		{name: "zero picks one", first: 0, maxNames: 5, wantCount: 1},
		{name: "four of five", first: 3, maxNames: 5, wantCount: 4},
		{name: "wraps", first: 7, maxNames: 5, wantCount: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rnd := bytes.NewReader(append([]byte{tt.first}, bytes.Repeat([]byte{0xab}, 100)...))
			ids, err := randomNames(rnd, tt.maxNames, "load.test")
			if err != nil {
				t.Fatalf("randomNames: %v", err)
			}
			if len(ids) != tt.wantCount {
				t.Fatalf("got %d names, want %d", len(ids), tt.wantCount)
			}
			if got, want := ids[0].Value, "abababababababab.load.test"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	if _, err := randomNames(bytes.NewReader(nil), 3, "load.test"); err == nil {
		t.Error("got no error from an empty source of randomness, want one")
	}
}

func TestCSRFor(t *testing.T) {
	for _, kt := range []KeyType{KeyECDSA, KeyRSA} {
		t.Run(string(kt), func(t *testing.T) {
			key, err := newKey(kt)
			if err != nil {
				t.Fatal(err)
			}
			ids, _ := randomNames(bytes.NewReader(bytes.Repeat([]byte{1}, 50)), 2, "load.test")
			der, err := csrFor(key, ids)
			if err != nil {
				t.Fatal(err)
			}
			csr, err := x509.ParseCertificateRequest(der)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.ToLower(csr.PublicKeyAlgorithm.String()); !strings.Contains(got, string(kt)) {
				t.Errorf("got key algorithm %s, want %s", got, kt)
			}
			if len(csr.DNSNames) != 2 {
				t.Errorf("got names %v, want 2", csr.DNSNames)
			}
		})
	}
}
