package jose

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"sync"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/nonce"
)

const (
	testPrefix = "https://ca.test/acme/acct/"
	testURL    = "https://ca.test/acme/new-order"
)

// testKeys are made once: RSA generation is slow.
type testKeys struct {
	p256, p256b, p384, p521 *ecdsa.PrivateKey
	rsa2048, rsa1024        *rsa.PrivateKey
}

var keysOnce = sync.OnceValue(func() *testKeys {
	ec := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	}
	rs := func(bits int) *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}
	return &testKeys{
		p256: ec(elliptic.P256()), p256b: ec(elliptic.P256()), p384: ec(elliptic.P384()), p521: ec(elliptic.P521()),
		rsa2048: rs(2048), rsa1024: rs(1024),
	}
})

// accountMap is an in-memory AccountGetter.
type accountMap struct {
	mu sync.Mutex
	m  map[int64]*core.Account
}

func (a *accountMap) GetAccount(_ context.Context, id int64) (*core.Account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if acct, ok := a.m[id]; ok {
		return acct, nil
	}
	return nil, core.Errorf(core.ErrNotFound, "no account %d", id)
}

// acceptNonces redeems any non-empty nonce, for fuzzing and benchmarks.
type acceptNonces struct{}

func (acceptNonces) Redeem(_ context.Context, n string) error {
	if n == "" {
		return core.Errorf(core.ErrBadNonce, "empty")
	}
	return nil
}

// env is a verifier with a real nonce service and some accounts.
type env struct {
	keys     *testKeys
	nonces   *nonce.Service
	accounts *accountMap
	v        *Verifier
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ns, err := nonce.New(nonce.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{keys: keysOnce(), nonces: ns, accounts: &accountMap{m: map[int64]*core.Account{}}}
	e.v = NewVerifier(ns, e.accounts, testPrefix)
	return e
}

// account stores an account for key and returns its kid.
func (e *env) account(t testing.TB, key crypto.Signer, status acme.Status) string {
	t.Helper()
	jwk, err := json.Marshal(gojose.JSONWebKey{Key: key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := acme.Thumbprint(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	e.accounts.mu.Lock()
	defer e.accounts.mu.Unlock()
	id := int64(len(e.accounts.m) + 1)
	e.accounts.m[id] = &core.Account{ID: id, Key: jwk, KeyID: tp, Status: status}
	return testPrefix + strconv.FormatInt(id, 10)
}

func (e *env) nonce(t testing.TB) string {
	t.Helper()
	n, err := e.nonces.Nonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustSign(t testing.TB, key crypto.Signer, kid, nonce, url string, payload []byte) []byte {
	t.Helper()
	b, err := Sign(key, kid, nonce, url, payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64s(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkJSON is the public JWK of key, for hand-crafted headers.
func jwkJSON(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	b, err := json.Marshal(gojose.JSONWebKey{Key: pub})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// craft builds a flattened JWS from a raw protected header, signed by sig
// over the JWS signing input, so tests can send what no library would.
func craft(protected string, payload []byte, sig func(input []byte) []byte) []byte {
	p, pl := b64s([]byte(protected)), b64s(payload)
	body, _ := json.Marshal(map[string]string{
		"protected": p, "payload": pl, "signature": b64s(sig([]byte(p + "." + pl))),
	})
	return body
}

// esSig signs like ES256/ES384/ES512: the hash fitting the curve, r||s.
func esSig(k *ecdsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		var digest []byte
		switch k.Curve.Params().BitSize {
		case 256:
			d := sha256.Sum256(input)
			digest = d[:]
		case 384:
			d := sha512.Sum384(input)
			digest = d[:]
		default:
			d := sha512.Sum512(input)
			digest = d[:]
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			panic(err)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		return append(pad(r, size), pad(s, size)...)
	}
}

func pad(n *big.Int, size int) []byte {
	return n.FillBytes(make([]byte, size))
}

func rsSig(k *rsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		d := sha256.Sum256(input)
		s, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
		if err != nil {
			panic(err)
		}
		return s
	}
}

func hsSig(key []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(input)
		return m.Sum(nil)
	}
}

func noSig([]byte) []byte { return nil }

// hdr renders a protected header from ordered name/raw-JSON pairs.
func hdr(pairs ...string) string {
	s := "{"
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			s += ","
		}
		s += strconv.Quote(pairs[i]) + ":" + pairs[i+1]
	}
	return s + "}"
}

func q(s string) string { return strconv.Quote(s) }

// modify decodes a flattened JWS, lets f change it and encodes it again.
func modify(t testing.TB, body []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantKind fails unless err is of kind want, or nil when want is "".
func wantKind(t testing.TB, err error, want core.Kind) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got error %v, want success", err)
		}
		return
	}
	var ce *core.Error
	if !errors.Is(err, want) || !errors.As(err, &ce) || ce.Detail == "" {
		t.Fatalf("got error %v, want a *core.Error of kind %s with a detail", err, want)
	}
}
