package policy

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// rocaModulus builds a test vector the way the flawed Infineon generator
// built keys: two primes of the form k·M + (65537^a mod M), M the product of
// the primes up to 167, with a deterministic seed so the vector is stable.
func rocaModulus(t testing.TB, primeBits int) *big.Int {
	t.Helper()
	rng := rand.New(rand.NewChaCha8([32]byte{'r', 'o', 'c', 'a'}))
	m := big.NewInt(1)
	for r := int64(2); r <= rocaMaxPrime; r++ {
		if isSmallPrime(uint64(r)) {
			m.Mul(m, big.NewInt(r))
		}
	}
	n := big.NewInt(1)
	for range 2 {
		n.Mul(n, rocaPrime(rng, m, primeBits))
	}
	if n.BitLen() != 2*primeBits {
		t.Fatalf("got a %d-bit test modulus, want %d", n.BitLen(), 2*primeBits)
	}
	return n
}

func rocaPrime(rng *rand.Rand, m *big.Int, bits int) *big.Int {
	g := big.NewInt(rocaGenerator)
	kBits := bits - m.BitLen() + 1
	for {
		a := big.NewInt(int64(rng.Uint64N(1 << 32)))
		k := new(big.Int)
		for i := 0; i < kBits; i += 64 {
			k.Lsh(k, 64).Or(k, new(big.Int).SetUint64(rng.Uint64()))
		}
		k.Rsh(k, uint(k.BitLen()-kBits))
		k.SetBit(k, kBits-1, 1)
		p := new(big.Int).Mul(k, m)
		p.Add(p, new(big.Int).Exp(g, a, m))
		// Top two bits set so the product of two such primes has 2·bits bits.
		if p.BitLen() == bits && p.Bit(bits-2) == 1 && p.ProbablyPrime(20) {
			return p
		}
	}
}

func TestROCAPublishedPrints(t *testing.T) {
	// The first prints of the authors' detector (roca/detect.py), as
	// decimal bit sets over residues mod 3, 5, 7, 11, 13, 17, 19, 23.
	published := []int64{6, 30, 126, 1026, 5658, 107286, 199410, 8388606}
	f := newROCAFingerprint()
	if len(f.primes) != 38 || f.primes[0] != 3 || f.primes[37] != 167 {
		t.Fatalf("got %d test primes %v, want the 38 odd primes 3…167", len(f.primes), f.primes)
	}
	for i, want := range published {
		if got := int64(f.masks[i][0]); got != want {
			t.Errorf("print mod %d: got %d, want %d", f.primes[i], got, want)
		}
	}
}

func TestROCAMatches(t *testing.T) {
	f := newROCAFingerprint()
	tests := []struct {
		name string
		n    *big.Int
		want bool
	}{
		{name: "constructed 2048-bit vector", n: rocaModulus(t, 1024), want: true},
		{name: "65537 itself", n: big.NewInt(rocaGenerator), want: true},
		{name: "honest 2048-bit modulus", n: new(big.Int).Mul(mustPrime(t, 1024), mustPrime(t, 1024)), want: false},
		{name: "one", n: big.NewInt(1), want: true},
		{name: "zero is in no subgroup", n: big.NewInt(0), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.matches(tt.n); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestROCAFalsePositives(t *testing.T) {
	// Honest moduli from openssl must not match.
	f := newROCAFingerprint()
	for _, name := range []string{"rsa3072.pub.pem", "rsa4096.pub.pem"} {
		pub := readPublicKey(t, name)
		if f.matches(rsaModulus(t, pub)) {
			t.Errorf("%s: got a ROCA match, want none", name)
		}
	}
}
