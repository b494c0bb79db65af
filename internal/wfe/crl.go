package wfe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// CRLs looks up the latest published CRL of a shard.
type CRLs interface {
	GetCRL(ctx context.Context, issuerID string, shard int) (*core.CRL, error)
}

// CRLConfig shapes the CRL endpoint.
type CRLConfig struct {
	// MaxAge caps Cache-Control max-age so caches pick up a revocation
	// soon; nextUpdate caps it too. Default 1h.
	MaxAge time.Duration
	Clock  func() time.Time
	Log    *slog.Logger
}

// CRLHandler serves CRLs as DER over plain HTTP at
// /crl/<issuer>/<shard>.crl, the distribution point URL of every
// certificate Quarry signs, from storage so any instance can answer.
func CRLHandler(crls CRLs, cfg CRLConfig) http.Handler {
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crl/{issuer}/{file}", func(rw http.ResponseWriter, r *http.Request) {
		issuer := r.PathValue("issuer")
		shard, ok := shardOf(r.PathValue("file"))
		if !ok || !isIssuerID(issuer) {
			http.NotFound(rw, r)
			return
		}
		crl, err := crls.GetCRL(r.Context(), issuer, shard)
		if errors.Is(err, core.ErrNotFound) {
			http.NotFound(rw, r)
			return
		} else if err != nil {
			cfg.Log.ErrorContext(r.Context(), "serving a CRL", slog.String("issuer", issuer), slog.Int("shard", shard),
				slog.String("error", err.Error()))
			http.Error(rw, "internal error", http.StatusInternalServerError)
			return
		}
		h := rw.Header()
		h.Set("Content-Type", "application/pkix-crl")
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", crlMaxAge(crl, cfg.MaxAge, cfg.Clock())))
		h.Set("Expires", crl.NextUpdate.UTC().Format(http.TimeFormat))
		h.Set("ETag", fmt.Sprintf(`"%d-%d"`, crl.Number, crl.ThisUpdate.Unix()))
		// ServeContent answers If-None-Match, If-Modified-Since and ranges.
		http.ServeContent(rw, r, "", crl.ThisUpdate, bytes.NewReader(crl.DER))
	})
	return mux
}

// crlMaxAge is how long, in seconds, a cache may keep crl: never past its
// nextUpdate, never more than limit.
func crlMaxAge(crl *core.CRL, limit time.Duration, now time.Time) int64 {
	age := min(crl.NextUpdate.Sub(now), limit)
	return max(int64(age/time.Second), 0)
}

// shardOf parses "<n>.crl" with n in canonical decimal, so each CRL has
// one URL.
func shardOf(file string) (int, bool) {
	num, ok := strings.CutSuffix(file, ".crl")
	if !ok || num == "" || len(num) > 4 || (len(num) > 1 && num[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || strconv.Itoa(n) != num {
		return 0, false
	}
	return n, true
}
