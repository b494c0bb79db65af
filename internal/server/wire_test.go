package server_test

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/jose"
)

// TestWireHeaders walks one issuance with bare HTTP and checks what RFC 8555
// asks of every response on the way, the things real clients rely on:
// status codes, Content-Type, Location, Link rel="index" and "up",
// Replay-Nonce, Retry-After while work is pending, POST-as-GET, the
// account's orders list, and problem documents with subproblems.
func TestWireHeaders(t *testing.T) {
	e := startEnv(t, nil)
	r := newRaw(t, e)
	index := fmt.Sprintf("<%s/directory>;rel=\"index\"", r.base)
	type want struct {
		status      int
		contentType string
		location    string // "any" for non-empty
		links       []string
		retryAfter  bool
	}
	check := func(t *testing.T, what string, resp rawResp, w want) {
		t.Helper()
		if resp.StatusCode != w.status {
			t.Errorf("%s: got status %d, want %d (%s)", what, resp.StatusCode, w.status, resp.body)
		}
		if got := resp.Header.Get("Content-Type"); got != w.contentType {
			t.Errorf("%s: got Content-Type %q, want %q", what, got, w.contentType)
		}
		if got := resp.Header.Get("Location"); (w.location == "any" && got == "") || (w.location != "any" && got != w.location) {
			t.Errorf("%s: got Location %q, want %q", what, got, w.location)
		}
		links := resp.Header.Values("Link")
		for _, l := range append([]string{index}, w.links...) {
			if !slices.Contains(links, l) {
				t.Errorf("%s: got Link headers %q, want one %s", what, links, l)
			}
		}
		if got := resp.Header.Get("Retry-After"); (got != "") != w.retryAfter {
			t.Errorf("%s: got Retry-After %q, want one: %v", what, got, w.retryAfter)
		}
		if resp.Header.Get("Replay-Nonce") == "" {
			t.Errorf("%s: got no Replay-Nonce, want one on every response", what)
		}
	}
	postAsGet := func(url string) rawResp { return r.post(url, r.sign(r.key, r.kid, url, nil)) }
	post := func(url, payload string) rawResp { return r.post(url, r.sign(r.key, r.kid, url, []byte(payload))) }
	const jsonType, problemType = "application/json", "application/problem+json"

	// newNonce: HEAD 200, GET 204, neither cached (RFC 8555 section 7.2).
	for method, status := range map[string]int{http.MethodHead: http.StatusOK, http.MethodGet: http.StatusNoContent} {
		req, _ := http.NewRequest(method, r.dir.NewNonce, nil)
		resp := r.do(req)
		check(t, method+" newNonce", resp, want{status: status})
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s newNonce: got Cache-Control %q, want no-store", method, got)
		}
	}

	// newAccount for a known key: 200 and the same account's URL.
	again := r.post(r.dir.NewAccount, r.sign(r.key, "", r.dir.NewAccount, []byte(`{"termsOfServiceAgreed":true}`)))
	check(t, "newAccount again", again, want{status: http.StatusOK, contentType: jsonType, location: r.kid})
	var acct acme.Account
	if err := json.Unmarshal(again.body, &acct); err != nil || acct.Orders == "" {
		t.Fatalf("account: got %s (%v), want an orders URL", again.body, err)
	}
	check(t, "account POST-as-GET", postAsGet(r.kid), want{status: http.StatusOK, contentType: jsonType, location: r.kid})

	name := "wire.quarry.test"
	created := post(r.dir.NewOrder, `{"identifiers":[{"type":"dns","value":"`+name+`"}]}`)
	check(t, "newOrder", created, want{status: http.StatusCreated, contentType: jsonType, location: "any"})
	orderURL := created.Header.Get("Location")
	var order acme.Order
	mustJSON(t, created.body, &order)

	authzResp := postAsGet(order.Authorizations[0])
	check(t, "pending authorization", authzResp, want{status: http.StatusOK, contentType: jsonType, retryAfter: true})
	var az acme.Authorization
	mustJSON(t, authzResp.body, &az)
	var ch acme.Challenge
	for _, c := range az.Challenges {
		if c.Type == "http-01" {
			ch = c
		}
	}
	if ch.URL == "" {
		t.Fatalf("authorization offers no http-01: %s", authzResp.body)
	}
	e.mu.Lock()
	e.http01[ch.Token] = keyAuth(t, r, ch.Token)
	e.mu.Unlock()

	up := fmt.Sprintf("<%s>;rel=\"up\"", order.Authorizations[0])
	check(t, "challenge POST-as-GET", postAsGet(ch.URL), want{status: http.StatusOK, contentType: jsonType, links: []string{up}, retryAfter: true})
	// The challenge POST waits briefly for the validation, so it may
	// already answer valid; only a challenge still in flight says when to poll.
	answered := post(ch.URL, `{}`)
	var got acme.Challenge
	mustJSON(t, answered.body, &got)
	check(t, "challenge response", answered, want{status: http.StatusOK, contentType: jsonType, links: []string{up},
		retryAfter: got.Status == acme.StatusPending || got.Status == acme.StatusProcessing})
	poll(t, func() bool {
		mustJSON(t, postAsGet(order.Authorizations[0]).body, &az)
		return az.Status == acme.StatusValid
	})
	check(t, "valid authorization", postAsGet(order.Authorizations[0]), want{status: http.StatusOK, contentType: jsonType})

	key := ecKey()
	csr := base64.RawURLEncoding.EncodeToString(csrFor(t, key, name))
	finalized := post(order.Finalize, `{"csr":"`+csr+`"}`)
	mustJSON(t, finalized.body, &order)
	check(t, "finalize", finalized, want{status: http.StatusOK, contentType: jsonType, location: orderURL,
		retryAfter: order.Status == acme.StatusProcessing})
	poll(t, func() bool {
		mustJSON(t, postAsGet(orderURL).body, &order)
		return order.Status == acme.StatusValid
	})
	check(t, "valid order", postAsGet(orderURL), want{status: http.StatusOK, contentType: jsonType, location: orderURL})

	cert := postAsGet(order.Certificate)
	check(t, "certificate", cert, want{status: http.StatusOK, contentType: "application/pem-certificate-chain"})
	if n := strings.Count(string(cert.body), "BEGIN CERTIFICATE"); n < 2 {
		t.Errorf("certificate: got %d PEM certificates, want the leaf and its chain", n)
	}

	list := postAsGet(acct.Orders)
	check(t, "orders list", list, want{status: http.StatusOK, contentType: jsonType})
	var orders acme.OrderList
	mustJSON(t, list.body, &orders)
	if !slices.Contains(orders.Orders, orderURL) {
		t.Errorf("orders list: got %q, want it to hold %s", orders.Orders, orderURL)
	}
	check(t, "orders list with a payload", post(acct.Orders, `{}`), want{status: http.StatusBadRequest, contentType: problemType})
	check(t, "order with a payload", post(orderURL, `{}`), want{status: http.StatusBadRequest, contentType: problemType})

	// Several refused names: one problem whose subproblems name each
	// identifier (RFC 8555 section 6.7.1).
	bad := post(r.dir.NewOrder, `{"identifiers":[{"type":"dns","value":"-a.quarry.test"},{"type":"dns","value":"b_.quarry.test"}]}`)
	check(t, "order for bad names", bad, want{status: http.StatusBadRequest, contentType: problemType})
	var prob acme.Problem
	mustJSON(t, bad.body, &prob)
	var ids []string
	for _, sp := range prob.Subproblems {
		if sp.Identifier != nil {
			ids = append(ids, sp.Identifier.Value)
		}
	}
	if !slices.Equal(ids, []string{"-a.quarry.test", "b_.quarry.test"}) {
		t.Errorf("order for bad names: got subproblem identifiers %q in %s, want both names", ids, bad.body)
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

// poll waits up to 10 s for done.
func poll(t *testing.T, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting after 10s")
		}
	}
}

