package interop

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/testdns"
)

// startTXTAPI serves a tiny HTTP API on loopback through which a client's
// dns-01 hook script publishes TXT records in the test DNS with curl:
// POST URL/add adds and POST URL/remove removes, both with form fields
// name and value. It returns URL.
func startTXTAPI(t *testing.T, dns *testdns.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("TXT API: %v", err)
	}
	mux := http.NewServeMux()
	handle := func(edit func(name, value string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			name, value := r.PostFormValue("name"), r.PostFormValue("value")
			if name == "" || value == "" {
				http.Error(w, "POST the form fields name and value", http.StatusBadRequest)
				return
			}
			edit(name, value)
			w.WriteHeader(http.StatusNoContent)
		}
	}
	mux.Handle("POST /txt/add", handle(dns.AddTXT))
	mux.Handle("POST /txt/remove", handle(dns.RemoveTXT))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String() + "/txt"
}
