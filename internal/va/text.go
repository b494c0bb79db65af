package va

import (
	"fmt"
	"net/netip"
	"strings"
)

// truncate cuts s to at most n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// quoteBody renders bytes from a subscriber's server for a detail: cut to
// a readable length and quoted so control characters cannot forge text.
func quoteBody(b []byte) string {
	const show = 64
	if len(b) > show {
		return fmt.Sprintf("%q (truncated)", b[:show])
	}
	return fmt.Sprintf("%q", b)
}

// validHostname reports whether s is a DNS name of LDH labels (A-labels
// included), without a trailing dot.
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !validLabel(label) {
			return false
		}
	}
	return true
}

func validLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, c := range []byte(l) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// addrStrings renders addresses for validation records.
func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
