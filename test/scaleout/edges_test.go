package scaleout

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/jose"
)

// finalizeRounds is how many orders are finalized twice at once.
const finalizeRounds = 10

// conn is one kept-alive connection to a base URL: through the balancer
// it stays on the instance round-robin gave it, so a nonce fetched on it
// and the request signed with that nonce land on one instance.
type conn struct {
	base string
	hc   *http.Client
}

func (c *cluster) dial(base, source string) *conn {
	d := &net.Dialer{}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	return &conn{base: base, hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: c.roots}, DialContext: d.DialContext, MaxConnsPerHost: 1,
	}}}
}

// reply is what the tests look at in an answer.
type reply struct {
	status     int
	instance   string
	retryAfter string
	location   string
	problem    acme.Problem
	body       []byte
}

func (cn *conn) do(ctx context.Context, method, path string, body []byte) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, cn.base+path, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/jose+json")
	}
	res, err := cn.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	r := reply{status: res.StatusCode, instance: res.Header.Get("X-Quarry-Instance"),
		retryAfter: res.Header.Get("Retry-After"), location: res.Header.Get("Location")}
	if r.body, err = io.ReadAll(res.Body); err != nil {
		return reply{}, err
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		if err := json.Unmarshal(r.body, &r.problem); err != nil {
			return reply{}, fmt.Errorf("%s %s: a problem document that does not parse: %q", method, path, r.body)
		}
	}
	return r, nil
}

// nonce fetches a nonce on this connection.
func (cn *conn) nonce(ctx context.Context) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, cn.base+"/acme/new-nonce", nil)
	if err != nil {
		return "", "", err
	}
	res, err := cn.hc.Do(req)
	if err != nil {
		return "", "", err
	}
	res.Body.Close()
	n := res.Header.Get("Replay-Nonce")
	if n == "" {
		return "", "", fmt.Errorf("new-nonce answered %d without a nonce", res.StatusCode)
	}
	return n, res.Header.Get("X-Quarry-Instance"), nil
}

