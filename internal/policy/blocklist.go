package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// blockList is the operator's list of names (each blocking itself and
// every name under it) and exact IP addresses.
type blockList struct {
	names   map[string]bool
	parents map[string]bool // the name one label above each blocked name
	ips     map[netip.Addr]bool
}

func newBlockList(entries []string) (blockList, error) {
	b := blockList{names: map[string]bool{}, parents: map[string]bool{}, ips: map[netip.Addr]bool{}}
	for _, e := range entries {
		e = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(e)), ".")
		if ip, err := netip.ParseAddr(e); err == nil && ip.Zone() == "" {
			b.ips[ip.Unmap()] = true
			continue
		}
		base, wildcard, perr := parseDNSName(e)
		if perr != nil || wildcard {
			return blockList{}, fmt.Errorf("blocked name %q is not a valid DNS name or IP address", e)
		}
		b.names[base] = true
		if i := strings.IndexByte(base, '.'); i >= 0 {
			b.parents[base[i+1:]] = true
		}
	}
	return b, nil
}

// blocksName says whether name, or any name a wildcard over it would
// cover, is blocked.
func (b blockList) blocksName(name string, wildcard bool) bool {
	for s := name; ; {
		if b.names[s] {
			return true
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	// "*.example.com" covers "www.example.com": a block on any name one
	// label below the wildcard's base applies to the wildcard too.
	return wildcard && b.parents[name]
}

func (b blockList) blocksIP(ip netip.Addr) bool { return b.ips[ip] }
