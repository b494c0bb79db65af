package server_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/jose"
)

// raw is a bare-HTTP ACME speaker for sending requests no real client
// would: it signs with internal/jose and lets each case break things.
type raw struct {
	t    *testing.T
	http *http.Client
	dir  acme.Directory
	base string
	key  crypto.Signer
	kid  string
}

func newRaw(t *testing.T, e *env) *raw {
	r := &raw{t: t, http: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.roots}}}}
	resp, err := r.http.Get(e.srv.DirectoryURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&r.dir); err != nil {
		t.Fatal(err)
	}
	r.base = strings.TrimSuffix(e.srv.DirectoryURL(), "/directory")
	r.key = ecKey()
	// Register with the well-formed path so kid cases have an account.
	resp2 := r.post(r.dir.NewAccount, r.sign(r.key, "", r.dir.NewAccount, []byte(`{"termsOfServiceAgreed":true}`)))
	if resp2.StatusCode != http.StatusCreated {
		t.Fatalf("register: got %d %s", resp2.StatusCode, resp2.body)
	}
	r.kid = resp2.Header.Get("Location")
	return r
}

type rawResp struct {
	*http.Response
	body []byte
}

func (r *raw) nonce() string {
	resp, err := r.http.Head(r.dir.NewNonce)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Replay-Nonce")
}

func (r *raw) sign(key crypto.Signer, kid, url string, payload []byte) []byte {
	body, err := jose.Sign(key, kid, r.nonce(), url, payload)
	if err != nil {
		r.t.Fatal(err)
	}
	return body
}

func (r *raw) do(req *http.Request) rawResp {
	resp, err := r.http.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{resp, b}
}

func (r *raw) post(url string, body []byte) rawResp {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/jose+json")
	return r.do(req)
}

// mutateProtected re-signs nothing: it edits the protected header of a
// signed body, which must then fail verification or header checks.
func mutateProtected(t *testing.T, body []byte, edit func(h map[string]any)) []byte {
	var jws map[string]string
	if err := json.Unmarshal(body, &jws); err != nil {
		t.Fatal(err)
	}
	hb, _ := base64.RawURLEncoding.DecodeString(jws["protected"])
	var h map[string]any
	_ = json.Unmarshal(hb, &h)
	edit(h)
	hb, _ = json.Marshal(h)
	jws["protected"] = base64.RawURLEncoding.EncodeToString(hb)
	out, _ := json.Marshal(jws)
	return out
}

