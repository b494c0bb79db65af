package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestWithDeadline(t *testing.T) {
	tests := []struct {
		name string
		set  time.Duration
		want time.Duration
	}{
		{"default", 0, requestTimeout},
		{"shortened", 3 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{}
			s.requestTimeout.Store(int64(tt.set))
			var left time.Duration
			var ok bool
			h := s.withDeadline(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				var dl time.Time
				dl, ok = r.Context().Deadline()
				left = time.Until(dl)
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/directory", nil))
			if !ok || left > tt.want || left < tt.want-time.Second {
				t.Errorf("request context deadline: got %v from now (set %v), want about %v", left.Round(time.Millisecond), ok, tt.want)
			}
		})
	}
}
