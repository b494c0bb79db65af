package server

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
)

func TestWithProxyProtocol(t *testing.T) {
	v2 := func(t *testing.T, c net.Conn) {
		h := proxyproto.HeaderProxyFromAddrs(2, &net.TCPAddr{IP: net.ParseIP("198.51.100.9"), Port: 4444}, c.RemoteAddr())
		if _, err := h.WriteTo(c); err != nil {
			t.Fatal(err)
		}
	}
	v1 := func(t *testing.T, c net.Conn) {
		if _, err := io.WriteString(c, "PROXY TCP4 192.0.2.7 127.0.0.1 5555 443\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		from       []string
		header     func(t *testing.T, c net.Conn)
		wantRead   bool
		wantRemote string // host; empty means the real peer, 127.0.0.1
	}{
		{"trusted balancer, v1 header", []string{"127.0.0.1/32"}, v1, true, "192.0.2.7"},
		{"trusted balancer, v2 header", []string{"127.0.0.0/8"}, v2, true, "198.51.100.9"},
		{"trusted balancer, no header", []string{"127.0.0.1"}, nil, false, ""},
		{"untrusted peer, header refused", []string{"10.0.0.0/8"}, v1, false, ""},
		{"untrusted peer, no header", []string{"10.0.0.0/8"}, nil, true, "127.0.0.1"},
		{"not configured", nil, nil, true, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ln, err := withProxyProtocol(raw, tt.from)
			if err != nil {
				t.Fatalf("withProxyProtocol: got error %v, want none", err)
			}
			defer ln.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tt.header != nil {
				tt.header(t, c)
			}
			if _, err := io.WriteString(c, "hello"); err != nil {
				t.Fatal(err)
			}
			sc, err := ln.Accept()
			if err != nil {
				t.Fatalf("Accept: got error %v, want a connection", err)
			}
			defer sc.Close()
			_ = sc.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 5)
			_, err = io.ReadFull(sc, buf)
			if got := err == nil && string(buf) == "hello"; got != tt.wantRead {
				t.Fatalf("reading past the header: got %q, %v; want success %v", buf, err, tt.wantRead)
			}
			if !tt.wantRead {
				return
			}
			host, _, _ := net.SplitHostPort(sc.RemoteAddr().String())
			if host != tt.wantRemote {
				t.Errorf("RemoteAddr: got %s, want host %s", sc.RemoteAddr(), tt.wantRemote)
			}
		})
	}
	if _, err := withProxyProtocol(nil, []string{"not-an-address"}); err == nil || !strings.Contains(err.Error(), "proxy-protocol-from") {
		t.Errorf("a bad source: got %v, want an error naming proxy-protocol-from", err)
	}
}