// together runs f(0) … f(n-1) at once: each prepares, then all send
// together, so the requests meet on the instances at the same moment.
func together(n int, prepare func(i int) error, send func(i int)) error {
	errs := make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			errs[i] = prepare(i)
			ready.Done()
			<-start
			if errs[i] == nil {
				send(i)
			}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// testRegistrationLimit sends registrations from limitedSource through the
// balancer, each on its own connection so they spread over the instances,
// all at once: exactly registrationLimit succeed and the rest are refused
// with rateLimited and Retry-After, so the instances count against one
// limit in the database rather than one each.
func testRegistrationLimit(ctx context.Context, t *testing.T, c *cluster) {
	const attempts = registrationLimit + 3
	newAccount := c.publicURL + "/acme/new-account"
	replies := make([]reply, attempts)
	sendErrs := make([]error, attempts)
	bodies := make([][]byte, attempts)
	conns := make([]*conn, attempts)
	err := together(attempts, func(i int) error {
		conns[i] = c.dial(c.publicURL, limitedSource)
		nonce, _, err := conns[i].nonce(ctx)
		if err != nil {
			return err
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		bodies[i], err = jose.Sign(key, "", nonce, newAccount, []byte(`{"termsOfServiceAgreed":true}`))
		return err
	}, func(i int) {
		replies[i], sendErrs[i] = conns[i].do(ctx, http.MethodPost, "/acme/new-account", bodies[i])
	})
	if err != nil {
		t.Fatalf("preparing the registrations: %v", err)
	}
	created, limited := map[string]int{}, map[string]int{}
	for i, r := range replies {
		switch {
		case sendErrs[i] != nil:
			t.Errorf("registration %d: %v", i, sendErrs[i])
		case r.status == http.StatusCreated:
			created[r.instance]++
		case r.status == http.StatusTooManyRequests && r.problem.Type == acme.ProblemRateLimited:
			limited[r.instance]++
			checkRetryAfter(t, i, r)
		default:
			t.Errorf("registration %d: got %d %s %q from %s, want 201 or 429 rateLimited", i, r.status, r.problem.Type, r.problem.Detail, r.instance)
		}
	}
	t.Logf("from %s: created by instance %v, rate limited by instance %v", limitedSource, created, limited)
	if got := total(created); got != registrationLimit {
		t.Errorf("got %d accounts created, want exactly %d (NewRegistrationsPerIPAddress)", got, registrationLimit)
	}
	if got := total(limited); got != attempts-registrationLimit {
		t.Errorf("got %d rateLimited answers, want exactly %d", got, attempts-registrationLimit)
	}
	answered := map[string]bool{}
	for _, r := range replies {
		answered[r.instance] = true
	}
	for _, inst := range c.instances {
		if !answered[inst.id] {
			t.Errorf("%s answered none of the %d registrations, want them spread over every instance", inst.id, attempts)
		}
	}
	// A registration from another address is not held back by this one's.
	cn := c.dial(c.publicURL, "")
	nonce, _, err := cn.nonce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	body, err := jose.Sign(key, "", nonce, newAccount, []byte(`{"termsOfServiceAgreed":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := cn.do(ctx, http.MethodPost, "/acme/new-account", body); err != nil || r.status != http.StatusCreated {
		t.Errorf("registration from 127.0.0.1 after %s's were refused: got %d %s (%v), want 201", limitedSource, r.status, r.problem.Type, err)
	}
}

// checkRetryAfter wants a Retry-After of about the time one registration
// takes to come back (3h / registrationLimit, the registrations having
// been spent a moment ago; at most a second more, as Quarry rounds the
// moment up to a whole second), and a detail naming the limit.
func checkRetryAfter(t *testing.T, i int, r reply) {
	t.Helper()
	refill := int((3 * time.Hour / registrationLimit) / time.Second)
	secs, err := strconv.Atoi(r.retryAfter)
	if err != nil || secs < refill-60 || secs > refill+1 {
		t.Errorf("registration %d: got Retry-After %q, want whole seconds in %d..%d", i, r.retryAfter, refill-60, refill+1)
	}
	if !strings.Contains(r.problem.Detail, "NewRegistrationsPerIPAddress") {
		t.Errorf("registration %d: got detail %q, want it to name NewRegistrationsPerIPAddress", i, r.problem.Detail)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// testConcurrentFinalize finalizes each of finalizeRounds ready orders on
// two instances at the same moment, straight to the instances past the
// balancer: one request gets the valid order, the other 403 orderNotReady
// (RFC 8555 §7.4: the order is no longer ready), and exactly one
// certificate is issued for the order.
func testConcurrentFinalize(ctx context.Context, t *testing.T, c *cluster, resp *responder) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cl := c.newClientKey(t, &counts{by: map[string]int{}}, key)
	if _, err := cl.Register(ctx, acme.Account{TermsOfServiceAgreed: true}, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	kid := cl.AccountURL()
	l := &load{c: c, resp: resp}
	wins, losers := map[string]int{}, map[string]int{}
	for round := range finalizeRounds {
		name := fmt.Sprintf("race%d.scale.quarry.test", round)
		o, err := l.authorize(ctx, cl, name)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		csr := newCSR(t, name)
		payload, _ := json.Marshal(map[string]string{"csr": base64.RawURLEncoding.EncodeToString(csr)})
		pair := []*instance{c.instances[round%len(c.instances)], c.instances[(round+1)%len(c.instances)]}
		conns, bodies, replies, errs := make([]*conn, 2), make([][]byte, 2), make([]reply, 2), make([]error, 2)
		finalizePath := strings.TrimPrefix(o.Finalize, c.publicURL)
		err = together(2, func(i int) error {
			conns[i] = c.dial("https://"+pair[i].acmeAddr, "")
			nonce, _, err := conns[i].nonce(ctx)
			if err != nil {
				return err
			}
			// The JWS names the public URL, wherever the request lands.
			bodies[i], err = jose.Sign(key, kid, nonce, o.Finalize, payload)
			return err
		}, func(i int) {
			replies[i], errs[i] = conns[i].do(ctx, http.MethodPost, finalizePath, bodies[i])
		})
		if err != nil {
			t.Fatalf("round %d: preparing: %v", round, err)
		}
		winner, loser := checkOneFinalize(t, round, pair, replies, errs)
		if winner != "" {
			wins[winner]++
			losers[loser]++
		}
		final, err := cl.GetOrder(ctx, o.URL)
		if err != nil {
			t.Fatalf("round %d: fetching the order: %v", round, err)
		}
		if final.Status != acme.StatusValid || final.Certificate == "" {
			t.Errorf("round %d: got order %s with certificate %q, want valid with one", round, final.Status, final.Certificate)
		}
		// Signed counts what the CA signed, stored or not.
		if got := c.logged(`msg="certificate signed"`, "names="+name); got != 1 {
			t.Errorf("round %d: got %d certificates signed for %s, want exactly 1", round, got, name)
		}
		if got := c.logged(`msg="certificate issued"`, "order="+path.Base(o.URL)); got != 1 {
			t.Errorf("round %d: got %d certificates issued for order %s, want exactly 1", round, got, o.URL)
		}
	}
	t.Logf("%d orders finalized twice at once; the winning finalize by instance: %v; the other's detail: %v", finalizeRounds, wins, losers)
	// A loser that found the order valid came after the winner had
	// finished: if every one did, the requests never overlapped and the
	// race was not tested.
	overlapped := 0
	for detail, n := range losers {
		if !strings.Contains(detail, "valid") {
			overlapped += n
		}
	}
	if overlapped == 0 {
		t.Errorf("in no round did the two finalizes overlap (the other always found the order valid), want at least one race")
	}
}

// checkOneFinalize wants one finalize answered 200 with the valid order
// and the other 403 orderNotReady; it returns the winner's instance and
// the loser's detail.
func checkOneFinalize(t *testing.T, round int, pair []*instance, replies []reply, errs []error) (string, string) {
	t.Helper()
	var ok, refused []int
	for i, r := range replies {
		switch {
		case errs[i] != nil:
			t.Errorf("round %d: finalize on %s: %v", round, pair[i].id, errs[i])
		case r.instance != pair[i].id:
			t.Errorf("round %d: finalize sent to %s answered by %q", round, pair[i].id, r.instance)
		case r.status == http.StatusOK:
			ok = append(ok, i)
		case r.status == http.StatusForbidden && r.problem.Type == acme.ProblemOrderNotReady:
			refused = append(refused, i)
		default:
			t.Errorf("round %d: finalize on %s: got %d %s %q, want 200 or 403 orderNotReady", round, pair[i].id, r.status, r.problem.Type, r.problem.Detail)
		}
	}
	if len(ok) != 1 || len(refused) != 1 {
		t.Errorf("round %d: got %d finalizes answered 200 and %d orderNotReady, want one of each", round, len(ok), len(refused))
		return "", ""
	}
	var o acme.Order
	if err := json.Unmarshal(replies[ok[0]].body, &o); err != nil || o.Status != acme.StatusValid || o.Certificate == "" {
		t.Errorf("round %d: the winning finalize answered %s, want the valid order with its certificate", round, replies[ok[0]].body)
	}
	return pair[ok[0]].id, replies[refused[0]].problem.Detail
}

// logged counts the log lines of every instance that hold msg and the
// field (key=value) exactly.
func (c *cluster) logged(msg, field string) int {
	n := 0
	for _, inst := range c.instances {
		for line := range strings.Lines(inst.proc.Output()) {
			if strings.Contains(line, msg) && slices.Contains(strings.Fields(line), field) {
				n++
			}
		}
	}
	return n
}

func newCSR(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}, DNSNames: []string{name}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}
