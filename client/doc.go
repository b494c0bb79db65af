// Package client is Quarry's ACME (RFC 8555) client library, used by mason,
// acmeload and any Go program that wants certificates from an ACME server.
//
// One Client talks to one server with one account key. It has one
// context-first method per ACME resource (accounts, orders, authorizations,
// challenges, certificates, revocation, key rollover and RFC 9773 renewal
// information) and hides the protocol's plumbing: a pool of anti-replay
// nonces fed by every response, automatic retry on badNonce, POST-as-GET for
// every read, Retry-After honoured when polling and when the server says it
// is busy, and problem documents returned as *Error.
//
// Obtaining a certificate with http-01 looks like this (errors elided):
//
//	c, _ := client.New(client.Options{DirectoryURL: dirURL, Key: accountKey})
//	c.Register(ctx, acme.Account{TermsOfServiceAgreed: true}, nil)
//	o, _ := c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: ids})
//	for _, u := range o.Authorizations {
//		a, _ := c.GetAuthorization(ctx, u)
//		if a.Status == acme.StatusValid {
//			continue
//		}
//		ch := pick(a.Challenges, acme.ChallengeHTTP01)
//		ka, _ := c.KeyAuthorization(ch.Token)
//		serve(acme.HTTP01Path(ch.Token), ka) // your http-01 solver
//		c.Accept(ctx, ch)
//		c.WaitAuthorization(ctx, u)
//	}
//	c.WaitOrder(ctx, o.URL)
//	c.Finalize(ctx, o.Finalize, csrDER)
//	o, _ = c.WaitOrder(ctx, o.URL)
//	cert, _ := c.FetchCertificate(ctx, o.Certificate)
//
// Example_obtainCertificate in example_test.go is the same flow in full.
//
// The package imports the acme wire types, internal/jose for JWS signing and
// internal/core for error kinds, and never a server package.
package client
