package wfe

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
	"github.com/quarry-ca/quarry/internal/ra"
)

// RA is what the front end asks of the registration authority.
type RA interface {
	NewAccount(ctx context.Context, req ra.NewAccountRequest) (*core.Account, bool, error)
	UpdateAccount(ctx context.Context, acct *core.Account, contact []string, status acme.Status) (*core.Account, error)
	ChangeKey(ctx context.Context, acct *core.Account, key []byte, keyID string, pub crypto.PublicKey) (*core.Account, error)
	NewOrder(ctx context.Context, acct *core.Account, req acme.NewOrderRequest) (*core.Order, []*core.Authorization, error)
	GetOrder(ctx context.Context, id int64) (*core.Order, []*core.Authorization, error)
	ListOrders(ctx context.Context, acct *core.Account, afterID int64, limit int) ([]int64, error)
	GetAuthorization(ctx context.Context, id int64) (*core.Authorization, error)
	DeactivateAuthorization(ctx context.Context, az *core.Authorization) (*core.Authorization, error)
	RespondChallenge(ctx context.Context, acct *core.Account, az *core.Authorization, ch *core.Challenge) (*core.Challenge, error)
	Finalize(ctx context.Context, acct *core.Account, order *core.Order, authzs []*core.Authorization, csr *x509.CertificateRequest) (*core.Order, error)
	GetCertificate(ctx context.Context, serial string) (*core.Certificate, [][]*x509.Certificate, error)
	Revoke(ctx context.Context, req ra.RevokeRequest) error
	RenewalInfo(ctx context.Context, certID string) (ra.RenewalWindow, error)
	Now() time.Time
}

// Verifier checks JWS request bodies; only it can make a *jose.Request.
type Verifier interface {
	Verify(ctx context.Context, body []byte, url string, mode jose.KeyMode) (*jose.Request, error)
	VerifyKeyChange(outer *jose.Request) (*gojose.JSONWebKey, acme.KeyChangeRequest, error)
}

// Nonces hands out fresh nonces.
type Nonces interface {
	Nonce(ctx context.Context) (string, error)
}

// Config is what the front end advertises and how it builds URLs.
type Config struct {
	// PublicURL is the base URL clients use; empty means each request's
	// own scheme and host.
	PublicURL string
	Meta      acme.Meta
	// EABKeys are the external account binding MAC keys by key ID.
	EABKeys map[string][]byte
}

// WFE serves the ACME API.
type WFE struct {
	cfg    Config
	ra     RA
	verify Verifier
	nonces Nonces
	log    *slog.Logger
}

// New returns a front end.
func New(cfg Config, r RA, v Verifier, n Nonces, log *slog.Logger) *WFE {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	return &WFE{cfg: cfg, ra: r, verify: v, nonces: n, log: log}
}

// maxBody bounds a request body: a CSR for 100 names with an RSA 4096 key
// fits with room to spare.
const maxBody = 64 << 10

// Paths of the ACME resources.
const (
	pathDirectory  = "/directory"
	pathNewNonce   = "/acme/new-nonce"
	pathNewAccount = "/acme/new-account"
	pathNewOrder   = "/acme/new-order"
	pathRevoke     = "/acme/revoke-cert"
	pathKeyChange  = "/acme/key-change"
	pathAccount    = "/acme/acct/"
	pathOrders     = "/acme/orders/"
	pathOrder      = "/acme/order/"
	pathAuthz      = "/acme/authz/"
	pathChallenge  = "/acme/chall/"
	pathFinalize   = "/acme/finalize/"
	pathCert       = "/acme/cert/"
)

type (
	plainHandler func(w http.ResponseWriter, r *http.Request) error
	jwsHandler   func(w http.ResponseWriter, r *http.Request, jr *jose.Request) error
)

// noJWS marks routes that take no JWS.
const noJWS jose.KeyMode = -1

type route struct {
	pattern string
	methods []string
	auth    jose.KeyMode
	plain   plainHandler
	jws     jwsHandler
}

// routes is the whole API; each line shows how the endpoint authenticates.
func (w *WFE) routes() []route {
	return []route{
		{pattern: pathDirectory, methods: []string{"GET"}, auth: noJWS, plain: w.directory},
		{pattern: pathNewNonce, methods: []string{"GET", "HEAD"}, auth: noJWS, plain: w.newNonce},
		{pattern: pathNewAccount, methods: []string{"POST"}, auth: jose.KeyModeJWK, jws: w.newAccount},
		{pattern: pathNewOrder, methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.newOrder},
		{pattern: pathRevoke, methods: []string{"POST"}, auth: jose.KeyModeEither, jws: w.revokeCert},
		{pattern: pathKeyChange, methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.keyChange},
		{pattern: pathAccount + "{id}", methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.account},
		{pattern: pathOrders + "{id}", methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.orders},
		{pattern: pathOrder + "{id}", methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.order},
		{pattern: pathAuthz + "{id}", methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.authz},
		{pattern: pathChallenge + "{authz}/{id}", methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.challenge},
		{pattern: pathFinalize + "{id}", methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.finalize},
		{pattern: pathCert + "{serial}", methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.certificate},
		{pattern: pathCert + "{serial}/{alt}", methods: []string{"POST"}, auth: jose.KeyModeKID, jws: w.certificate},
		{pattern: pathRenewalInfo + "{id}", methods: []string{"GET"}, auth: noJWS, plain: w.renewalInfo},
	}
}

