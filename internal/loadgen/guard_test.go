package loadgen

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	lookup := func(_ context.Context, _, host string) ([]netip.Addr, error) {
		table := map[string][]string{
			"localhost":     {"127.0.0.1", "::1"},
			"quarry.test":   {"127.0.0.53"},
			"mixed.test":    {"127.0.0.1", "192.0.2.1"},
			"public.test":   {"192.0.2.7"},
			"mapped.test":   {"::ffff:127.0.0.1"},
			"nothing.test":  {},
			"private.test":  {"10.0.0.1"},
			"unspec.test":   {"0.0.0.0"},
			"linklocal.tst": {"fe80::1"},
		}
		addrs, ok := table[host]
		if !ok {
			return nil, errors.New("no such host")
		}
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
	tests := []struct {
		name    string
		url     string
		refused bool // a NotLoopbackError
		fails   bool // any other error
	}{
		{name: "IPv4 loopback literal", url: "https://127.0.0.1:14000/directory"},
		{name: "other 127/8 address", url: "https://127.1.2.3/directory"},
		{name: "IPv6 loopback literal", url: "https://[::1]:14000/directory"},
		{name: "localhost", url: "https://localhost:14000/directory"},
		{name: "name resolving to loopback", url: "http://quarry.test/dir"},
		{name: "IPv4-mapped loopback", url: "https://mapped.test/dir"},
		{name: "public literal", url: "https://192.0.2.1/directory", refused: true},
		{name: "private literal", url: "https://10.1.1.1/directory", refused: true},
		{name: "unspecified address", url: "https://unspec.test/directory", refused: true},
		{name: "one address not loopback", url: "https://mixed.test/dir", refused: true},
		{name: "public name", url: "https://public.test/dir", refused: true},
		{name: "link-local IPv6", url: "https://linklocal.tst/dir", refused: true},
		{name: "no addresses", url: "https://nothing.test/dir", refused: true},
		{name: "unresolvable", url: "https://unknown.test/dir", fails: true},
		{name: "not a URL", url: "://", fails: true},
		{name: "no host", url: "https:///directory", fails: true},
		{name: "other scheme", url: "ftp://127.0.0.1/", fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLoopback(context.Background(), tt.url, lookup)
			var nl *NotLoopbackError
			if got := errors.As(err, &nl); got != tt.refused {
				t.Errorf("got refusal %v (err %v), want %v", got, err, tt.refused)
			}
			if got := err != nil; got != (tt.refused || tt.fails) {
				t.Errorf("got error %v, want error %v", err, tt.refused || tt.fails)
			}
		})
	}
}

func TestDialGuard(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:443", true},
		{"[::1]:443", true},
		{"127.9.9.9:1", true},
		{"192.0.2.1:443", false},
		{"[2001:db8::1]:443", false},
		{"not-an-address", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := loopbackOnly("tcp", tt.addr, nil) == nil; got != tt.ok {
				t.Errorf("got allowed %v, want %v", got, tt.ok)
			}
		})
	}
}

// TestRunRefusesNonLoopback: the guard runs before any flow starts.
func TestRunRefusesNonLoopback(t *testing.T) {
	resp := &Responders{}
	_, err := Run(context.Background(), Config{DirectoryURL: "https://192.0.2.1/directory", Flows: 1}, resp, Deps{})
	var nl *NotLoopbackError
	if !errors.As(err, &nl) {
		t.Fatalf("got %v, want a NotLoopbackError", err)
	}
}