func TestMalformedRequests(t *testing.T) {
	e := startEnv(t, nil)
	r := newRaw(t, e)
	acct := r.kid
	order := func() string {
		resp := r.post(r.dir.NewOrder, r.sign(r.key, acct, r.dir.NewOrder, []byte(`{"identifiers":[{"type":"dns","value":"bat.quarry.test"}]}`)))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("new order: %d %s", resp.StatusCode, resp.body)
		}
		return resp.Header.Get("Location")
	}()
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	replayed := r.sign(r.key, acct, r.dir.NewOrder, []byte(`{"identifiers":[{"type":"dns","value":"r.quarry.test"}]}`))
	r.post(r.dir.NewOrder, replayed)

	type tc struct {
		name     string
		req      func() rawResp
		wantCode int
		wantType string
	}
	get := func(url string) func() rawResp {
		return func() rawResp { req, _ := http.NewRequest("GET", url, nil); return r.do(req) }
	}
	post := func(url string, body []byte) func() rawResp { return func() rawResp { return r.post(url, body) } }
	signed := func(url, payload string) func() rawResp {
		return func() rawResp { return r.post(url, r.sign(r.key, acct, url, []byte(payload))) }
	}
	newOrder := func(payload string) func() rawResp { return signed(r.dir.NewOrder, payload) }
	cases := []tc{
		// Transport-level mistakes.
		{"unknown path", get(r.base + "/nope"), 404, "malformed"},
		{"unclean path", get(r.base + "/acme//new-order"), 404, "malformed"},
		{"GET new-order", get(r.dir.NewOrder), 405, "malformed"},
		{"DELETE directory", func() rawResp { req, _ := http.NewRequest("DELETE", r.base+"/directory", nil); return r.do(req) }, 405, "malformed"},
		{"POST directory", post(r.base+"/directory", []byte("{}")), 405, "malformed"},
		{"wrong content type", func() rawResp {
			req, _ := http.NewRequest("POST", r.dir.NewOrder, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			return r.do(req)
		}, 415, "malformed"},
		{"empty body", post(r.dir.NewOrder, nil), 400, "malformed"},
		{"body not JSON", post(r.dir.NewOrder, []byte("hello")), 400, "malformed"},
		{"body too large", post(r.dir.NewOrder, bytes.Repeat([]byte("a"), 70<<10)), 400, "malformed"},
		{"compact serialization", post(r.dir.NewOrder, []byte("eyJhbGciOiJFUzI1NiJ9.e30.c2ln")), 400, "malformed"},
		{"JSON array body", post(r.dir.NewOrder, []byte("[]")), 400, "malformed"},
		// JWS header attacks.
		{"alg none", post(r.dir.NewOrder, mutateProtected(t, r.sign(r.key, acct, r.dir.NewOrder, []byte("{}")), func(h map[string]any) { h["alg"] = "none" })), 400, "badSignatureAlgorithm"},
		{"alg HS256", post(r.dir.NewOrder, mutateProtected(t, r.sign(r.key, acct, r.dir.NewOrder, []byte("{}")), func(h map[string]any) { h["alg"] = "HS256" })), 400, "badSignatureAlgorithm"},
		{"alg RS256 on EC key", post(r.dir.NewOrder, mutateProtected(t, r.sign(r.key, acct, r.dir.NewOrder, []byte("{}")), func(h map[string]any) { h["alg"] = "RS256" })), 400, ""},
		{"missing nonce", post(r.dir.NewOrder, signWithNonce(t, r.key, acct, "", r.dir.NewOrder)), 400, "badNonce"},
		{"made-up nonce", post(r.dir.NewOrder, signWithNonce(t, r.key, acct, "AAAAAAAAAAAAAAAAAAAAAA", r.dir.NewOrder)), 400, "badNonce"},
		{"replayed nonce", post(r.dir.NewOrder, replayed), 400, "badNonce"},
		{"url mismatch", post(r.dir.NewOrder, r.sign(r.key, acct, r.dir.NewAccount, []byte("{}"))), 403, "unauthorized"},
		{"missing url", post(r.dir.NewOrder, mutateProtected(t, r.sign(r.key, acct, r.dir.NewOrder, []byte("{}")), func(h map[string]any) { delete(h, "url") })), 0, ""},
		{"tampered header breaks signature", post(r.dir.NewOrder, mutateProtected(t, r.sign(r.key, acct, r.dir.NewOrder, []byte("{}")), func(h map[string]any) { h["x"] = 1 })), 400, ""},
		{"jwk and kid", post(r.dir.NewOrder, mutateProtected(t, r.sign(r.key, "", r.dir.NewOrder, []byte("{}")), func(h map[string]any) { h["kid"] = acct })), 400, "malformed"},
		{"jwk on kid endpoint", post(r.dir.NewOrder, r.sign(r.key, "", r.dir.NewOrder, []byte(`{"identifiers":[]}`))), 400, "malformed"},
		{"kid on newAccount", post(r.dir.NewAccount, r.sign(r.key, acct, r.dir.NewAccount, []byte("{}"))), 400, "malformed"},
		{"unknown account", post(r.dir.NewOrder, r.sign(r.key, r.base+"/acme/acct/99999", r.dir.NewOrder, []byte("{}"))), 400, "accountDoesNotExist"},
		{"kid not a URL of ours", post(r.dir.NewOrder, r.sign(r.key, "https://evil.example/acct/1", r.dir.NewOrder, []byte("{}"))), 0, ""},
		{"other key signs for account", post(r.dir.NewOrder, r.sign(ecKey(), acct, r.dir.NewOrder, []byte("{}"))), 400, "malformed"},
		{"RSA 1024 account key", post(r.dir.NewAccount, r.sign(rsa1024, "", r.dir.NewAccount, []byte(`{"termsOfServiceAgreed":true}`))), 400, "badPublicKey"},
		{"P-521 account key", post(r.dir.NewAccount, signES512(t, p521, r.nonce(), r.dir.NewAccount)), 400, ""},
		// newAccount bodies.
		{"account payload not object", post(r.dir.NewAccount, r.sign(ecKey(), "", r.dir.NewAccount, []byte(`"x"`))), 400, "malformed"},
		{"contact not mailto", post(r.dir.NewAccount, r.sign(ecKey(), "", r.dir.NewAccount, []byte(`{"contact":["tel:+1"]}`))), 400, "unsupportedContact"},
		{"contact garbage email", post(r.dir.NewAccount, r.sign(ecKey(), "", r.dir.NewAccount, []byte(`{"contact":["mailto:not an email"]}`))), 400, "invalidContact"},
		{"contact with hfields", post(r.dir.NewAccount, r.sign(ecKey(), "", r.dir.NewAccount, []byte(`{"contact":["mailto:a@example.org?subject=x"]}`))), 400, "invalidContact"},
		{"contact wrong type", post(r.dir.NewAccount, r.sign(ecKey(), "", r.dir.NewAccount, []byte(`{"contact":"mailto:a@example.org"}`))), 400, "malformed"},
		{"onlyReturnExisting unknown key", post(r.dir.NewAccount, r.sign(ecKey(), "", r.dir.NewAccount, []byte(`{"onlyReturnExisting":true}`))), 400, "accountDoesNotExist"},
		// newOrder bodies.
		{"order no identifiers", newOrder(`{"identifiers":[]}`), 400, ""},
		{"order identifiers wrong type", newOrder(`{"identifiers":"a.quarry.test"}`), 400, "malformed"},
		{"order unknown identifier type", newOrder(`{"identifiers":[{"type":"email","value":"a@b.c"}]}`), 400, "unsupportedIdentifier"},
		{"order bad name", newOrder(`{"identifiers":[{"type":"dns","value":"a..quarry.test"}]}`), 400, ""},
		{"order bad wildcard", newOrder(`{"identifiers":[{"type":"dns","value":"a.*.quarry.test"}]}`), 400, ""},
		{"order notBefore", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"notBefore":"2030-01-01T00:00:00Z"}`), 400, "malformed"},
		{"order unknown profile", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"profile":"forever"}`), 400, "invalidProfile"},
		{"order several bad names", newOrder(`{"identifiers":[{"type":"dns","value":"-a.quarry.test"},{"type":"dns","value":"b_.quarry.test"}]}`), 400, ""},
		{"order profile not a string", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"profile":7}`), 400, "malformed"},
		{"order profile huge", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"profile":"` + strings.Repeat("p", 4000) + `"}`), 400, "invalidProfile"},
		{"order replaces not a string", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"replaces":["x"]}`), 400, "malformed"},
		{"order replaces garbage", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"replaces":"not a cert id"}`), 400, "malformed"},
		{"order replaces three parts", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"replaces":"AQ.AQ.AQ"}`), 400, "malformed"},
		{"order replaces padded", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"replaces":"AQ==.AQ=="}`), 400, "malformed"},
		{"order replaces unknown certificate", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"replaces":"AQID.ASNFZ4k"}`), 400, "malformed"},
		{"order replaces huge", newOrder(`{"identifiers":[{"type":"dns","value":"a.quarry.test"}],"replaces":"` + strings.Repeat("A", 30000) + `.AQ"}`), 400, "malformed"},
		{"order IP not an address", newOrder(`{"identifiers":[{"type":"ip","value":"not-an-ip"}]}`), 400, ""},
		{"order IP with zone", newOrder(`{"identifiers":[{"type":"ip","value":"fe80::1%eth0"}]}`), 400, ""},
		{"order IP non-canonical", newOrder(`{"identifiers":[{"type":"ip","value":"2001:0db8::1"}]}`), 400, ""},
		{"order IP CIDR", newOrder(`{"identifiers":[{"type":"ip","value":"192.0.2.0/24"}]}`), 400, ""},
		{"order IP value not a string", newOrder(`{"identifiers":[{"type":"ip","value":3232235777}]}`), 400, "malformed"},
		// renewalInfo (RFC 9773) takes any text after its path.
		{"renewalInfo no dot", get(r.dir.RenewalInfo + "/AQID"), 400, "malformed"},
		{"renewalInfo empty key id", get(r.dir.RenewalInfo + "/.AQ"), 400, "malformed"},
		{"renewalInfo empty serial", get(r.dir.RenewalInfo + "/AQ."), 400, "malformed"},
		{"renewalInfo three parts", get(r.dir.RenewalInfo + "/AQ.AQ.AQ"), 400, "malformed"},
		{"renewalInfo not base64url", get(r.dir.RenewalInfo + "/AQ%2B%2F.AQ"), 400, "malformed"},
		{"renewalInfo padded", get(r.dir.RenewalInfo + "/AQ==.AQ=="), 400, "malformed"},
		{"renewalInfo negative serial", get(r.dir.RenewalInfo + "/AQID.gA"), 400, "malformed"},
		{"renewalInfo non-minimal serial", get(r.dir.RenewalInfo + "/AQID.AAE"), 400, "malformed"},
		{"renewalInfo serial too long", get(r.dir.RenewalInfo + "/AQID." + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{1}, 22))), 400, "malformed"},
		{"renewalInfo key id too long", get(r.dir.RenewalInfo + "/" + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{1}, 65)) + ".AQ"), 400, "malformed"},
		{"renewalInfo huge", get(r.dir.RenewalInfo + "/" + strings.Repeat("A", 6000) + ".AQ"), 400, "malformed"},
		{"renewalInfo carriage return", get(r.dir.RenewalInfo + "/AQID.ASNF%0DZ4k"), 400, "malformed"},
		{"renewalInfo unknown certificate", get(r.dir.RenewalInfo + "/AQID.ASNFZ4k"), 404, "malformed"},
		{"renewalInfo without an identifier", get(r.dir.RenewalInfo), 404, "malformed"},
		{"renewalInfo with a trailing path", get(r.dir.RenewalInfo + "/AQID.ASNFZ4k/x"), 404, "malformed"},
		{"renewalInfo POST", post(r.dir.RenewalInfo+"/AQID.ASNFZ4k", []byte("{}")), 405, "malformed"},
		// Resources.
		{"order of another account", func() rawResp {
			other := newRaw(t, e)
			return other.post(order, other.sign(other.key, other.kid, order, nil))
		}, 403, "unauthorized"},
		{"order id not a number", signed(r.base+"/acme/order/abc", ""), 404, "malformed"},
		{"order id zero padded", signed(r.base+"/acme/order/01", ""), 404, "malformed"},
		{"order does not exist", signed(r.base+"/acme/order/987654", ""), 404, "malformed"},
		{"order with payload", signed(order, `{"status":"valid"}`), 400, "malformed"},
		{"finalize pending order", signed(strings.Replace(order, "/order/", "/finalize/", 1), `{"csr":"AAAA"}`), 0, ""},
		{"finalize csr not base64", signed(strings.Replace(order, "/order/", "/finalize/", 1), `{"csr":"%%%"}`), 400, "badCSR"},
		{"finalize csr garbage", signed(strings.Replace(order, "/order/", "/finalize/", 1), `{"csr":"AAAAAAAA"}`), 400, "badCSR"},
		{"authz does not exist", signed(r.base+"/acme/authz/987654", ""), 404, "malformed"},
		{"authz bad status", func() rawResp {
			return signed(firstAuthz(t, r, order), `{"status":"valid"}`)()
		}, 400, "malformed"},
		{"challenge does not exist", signed(r.base+"/acme/chall/1/987654", ""), 0, ""},
		{"certificate does not exist", signed(r.base+"/acme/cert/abcdef", ""), 404, "malformed"},
		{"certificate bad serial", signed(r.base+"/acme/cert/XYZ", ""), 404, "malformed"},
		{"account of another", signed(r.base+"/acme/acct/987654", ""), 403, "unauthorized"},
		{"account bad status", signed(acct, `{"status":"valid"}`), 400, "malformed"},
		{"orders list with payload", signed(r.base+"/acme/orders/"+acct[strings.LastIndex(acct, "/")+1:], `{}`), 400, "malformed"},
		{"revoke garbage cert", signed(r.dir.RevokeCert, `{"certificate":"AAAA"}`), 400, "malformed"},
		{"revoke bad base64", signed(r.dir.RevokeCert, `{"certificate":"***"}`), 400, "malformed"},
		{"key change not nested JWS", signed(r.dir.KeyChange, `{"a":1}`), 400, "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := c.req()
			if resp.StatusCode < 400 || resp.StatusCode > 499 {
				t.Fatalf("got status %d, want 4xx; body %s", resp.StatusCode, resp.body)
			}
			if c.wantCode != 0 && resp.StatusCode != c.wantCode {
				t.Errorf("got status %d, want %d; body %s", resp.StatusCode, c.wantCode, resp.body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("got Content-Type %q, want application/problem+json", ct)
			}
			var p acme.Problem
			if err := json.Unmarshal(resp.body, &p); err != nil {
				t.Fatalf("body is not a problem document: %v: %s", err, resp.body)
			}
			if !strings.HasPrefix(string(p.Type), acme.ErrorNS) || p.Detail == "" || p.Status != resp.StatusCode {
				t.Errorf("got problem %+v, want an ACME type, a detail and status %d", p, resp.StatusCode)
			}
			if c.wantType != "" && string(p.Type) != acme.ErrorNS+c.wantType {
				t.Errorf("got type %s, want %s (detail %q)", p.Type, c.wantType, p.Detail)
			}
			// RFC 8555 section 6.5: errors to POSTs carry a nonce for
			// the retry; GETs cannot use one.
			if resp.Request.Method == http.MethodPost && resp.Header.Get("Replay-Nonce") == "" {
				t.Error("no Replay-Nonce on an error response to a POST")
			}
		})
	}
	if len(cases) < 40 {
		t.Errorf("the battery has %d cases, want at least 40", len(cases))
	}
}

func firstAuthz(t *testing.T, r *raw, orderURL string) string {
	resp := r.post(orderURL, r.sign(r.key, r.kid, orderURL, nil))
	var o acme.Order
	if err := json.Unmarshal(resp.body, &o); err != nil || len(o.Authorizations) == 0 {
		t.Fatalf("order: %v %s", err, resp.body)
	}
	return o.Authorizations[0]
}

func signWithNonce(t *testing.T, key crypto.Signer, kid, nonce, url string) []byte {
	body, err := jose.Sign(key, kid, nonce, url, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// signES512 builds a JWS that Quarry's own signer refuses to make.
func signES512(t *testing.T, key *ecdsa.PrivateKey, nonce, url string) []byte {
	opts := &gojose.SignerOptions{EmbedJWK: true, NonceSource: staticNonce(nonce)}
	opts.WithHeader("url", url)
	s, err := gojose.NewSigner(gojose.SigningKey{Algorithm: gojose.ES512, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(`{"termsOfServiceAgreed":true}`))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(jws.FullSerialize())
}

type staticNonce string

func (n staticNonce) Nonce() (string, error) { return string(n), nil }
