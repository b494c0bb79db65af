package core

import "time"

// CRL is one signed shard of an issuer's certificate revocation list, as
// published.
type CRL struct {
	IssuerID   string
	Shard      int
	Number     int64
	DER        []byte
	ThisUpdate time.Time
	NextUpdate time.Time
}
