package ca

import (
	"fmt"
	"io"
	"math/big"
)

// serialPrefix leads every serial so the DER integer is always 17 bytes,
// positive, and never needs a leading zero, whatever the random bytes are;
// serials then print as 34 lower-case hex digits.
const serialPrefix = 0x51

// newSerial returns a serial carrying 128 bits from r.
func newSerial(r io.Reader) (*big.Int, error) {
	var b [17]byte
	b[0] = serialPrefix
	if _, err := io.ReadFull(r, b[1:]); err != nil {
		return nil, fmt.Errorf("reading serial entropy: %w", err)
	}
	return new(big.Int).SetBytes(b[:]), nil
}

// serialHex is the lower-case hex form stored and shown everywhere.
func serialHex(n *big.Int) string { return n.Text(16) }

// crlShard is the CRL shard a serial belongs to. It uses only the random
// bits, so shards fill evenly, and a CRL generator can recompute it.
func crlShard(serial *big.Int, shards int) int {
	return int(new(big.Int).Mod(serial, big.NewInt(int64(shards))).Int64())
}
