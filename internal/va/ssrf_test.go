package va

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func TestGuardClassify(t *testing.T) {
	cases := []struct {
		addr string
		want string // "" = allowed
	}{
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"192.0.3.1", ""},
		{"223.255.255.255", ""},
		{"0.0.0.0", "this-network"},
		{"0.1.2.3", "this-network"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"100.64.0.1", "shared address space (CGNAT)"},
		{"100.127.255.254", "shared address space (CGNAT)"},
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"169.254.169.254", "link-local"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.0.0.9", "IETF protocol assignment"},
		{"192.0.2.1", "documentation"},
		{"192.88.99.1", "6to4 relay anycast"},
		{"192.168.1.1", "private"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"240.0.0.1", "reserved"},
		{"255.255.255.255", "broadcast"},
		{"2001:4860:4860::8888", ""},
		{"2606:4700:4700::1111", ""},
		{"2a00:1450:4001::1", ""},
		{"64:ff9b::808:808", ""},
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::7f00:1", "IPv4-compatible"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:10.1.2.3", "private"},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::7f00:1", "NAT64 of loopback"},
		{"64:ff9b::a00:1", "NAT64 of private"},
		{"64:ff9b:1::1", "local-use NAT64"},
		{"100::1", "discard-only"},
		{"2001::1", "IETF protocol assignment"},
		{"2001:2::1", "IETF protocol assignment"},
		{"2001:db8::1", "documentation"},
		{"2002:7f00:1::1", "6to4"},
		{"3fff::1", "documentation"},
		{"5f00::1", "SRv6 SID"},
		{"fc00::1", "unique local (private)"},
		{"fd12:3456::1", "unique local (private)"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"fec0::1", "site-local"},
		{"ff02::1", "multicast"},
		{"ff0e::1", "multicast"},
		{"4000::1", "reserved"},
		{"e000::1", "reserved"},
	}
	strict, open := newGuard(false), newGuard(true)
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tc.addr)
			if got := strict.refused(a); got != tc.want {
				t.Errorf("got class %q, want %q", got, tc.want)
			}
			if got := open.refused(a); got != "" {
				t.Errorf("with AllowPrivate got class %q, want none", got)
			}
		})
	}
}

// stand127002 returns a strict guard that treats 127.0.0.2 as a public
// address, so a test can serve an "allowed" target on loopback.
func stand127002() *guard {
	g := newGuard(false)
	for i, r := range g.ranges {
		if r.class == "loopback" && r.prefix.Addr().Is4() {
			g.ranges[i].prefix = netip.MustParsePrefix("127.0.0.1/32")
		}
	}
	return g
}

func TestGuardRefusesPrivateTargets(t *testing.T) {
	dnsSrv := startDNS(t)
	dnsSrv.SetA("public.test", net.IPv4(127, 0, 0, 2))
	dnsSrv.SetA("rebind.test", net.IPv4(127, 0, 0, 1))
	cp := acme.HTTP01Path(testToken)
	// The redirect targets listen on the TLS port, which redirects may use.
	target := strconv.Itoa(startHTTP(t, "127.0.0.1", routesHandler(map[string]route{cp: {status: 200, body: testKeyAuth}})))
	cases := []struct {
		name       string
		id         acme.Identifier
		location   string
		wantKind   core.Kind
		wantDetail string
		wantHops   int
	}{
		{name: "control: allowed-looking target passes", id: dnsID("public.test"), wantHops: 1},
		{name: "IP identifier", id: ipID("127.0.0.1"), wantKind: core.ErrRejectedIdentifier,
			wantDetail: "127.0.0.1 is a disallowed address (loopback)"},
		{name: "name resolving to loopback", id: dnsID("rebind.test"), wantKind: core.ErrConnection,
			wantDetail: "127.0.0.1: Fetching http://rebind.test:", wantHops: 1},
		{name: "redirect to a loopback IP", id: dnsID("public.test"), location: "http://127.0.0.1:" + target + cp,
			wantKind: core.ErrConnection, wantDetail: "127.0.0.1 is a disallowed address (loopback)", wantHops: 2},
		{name: "redirect to a name resolving to loopback", id: dnsID("public.test"), location: "http://rebind.test:" + target + cp,
			wantKind: core.ErrConnection, wantDetail: "127.0.0.1 is a disallowed address (loopback)", wantHops: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			routes := map[string]route{cp: {status: 200, body: testKeyAuth}}
			if tc.location != "" {
				routes[cp] = route{status: http.StatusFound, location: tc.location}
			}
			port := startHTTP(t, "127.0.0.2", routesHandler(routes))
			tlsPort, _ := strconv.Atoi(target)
			v := newTestVA(t, Config{HTTPPort: port, TLSPort: tlsPort, DNSResolver: dnsSrv.Addr()})
			v.guard = stand127002()
			records, err := v.Validate(t.Context(), Request{
				Identifier: tc.id, Challenge: acme.ChallengeHTTP01, Token: testToken, KeyAuthorization: testKeyAuth,
			})
			t.Logf("result: %v", err)
			checkErr(t, err, tc.wantKind, tc.wantDetail)
			if len(records) != tc.wantHops {
				t.Fatalf("got %d records, want %d: %+v", len(records), tc.wantHops, records)
			}
		})
	}
}

func TestGuardRefusesTLSALPN01Target(t *testing.T) {
	dnsSrv := startDNS(t)
	resp := startALPN(t, alpnCert(t, []string{"a.test"}, nil, acmeExt(t, testKeyAuth, true)), []string{alpnProto})
	v := newTestVA(t, Config{TLSPort: resp.port, DNSResolver: dnsSrv.Addr()})
	records, err := v.Validate(t.Context(), Request{
		Identifier: dnsID("a.test"), Challenge: acme.ChallengeTLSALPN01, Token: testToken, KeyAuthorization: testKeyAuth,
	})
	checkErr(t, err, core.ErrConnection, "127.0.0.1 is a disallowed address (loopback)")
	if len(records) != 1 || records[0].AddressUsed != "127.0.0.1" {
		t.Fatalf("got records %+v, want one naming 127.0.0.1", records)
	}
	if h := resp.lastHello(); h != nil {
		t.Fatalf("got a client hello %+v, want no connection", h)
	}
}

// TestControlGuard checks the socket-level hook on its own: even an
// address that skipped the resolver-side check is refused at connect.
func TestControlGuard(t *testing.T) {
	port := strconv.Itoa(freePort(t))
	cases := []struct {
		name      string
		allow     bool
		addr      string
		wantClass string
	}{
		{name: "loopback refused", addr: "127.0.0.1:" + port, wantClass: "loopback"},
		{name: "IPv6 loopback refused", addr: "[::1]:" + port, wantClass: "loopback"},
		{name: "mapped loopback refused", addr: "[::ffff:127.0.0.1]:" + port, wantClass: "loopback"},
		{name: "allowed when private addresses are", allow: true, addr: "127.0.0.1:" + port},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVA(t, Config{AllowPrivate: tc.allow})
			d := net.Dialer{Control: v.controlGuard}
			conn, err := d.DialContext(t.Context(), "tcp", tc.addr)
			if conn != nil {
				_ = conn.Close()
			}
			var refused *refusedAddrError
			got := ""
			if errors.As(err, &refused) {
				got = refused.class
			}
			if got != tc.wantClass {
				t.Fatalf("got class %q (err %v), want %q", got, err, tc.wantClass)
			}
		})
	}
}
