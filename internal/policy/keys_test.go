package policy

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

// readPublicKey reads a PEM public key from testdata. The RSA 3072 and 4096
// keys there were made with `openssl genpkey` so the tests need not spend
// seconds generating them.
func readPublicKey(t testing.TB, name string) crypto.PublicKey {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	return pub
}

func mustPrime(t testing.TB, bits int) *big.Int {
	t.Helper()
	p, err := rand.Prime(rand.Reader, bits)
	if err != nil {
		t.Fatalf("generating prime: %v", err)
	}
	return p
}

// nextPrime returns the smallest prime ≥ n.
func nextPrime(n *big.Int) *big.Int {
	p := new(big.Int).Set(n)
	if p.Bit(0) == 0 {
		p.Add(p, big.NewInt(1))
	}
	for !p.ProbablyPrime(20) {
		p.Add(p, big.NewInt(2))
	}
	return p
}

// randomOdd returns a random odd number of exactly bits bits. It is not an
// RSA modulus; it serves where only the size is under test.
func randomOdd(t testing.TB, bits int) *big.Int {
	t.Helper()
	max := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		t.Fatalf("random: %v", err)
	}
	n.SetBit(n, bits-1, 1)
	return n.SetBit(n, 0, 1)
}

// withSmallFactor returns a 2048-bit odd number divisible by f.
func withSmallFactor(t testing.TB, f int64) *big.Int {
	t.Helper()
	n := randomOdd(t, 2048)
	bf := big.NewInt(f)
	n.Sub(n, new(big.Int).Mod(n, bf))
	if n.Bit(0) == 0 {
		n.Sub(n, bf)
	}
	return n
}

// closePrimes returns p·q for a 1024-bit prime p and the next prime after
// p+gap: a 2048-bit modulus whose factors are close together.
func closePrimes(t testing.TB, gap *big.Int) *big.Int {
	t.Helper()
	p := mustPrime(t, 1024)
	q := nextPrime(new(big.Int).Add(p, gap))
	return new(big.Int).Mul(p, q)
}

func TestCheckKey(t *testing.T) {
	p := mustNew(t, Config{})
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// Real 2047-bit modulus: rand.Prime sets the top two bits of each factor.
	n2047 := new(big.Int).Mul(mustPrime(t, 1024), mustPrime(t, 1023))
	ec := func(c elliptic.Curve) *ecdsa.PublicKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return &k.PublicKey
	}
	p256 := ec(elliptic.P256())
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Set(p256.X), Y: new(big.Int).Add(p256.Y, big.NewInt(1))}
	infinity := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int), Y: new(big.Int)}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const bad = core.ErrBadPublicKey
	tests := []struct {
		name   string
		key    crypto.PublicKey
		want   core.Kind
		detail string
	}{
		{name: "RSA 1024", key: &rsa1024.PublicKey, want: bad, detail: "1024 bits"},
		{name: "RSA 2047", key: &rsa.PublicKey{N: n2047, E: 65537}, want: bad, detail: "2047 bits"},
		{name: "RSA 2048", key: &rsa2048.PublicKey},
		{name: "RSA 3072", key: readPublicKey(t, "rsa3072.pub.pem")},
		{name: "RSA 4096", key: readPublicKey(t, "rsa4096.pub.pem")},
		{name: "RSA 8192 sized", key: &rsa.PublicKey{N: randomOdd(t, 8192), E: 65537}, want: bad, detail: "8192 bits"},
		{name: "RSA e=3", key: &rsa.PublicKey{N: rsa2048.N, E: 3}, want: bad, detail: "exponent"},
		{name: "RSA e=65539", key: &rsa.PublicKey{N: rsa2048.N, E: 65539}, want: bad, detail: "exponent"},
		{name: "RSA no modulus", key: &rsa.PublicKey{E: 65537}, want: bad},
		{name: "RSA nil", key: (*rsa.PublicKey)(nil), want: bad},
		{name: "RSA factor 3", key: &rsa.PublicKey{N: withSmallFactor(t, 3), E: 65537}, want: bad, detail: "smaller than 1000"},
		{name: "RSA factor 997", key: &rsa.PublicKey{N: withSmallFactor(t, 997), E: 65537}, want: bad, detail: "smaller than 1000"},
		{name: "RSA adjacent primes", key: &rsa.PublicKey{N: closePrimes(t, big.NewInt(2)), E: 65537}, want: bad, detail: "Fermat"},
		{name: "RSA primes 2^500 apart", key: &rsa.PublicKey{N: closePrimes(t, new(big.Int).Lsh(big.NewInt(1), 500)), E: 65537}, want: bad, detail: "Fermat"},
		{name: "RSA ROCA fingerprint", key: &rsa.PublicKey{N: rocaModulus(t, 1024), E: 65537}, want: bad, detail: "ROCA"},
		{name: "ECDSA P-224", key: ec(elliptic.P224()), want: bad, detail: "P-224"},
		{name: "ECDSA P-256", key: p256},
		{name: "ECDSA P-384", key: ec(elliptic.P384())},
		{name: "ECDSA P-521", key: ec(elliptic.P521()), want: bad, detail: "P-521"},
		{name: "ECDSA off curve", key: offCurve, want: bad, detail: "not a valid point"},
		{name: "ECDSA point at infinity", key: infinity, want: bad, detail: "not a valid point"},
		{name: "ECDSA no curve", key: &ecdsa.PublicKey{}, want: bad},
		{name: "Ed25519", key: edPub, want: bad, detail: "Ed25519"},
		{name: "X25519", key: x25519.PublicKey(), want: bad, detail: "not accepted"},
		{name: "nil", key: nil, want: bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkKind(t, p.CheckKey(tt.key), tt.want, tt.detail)
		})
	}
}

func rsaModulus(t testing.TB, pub crypto.PublicKey) *big.Int {
	t.Helper()
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("got %T, want *rsa.PublicKey", pub)
	}
	return k.N
}
