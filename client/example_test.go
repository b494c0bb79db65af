package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log"
	"net/http"
	"sync"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
)

// Obtain a certificate for two names, answering http-01 from this process.
func Example_obtainCertificate() {
	ctx := context.Background()
	accountKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c, err := client.New(client.Options{DirectoryURL: "https://quarry.internal:14000/dir", Key: accountKey})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Register(ctx, acme.Account{Contact: []string{"mailto:ops@example.com"}, TermsOfServiceAgreed: true}, nil); err != nil {
		log.Fatal(err)
	}

	// The http-01 responder: port 80 of every name must reach it.
	var tokens sync.Map // path → key authorization
	go http.ListenAndServe(":80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ka, ok := tokens.Load(r.URL.Path); ok {
			fmt.Fprint(w, ka)
		}
	}))

	names := []string{"example.com", "www.example.com"}
	var ids []acme.Identifier
	for _, n := range names {
		ids = append(ids, acme.Identifier{Type: acme.IdentifierDNS, Value: n})
	}
	order, err := c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: ids})
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range order.Authorizations {
		authz, err := c.GetAuthorization(ctx, u)
		if err != nil {
			log.Fatal(err)
		}
		if authz.Status == acme.StatusValid {
			continue // reused from an earlier order
		}
		for _, ch := range authz.Challenges {
			if ch.Type != acme.ChallengeHTTP01 {
				continue
			}
			ka, _ := c.KeyAuthorization(ch.Token)
			tokens.Store(acme.HTTP01Path(ch.Token), ka)
			if _, err := c.Accept(ctx, ch); err != nil {
				log.Fatal(err)
			}
		}
		if _, err := c.WaitAuthorization(ctx, u); err != nil {
			log.Fatal(err) // the *client.Error says what the server saw
		}
	}

	certKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: names}, certKey)
	if _, err := c.WaitOrder(ctx, order.URL); err != nil {
		log.Fatal(err)
	}
	if _, err := c.Finalize(ctx, order.Finalize, csr); err != nil {
		log.Fatal(err)
	}
	order, err = c.WaitOrder(ctx, order.URL)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := c.FetchCertificate(ctx, order.Certificate)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", cert.PEM) // leaf first, then the issuers
}
