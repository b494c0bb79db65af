package policy

import (
	"math/big"
	"testing"
)

func TestFermatFactorable(t *testing.T) {
	p := mustPrime(t, 1024)
	mul := func(gapBits uint) *big.Int {
		q := nextPrime(new(big.Int).Add(p, new(big.Int).Lsh(big.NewInt(1), gapBits)))
		return new(big.Int).Mul(p, q)
	}
	tests := []struct {
		name string
		n    *big.Int
		want bool
	}{
		{name: "square of a prime", n: new(big.Int).Mul(p, p), want: true},
		{name: "gap 2^16", n: mul(16), want: true},
		{name: "gap 2^512", n: mul(512), want: true},
		// 100 rounds reach |p−q| of about 2^517 for 2048-bit moduli.
		{name: "gap 2^530", n: mul(530), want: false},
		{name: "independent primes", n: new(big.Int).Mul(p, mustPrime(t, 1024)), want: false},
		{name: "prime, no factors", n: nextPrime(p), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fermatFactorable(tt.n, fermatRounds); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrimorial(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  int64
	}{
		{name: "below 2", limit: 2, want: 1},
		{name: "below 10", limit: 10, want: 2 * 3 * 5 * 7},
		{name: "below 30", limit: 30, want: 6469693230},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := primorial(tt.limit); got.Cmp(big.NewInt(tt.want)) != 0 {
				t.Fatalf("got %v, want %d", got, tt.want)
			}
		})
	}
	// The smallest and largest primes under the limit must divide it.
	prod := primorial(smallPrimeLimit)
	for _, f := range []int64{2, 3, 991, 997} {
		if new(big.Int).Mod(prod, big.NewInt(f)).Sign() != 0 {
			t.Errorf("got primorial(%d) not divisible by %d, want divisible", smallPrimeLimit, f)
		}
	}
}

func TestIsSquareMod64(t *testing.T) {
	for x := int64(0); x < 5000; x++ {
		sq := big.NewInt(x * x)
		if !isSquareMod64(sq) {
			t.Fatalf("got %d² = %d filtered out, want kept", x, x*x)
		}
	}
}
