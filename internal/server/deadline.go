package server

import (
	"context"
	"net/http"
	"time"
)

// requestTimeout bounds how long one request may take. What it guards
// against is a database that neither answers nor refuses (a network
// partition, a failover whose old primary vanished): without a bound a
// query waits until TCP gives up, many minutes later, holding the request
// and a pool connection. Past the bound the query is abandoned, its
// connection discarded, and the client gets a serverInternal problem it
// can retry, well before a balancer's usual 60s server timeout. Work that
// must outlive its request (validations, signing) is already detached
// from the request's context. /readyz has its own, shorter bound.
const requestTimeout = 30 * time.Second

// withDeadline gives every request's context the request timeout.
func (s *Server) withDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		d := time.Duration(s.requestTimeout.Load())
		if d <= 0 {
			d = requestTimeout
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(rw, r.WithContext(ctx))
	})
}
