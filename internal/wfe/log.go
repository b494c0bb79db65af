package wfe

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/quarry-ca/quarry/internal/growstack"
)

// requestInfo collects what one request's log event reports; handlers add
// to it as they learn things.
type requestInfo struct {
	account  int64
	problem  string
	internal string
}

type infoKey struct{}

func logInfo(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// withLog writes one structured event per request.
func (w *WFE) withLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		growstack.Grow() // each request runs on a fresh goroutine, deep into SQLite
		start := time.Now()
		info := &requestInfo{}
		rec := &statusRecorder{ResponseWriter: rw}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("took", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		}
		if info.account != 0 {
			attrs = append(attrs, slog.Int64("account", info.account))
		}
		if info.problem != "" {
			attrs = append(attrs, slog.String("problem", info.problem))
		}
		level := slog.LevelInfo
		if info.internal != "" {
			attrs = append(attrs, slog.String("error", info.internal))
			level = slog.LevelError
		}
		w.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}
