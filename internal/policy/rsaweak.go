package policy

import "math/big"

const (
	// smallPrimeLimit bounds trial division of RSA moduli.
	smallPrimeLimit = 1000
	// fermatRounds is how far Fermat's method searches past √N, as
	// Boulder's goodkey does: enough to catch primes generated close
	// together (|p−q| up to about 2^517 for 2048-bit keys).
	fermatRounds = 100
	// squaresMod64 has bit r set when r is a square mod 64: a cheap filter
	// before the exact square root.
	squaresMod64 = 1<<0 | 1<<1 | 1<<4 | 1<<9 | 1<<16 | 1<<17 | 1<<25 | 1<<33 | 1<<36 | 1<<41 | 1<<49 | 1<<57
)

// check returns why the modulus n is weak, or "" when it passes.
func (w weakModulus) check(n *big.Int) string {
	if new(big.Int).GCD(nil, nil, n, w.smallPrimes).Cmp(big.NewInt(1)) != 0 {
		return "the modulus has a prime factor smaller than 1000"
	}
	if fermatFactorable(n, fermatRounds) {
		return "the modulus's prime factors are so close together that Fermat's method factors it"
	}
	if w.roca.matches(n) {
		return "the modulus has the fingerprint of the Infineon key generator flaw (ROCA, CVE-2017-15361)"
	}
	return ""
}

// primorial returns the product of the primes below limit.
func primorial(limit int) *big.Int {
	composite := make([]bool, limit)
	prod := big.NewInt(1)
	for i := 2; i < limit; i++ {
		if composite[i] {
			continue
		}
		prod.Mul(prod, big.NewInt(int64(i)))
		for j := i * i; j < limit; j += i {
			composite[j] = true
		}
	}
	return prod
}

// fermatFactorable runs Fermat's factorization for the given rounds: with
// a starting at ⌈√n⌉, n = a² − b² = (a−b)(a+b) as soon as a² − n is a
// perfect square.
func fermatFactorable(n *big.Int, rounds int) bool {
	a := new(big.Int).Sqrt(n)
	b2 := new(big.Int).Mul(a, a)
	if b2.Cmp(n) < 0 {
		a.Add(a, big.NewInt(1))
		b2.Mul(a, a)
	}
	b2.Sub(b2, n)
	b, sq, twoA1 := new(big.Int), new(big.Int), new(big.Int)
	for range rounds {
		if isSquareMod64(b2) {
			b.Sqrt(b2)
			if sq.Mul(b, b).Cmp(b2) == 0 && new(big.Int).Sub(a, b).Cmp(big.NewInt(1)) > 0 {
				return true
			}
		}
		// (a+1)² − n = (a² − n) + 2a + 1
		twoA1.Lsh(a, 1).Add(twoA1, big.NewInt(1))
		b2.Add(b2, twoA1)
		a.Add(a, big.NewInt(1))
	}
	return false
}

func isSquareMod64(x *big.Int) bool {
	words := x.Bits()
	if len(words) == 0 {
		return true
	}
	return squaresMod64&(uint64(1)<<(uint64(words[0])&63)) != 0
}
