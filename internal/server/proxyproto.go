package server

import (
	"fmt"
	"net"
	"time"

	"github.com/pires/go-proxyproto"
)

// proxyHeaderTimeout bounds the wait for a PROXY header, so a trusted
// balancer's idle connection cannot hold an accept slot.
const proxyHeaderTimeout = 5 * time.Second

// withProxyProtocol makes ln read the PROXY protocol header (v1 or v2)
// that the load balancers in from put before each connection, so the
// request's remote address (logs, per-IP limits, an account's initial IP)
// is the client's, not the balancer's. Connections from those addresses
// must carry a header: one without could be a client's bytes passed
// through unchecked. A header from any other address is refused, or anyone
// could claim any address.
func withProxyProtocol(ln net.Listener, from []string) (net.Listener, error) {
	if len(from) == 0 {
		return ln, nil
	}
	policy, err := proxyproto.PolicyFromRanges(from, proxyproto.REQUIRE, proxyproto.REJECT)
	if err != nil {
		return nil, fmt.Errorf("cluster.proxy-protocol-from: %w", err)
	}
	return &proxyproto.Listener{Listener: ln, ConnPolicy: policy, ReadHeaderTimeout: proxyHeaderTimeout}, nil
}