func keyAuth(t *testing.T, r *raw, token string) string {
	t.Helper()
	tp, err := acme.Thumbprint(r.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return token + "." + tp
}

// TestWireKeyChangeAndDeactivation checks account key rollover and
// deactivation as uacme and dehydrated use them (RFC 8555 sections 7.3.5
// and 7.3.6): the new key works and the old one no longer does, a key
// another account holds is refused with 409 and that account's URL, and a
// deactivated account is refused as unauthorized.
func TestWireKeyChangeAndDeactivation(t *testing.T) {
	e := startEnv(t, nil)
	a, b := newRaw(t, e), newRaw(t, e)
	const problemType = "application/problem+json"
	status := func(t *testing.T, what string, resp rawResp, wantStatus int, wantType string) {
		t.Helper()
		if resp.StatusCode != wantStatus {
			t.Errorf("%s: got status %d, want %d (%s)", what, resp.StatusCode, wantStatus, resp.body)
		}
		if wantType != "" && !strings.Contains(string(resp.body), `"urn:ietf:params:acme:error:`+wantType+`"`) {
			t.Errorf("%s: got %s, want a %s problem", what, resp.body, wantType)
		}
		if ct := resp.Header.Get("Content-Type"); wantStatus >= 400 && ct != problemType {
			t.Errorf("%s: got Content-Type %q, want %s", what, ct, problemType)
		}
	}
	keyChange := func(r *raw, newKey crypto.Signer) rawResp {
		inner, err := jose.SignKeyChange(newKey, r.kid, r.key.Public(), r.dir.KeyChange)
		if err != nil {
			t.Fatal(err)
		}
		return r.post(r.dir.KeyChange, r.sign(r.key, r.kid, r.dir.KeyChange, inner))
	}

	oldKey, newKey := a.key, ecKey()
	rolled := keyChange(a, newKey)
	status(t, "key change", rolled, http.StatusOK, "")
	if got := rolled.Header.Get("Location"); got != a.kid {
		t.Errorf("key change: got Location %q, want %s", got, a.kid)
	}
	a.key = newKey
	status(t, "account with the new key", a.post(a.kid, a.sign(newKey, a.kid, a.kid, nil)), http.StatusOK, "")
	if resp := a.post(a.kid, a.sign(oldKey, a.kid, a.kid, nil)); resp.StatusCode == http.StatusOK {
		t.Errorf("account with the old key: got 200, want it refused: %s", resp.body)
	}
	found := a.post(a.dir.NewAccount, a.sign(newKey, "", a.dir.NewAccount, []byte(`{"onlyReturnExisting":true}`)))
	status(t, "lookup by the new key", found, http.StatusOK, "")
	if got := found.Header.Get("Location"); got != a.kid {
		t.Errorf("lookup by the new key: got Location %q, want %s", got, a.kid)
	}

	taken := keyChange(b, newKey)
	status(t, "key change to a key in use", taken, http.StatusConflict, "")
	if got := taken.Header.Get("Location"); got != a.kid {
		t.Errorf("key change to a key in use: got Location %q, want the holder %s", got, a.kid)
	}

	gone := a.post(a.kid, a.sign(newKey, a.kid, a.kid, []byte(`{"status":"deactivated"}`)))
	status(t, "deactivate", gone, http.StatusOK, "")
	var acct acme.Account
	mustJSON(t, gone.body, &acct)
	if acct.Status != acme.StatusDeactivated {
		t.Errorf("deactivate: got status %q, want deactivated", acct.Status)
	}
	status(t, "deactivated account POST-as-GET", a.post(a.kid, a.sign(newKey, a.kid, a.kid, nil)), http.StatusForbidden, "unauthorized")
	status(t, "new order by a deactivated account",
		a.post(a.dir.NewOrder, a.sign(newKey, a.kid, a.dir.NewOrder, []byte(`{"identifiers":[{"type":"dns","value":"x.quarry.test"}]}`))),
		http.StatusForbidden, "unauthorized")
	status(t, "newAccount with a deactivated account's key",
		a.post(a.dir.NewAccount, a.sign(newKey, "", a.dir.NewAccount, []byte(`{"termsOfServiceAgreed":true}`))),
		http.StatusForbidden, "unauthorized")
}
