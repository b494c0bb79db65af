package va

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// redirectTarget checks where an http-01 redirect points: http or https
// only, a DNS name or IP address, and only the standard or configured
// ports, so a redirect cannot aim the VA at arbitrary services. A refused
// target comes back nil with the reason for the subscriber.
func (v *VA) redirectTarget(loc *url.URL) (*url.URL, string) {
	if loc.Scheme != "http" && loc.Scheme != "https" {
		return nil, fmt.Sprintf("Invalid protocol scheme in redirect target. Only \"http\" and \"https\" protocol schemes are supported, not %q", loc.Scheme)
	}
	host := loc.Hostname()
	if !validRedirectHost(host) {
		return nil, fmt.Sprintf("Invalid host in redirect target %q. Only DNS names and IP addresses are supported", truncate(host, 64))
	}
	if p := loc.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || !v.redirectPortAllowed(n) {
			return nil, fmt.Sprintf("Invalid port in redirect target. Only ports %s are supported, not %s", v.allowedPorts(), truncate(p, 8))
		}
	}
	next := *loc
	next.User = nil
	next.Fragment, next.RawFragment = "", ""
	return &next, ""
}

func validRedirectHost(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Zone() == ""
	}
	return validHostname(host)
}

func (v *VA) redirectPortAllowed(p int) bool {
	return p == defaultHTTPPort || p == defaultTLSPort || p == v.cfg.HTTPPort || p == v.cfg.TLSPort
}

// allowedPorts lists the redirect ports for details, e.g. "80 and 443".
func (v *VA) allowedPorts() string {
	var ports []string
	for _, p := range []int{defaultHTTPPort, defaultTLSPort, v.cfg.HTTPPort, v.cfg.TLSPort} {
		if s := strconv.Itoa(p); !slices.Contains(ports, s) {
			ports = append(ports, s)
		}
	}
	last := len(ports) - 1
	return strings.Join(ports[:last], ", ") + " and " + ports[last]
}
