package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/config"
)

// TestCAASwitchOff: with policy.check-caa false, a CAA record naming
// another CA does not stop issuance (TestCAAEndToEnd shows it does when on).
func TestCAASwitchOff(t *testing.T) {
	off := false
	e := startEnv(t, func(c *config.Config) {
		c.ACME.CAAIdentities = []string{"quarry.test"}
		c.Policy.CheckCAA = &off
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e.dns.SetCAA("nocaa.quarry.test", &dns.CAA{Tag: "issue", Value: "ca.example"})
	c := e.own(t, ctx)
	e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: dnsIDs("www.nocaa.quarry.test")}, acme.ChallengeHTTP01, ecKey())
}
