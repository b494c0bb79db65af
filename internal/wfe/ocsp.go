package wfe

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ocsp"
)

// OCSPResponder answers DER OCSP requests; errors of kind
// core.ErrMalformed and core.ErrUnauthorized become those OCSP statuses.
type OCSPResponder interface {
	Respond(ctx context.Context, der []byte) (*ocsp.Response, error)
}

// OCSPConfig shapes the OCSP endpoint.
type OCSPConfig struct {
	// MaxAge caps Cache-Control max-age so HTTP caches pick up a revocation
	// soon; the response's nextUpdate caps it too. Default 1h.
	MaxAge time.Duration
	Clock  func() time.Time
	Log    *slog.Logger
}

// maxOCSPBody bounds a POSTed request; a real one is about 100 bytes.
const maxOCSPBody = 4096

// OCSPPath is where the responder is served: POST to it, or GET
// <OCSPPath>/<base64 request> (RFC 6960 appendix A.1, RFC 5019 §5).
const OCSPPath = "/ocsp"

// OCSPHandler serves OCSP over plain HTTP. Every answer to a bad request
// is an OCSP error response (malformedRequest or unauthorized) with HTTP
// 200, which OCSP clients read; only a failure of Quarry's own is a 500.
// It must see the raw path: base64 holds "/" and "+", and a ServeMux
// would clean "//" away with a redirect.
func OCSPHandler(responder OCSPResponder, cfg OCSPConfig) http.Handler {
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		der, err := ocspRequestBody(r)
		if errors.Is(err, errMethod) {
			rw.Header().Set("Allow", "GET, HEAD, POST")
			http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var resp *ocsp.Response
		if err == nil {
			resp, err = responder.Respond(r.Context(), der)
		}
		if err != nil {
			writeOCSPError(rw, r, err, cfg.Log)
			return
		}
		writeOCSP(rw, r, resp, cfg.Clock(), cfg.MaxAge)
	})
}

var errMethod = errors.New("method not allowed")

// ocspRequestBody extracts the DER request from a GET path or a POST body.
func ocspRequestBody(r *http.Request) ([]byte, error) {
	malformed := func(why string) ([]byte, error) { return nil, core.Errorf(core.ErrMalformed, "OCSP request: %s", why) }
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		// r.URL.Path is already percent-decoded, as RFC 5019 §5 encodes it.
		enc, ok := strings.CutPrefix(r.URL.Path, OCSPPath+"/")
		if !ok || enc == "" {
			return malformed("GET needs a base64 request after " + OCSPPath + "/")
		}
		if len(enc) > base64.StdEncoding.EncodedLen(maxOCSPBody) {
			return malformed("too large")
		}
		// Some clients leave out the padding; both forms name one request.
		der, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			if der, err = base64.RawStdEncoding.DecodeString(enc); err != nil {
				return malformed("not base64")
			}
		}
		return der, nil
	case http.MethodPost:
		if r.URL.Path != OCSPPath && r.URL.Path != OCSPPath+"/" {
			return malformed("POST to " + OCSPPath)
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/ocsp-request" {
			return malformed("Content-Type must be application/ocsp-request")
		}
		der, err := io.ReadAll(io.LimitReader(r.Body, maxOCSPBody+1))
		if err != nil {
			return malformed("reading the body")
		}
		if len(der) > maxOCSPBody {
			return malformed("too large")
		}
		return der, nil
	}
	return nil, errMethod
}

func writeOCSPError(rw http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	body, status := xocsp.InternalErrorErrorResponse, http.StatusInternalServerError
	switch {
	case errors.Is(err, core.ErrMalformed):
		body, status = xocsp.MalformedRequestErrorResponse, http.StatusOK
		log.DebugContext(r.Context(), "malformed OCSP request", slog.String("error", err.Error()))
	case errors.Is(err, core.ErrUnauthorized):
		body, status = xocsp.UnauthorizedErrorResponse, http.StatusOK
		log.DebugContext(r.Context(), "OCSP request for an issuer not ours", slog.String("error", err.Error()))
	default:
		log.ErrorContext(r.Context(), "answering an OCSP request", slog.String("error", err.Error()))
	}
	h := rw.Header()
	h.Set("Content-Type", "application/ocsp-response")
	// An error answer says nothing lasting about a certificate.
	h.Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	_, _ = rw.Write(body)
}

// writeOCSP sends a signed response with the caching headers of RFC 5019
// §6.2, and 304 to a GET whose validators match.
func writeOCSP(rw http.ResponseWriter, r *http.Request, resp *ocsp.Response, now time.Time, limit time.Duration) {
	sum := sha256.Sum256(resp.DER)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	age := max(int64(min(resp.NextUpdate.Sub(now), limit)/time.Second), 0)
	h := rw.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", resp.ThisUpdate.UTC().Format(http.TimeFormat))
	h.Set("Expires", resp.NextUpdate.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", fmt.Sprintf("max-age=%d, public, no-transform, must-revalidate", age))
	if r.Method != http.MethodPost && notModified(r, etag, resp.ThisUpdate) {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/ocsp-response")
	h.Set("Content-Length", fmt.Sprint(len(resp.DER)))
	_, _ = rw.Write(resp.DER)
}

// notModified applies RFC 9110 §13.2.2: If-None-Match when present,
// otherwise If-Modified-Since.
func notModified(r *http.Request, etag string, lastModified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == etag || tag == "*" {
				return true
			}
		}
		return false
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	return err == nil && !lastModified.Truncate(time.Second).After(ims)
}