// Handler returns the ACME API as an http.Handler.
func (w *WFE) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range w.routes() {
		mux.Handle(rt.pattern, w.wrap(rt))
	}
	mux.Handle("/", w.wrap(route{auth: noJWS, plain: func(http.ResponseWriter, *http.Request) error {
		return core.Errorf(core.ErrNotFound, "no ACME resource here; the directory is at %s", pathDirectory)
	}}))
	return w.withLog(w.cleanPaths(mux))
}

// cleanPaths answers unclean paths with a problem instead of the mux's
// redirect.
func (w *WFE) cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == "" || p[0] != '/' || path.Clean(p) != p {
			w.common(rw, r)
			writeProblem(rw, r, core.Errorf(core.ErrNotFound, "no ACME resource here"))
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// wrap applies the method check, common headers, JWS verification and
// error handling to one route.
func (w *WFE) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.common(rw, r)
		err := w.serve(rw, r, rt)
		if err != nil {
			writeProblem(rw, r, err)
		}
	})
}

func (w *WFE) serve(rw http.ResponseWriter, r *http.Request, rt route) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic serving %s: %v", r.URL.Path, p)
		}
	}()
	if rt.methods != nil && !allowed(rt.methods, r.Method) {
		rw.Header().Set("Allow", strings.Join(rt.methods, ", "))
		return core.Errorf(core.ErrMethodNotAllowed, "%s is not allowed here; use %s", r.Method, strings.Join(rt.methods, " or "))
	}
	if rt.auth == noJWS {
		return rt.plain(rw, r)
	}
	jr, err := w.verifyPost(r, rt.auth)
	if err != nil {
		return err
	}
	if acct := jr.Account(); acct != nil {
		if info := logInfo(r.Context()); info != nil {
			info.account = acct.ID
		}
	}
	return rt.jws(rw, r, jr)
}

func allowed(methods []string, m string) bool {
	for _, x := range methods {
		if x == m {
			return true
		}
	}
	return false
}

// verifyPost reads and verifies a JWS-signed POST body.
func (w *WFE) verifyPost(r *http.Request, mode jose.KeyMode) (*jose.Request, error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(strings.ToLower(mt)) != "application/jose+json" {
		return nil, core.Errorf(core.ErrUnsupportedMediaType, "Content-Type must be application/jose+json, not %q", truncate(ct, 64))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, core.Errorf(core.ErrMalformed, "reading the request body failed")
	}
	if len(body) > maxBody {
		return nil, core.Errorf(core.ErrMalformed, "the request body is larger than %d bytes", maxBody)
	}
	if len(body) == 0 {
		return nil, core.Errorf(core.ErrMalformed, "the request body is empty; ACME requests are JWS-signed POSTs")
	}
	return w.verify.Verify(r.Context(), body, w.base(r)+r.URL.RequestURI(), mode)
}

// common sets the headers every ACME response carries.
func (w *WFE) common(rw http.ResponseWriter, r *http.Request) {
	h := rw.Header()
	// Nonces go where clients use them: every response to a POST, errors
	// included (RFC 8555 §6.5), and newNonce. Each takes a place in the
	// bounded nonce store, so GETs, which cannot use one, do not spend
	// them; and Ruby's acme-client 2.0 crashes on one in the directory
	// response.
	if r.Method == http.MethodPost || r.URL.Path == pathNewNonce {
		if n, err := w.nonces.Nonce(r.Context()); err == nil {
			h.Set("Replay-Nonce", n)
		}
	}
	if r.URL.Path != pathDirectory {
		h.Add("Link", link(w.base(r)+pathDirectory, "index"))
	}
	if r.Method == http.MethodPost {
		h.Set("Cache-Control", "no-store")
	}
}

// base is the URL prefix of every resource for this request.
func (w *WFE) base(r *http.Request) string {
	if w.cfg.PublicURL != "" {
		return w.cfg.PublicURL
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

func link(url, rel string) string { return fmt.Sprintf("<%s>;rel=%q", url, rel) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// errNotPostAsGet is returned when a read endpoint gets a payload.
var errNotPostAsGet = core.Errorf(core.ErrMalformed, "this resource is read with POST-as-GET: the payload must be empty")

func isNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }
