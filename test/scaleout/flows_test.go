package scaleout

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
)

// responder answers http-01 for the flows from a token map, and for
// certbot and lego from files under a webroot.
type responder struct {
	port    int
	webroot string
	mu      sync.Mutex
	tokens  map[string]string
	files   http.Handler
}

func startResponder(t *testing.T) *responder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &responder{port: ln.Addr().(*net.TCPAddr).Port, webroot: t.TempDir(), tokens: map[string]string{}}
	r.files = http.FileServer(http.Dir(r.webroot))
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *responder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	const prefix = "/.well-known/acme-challenge/"
	if len(req.URL.Path) > len(prefix) && req.URL.Path[:len(prefix)] == prefix {
		r.mu.Lock()
		ka, ok := r.tokens[req.URL.Path[len(prefix):]]
		r.mu.Unlock()
		if ok {
			fmt.Fprint(w, ka)
			return
		}
	}
	r.files.ServeHTTP(w, req)
}

func (r *responder) set(token, ka string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tokens[token] = ka
}

// counts tallies responses by the instance that answered.
type counts struct {
	mu sync.Mutex
	by map[string]int
}

func (c *counts) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.by))
	for k, v := range c.by {
		out[k] = v
	}
	return out
}

type countingTransport struct {
	base http.RoundTripper
	c    *counts
}

func (ct countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(req)
	if err == nil {
		ct.c.mu.Lock()
		ct.c.by[resp.Header.Get("X-Quarry-Instance")]++
		ct.c.mu.Unlock()
	}
	return resp, err
}

// newClient is a client of the balancer whose every request opens a new
// connection, so round-robin spreads even one flow over every instance.
func (c *cluster) newClient(t *testing.T, cnt *counts) *client.Client {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return c.newClientKey(t, cnt, key)
}

// newClientKey is newClient with a given account key.
func (c *cluster) newClientKey(t *testing.T, cnt *counts, key *ecdsa.PrivateKey) *client.Client {
	t.Helper()
	hc := &http.Client{Timeout: 20 * time.Second, Transport: countingTransport{
		base: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.roots}, DisableKeepAlives: true},
		c:    cnt,
	}}
	cl, err := client.New(client.Options{
		DirectoryURL: c.publicURL + "/directory", Key: key, HTTPClient: hc, UserAgent: "scaleout-test",
		// Poll briskly: the server asks for a second between polls.
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(min(d, 150*time.Millisecond)):
				return nil
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// load runs total complete issuances over workers accounts, calling
// progress after each success; it returns the successes and the errors.
type load struct {
	c           *cluster
	resp        *responder
	cnt         *counts
	total       int
	workers     int
	flowTimeout time.Duration
	prefix      string
	progress    func(done int)
}

func (l *load) run(ctx context.Context, t *testing.T) (int, []error) {
	var next, done atomic.Int32
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for w := range l.workers {
		cl := l.c.newClient(t, l.cnt)
		wg.Go(func() {
			registered := false
			for {
				i := int(next.Add(1))
				if i > l.total {
					return
				}
				fctx, cancel := context.WithTimeout(ctx, l.flowTimeout)
				var err error
				if !registered {
					_, err = cl.Register(fctx, acme.Account{TermsOfServiceAgreed: true}, nil)
					registered = err == nil
				}
				if err == nil {
					err = l.flow(fctx, cl, fmt.Sprintf("%s%d-w%d.scale.quarry.test", l.prefix, i, w))
				}
				cancel()
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("flow %d: %w", i, err))
					mu.Unlock()
					continue
				}
				n := int(done.Add(1))
				if l.progress != nil {
					l.progress(n)
				}
			}
		})
	}
	wg.Wait()
	return int(done.Load()), errs
}

// flow orders one name, answers http-01, finalizes, downloads and checks
// the certificate.
func (l *load) flow(ctx context.Context, cl *client.Client, name string) error {
	o, err := l.authorize(ctx, cl, name)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}, DNSNames: []string{name}}, key)
	if err != nil {
		return err
	}
	fo, err := cl.Finalize(ctx, o.Finalize, csr)
	if err != nil {
		return fmt.Errorf("finalize: %w", err)
	}
	if fo.Certificate == "" {
		if fo, err = cl.WaitOrder(ctx, o.URL); err != nil {
			return fmt.Errorf("wait order after finalize: %w", err)
		}
	}
	cert, err := cl.FetchCertificate(ctx, fo.Certificate)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	inter := x509.NewCertPool()
	for _, c := range cert.Chain[1:] {
		inter.AddCert(c)
	}
	if _, err := cert.Chain[0].Verify(x509.VerifyOptions{DNSName: name, Roots: l.c.roots, Intermediates: inter}); err != nil {
		return fmt.Errorf("verifying the certificate for %s: %w", name, err)
	}
	return nil
}

// authorize orders one name and answers http-01 until the order is ready.
func (l *load) authorize(ctx context.Context, cl *client.Client, name string) (*client.Order, error) {
	o, err := cl.NewOrder(ctx, acme.NewOrderRequest{Identifiers: []acme.Identifier{{Type: acme.IdentifierDNS, Value: name}}})
	if err != nil {
		return nil, fmt.Errorf("new order: %w", err)
	}
	for _, u := range o.Authorizations {
		az, err := cl.GetAuthorization(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("authorization: %w", err)
		}
		var ch *acme.Challenge
		for i := range az.Challenges {
			if az.Challenges[i].Type == acme.ChallengeHTTP01 {
				ch = &az.Challenges[i]
			}
		}
		if ch == nil {
			return nil, fmt.Errorf("no http-01 challenge for %s", name)
		}
		ka, err := cl.KeyAuthorization(ch.Token)
		if err != nil {
			return nil, err
		}
		l.resp.set(ch.Token, ka)
		if _, err := cl.Accept(ctx, *ch); err != nil {
			return nil, fmt.Errorf("accept: %w", err)
		}
		if _, err := cl.WaitAuthorization(ctx, u); err != nil {
			return nil, fmt.Errorf("wait authorization: %w", err)
		}
	}
	if _, err := cl.WaitOrder(ctx, o.URL); err != nil {
		return nil, fmt.Errorf("wait order: %w", err)
	}
	return o, nil
}
