package nginx

import (
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Server is one server block of the http context.
type Server struct {
	Dir     *Directive  // the server directive; its Block is the body
	File    *SourceFile // the file holding it
	Names   []string    // server_name arguments, lowercased
	Listens []Listen
	order   int // position among server blocks, for regex precedence
}

// Listen is one listen directive of a server block.
type Listen struct {
	Dir  *Directive
	Host string // "" for every address; IPv6 without brackets
	Port int
	SSL  bool
	Unix bool
}

// IPv6 reports whether the listen is on an IPv6 address.
func (l Listen) IPv6() bool { return strings.Contains(l.Host, ":") }

func (c *Config) server(f *SourceFile, d *Directive, order int) *Server {
	s := &Server{Dir: d, File: f, order: order}
	c.each(f, d.Block, func(_ *SourceFile, _ *Block, d *Directive) {
		switch d.Name() {
		case "server_name":
			for _, n := range d.Args() {
				s.Names = append(s.Names, strings.ToLower(n))
			}
		case "listen":
			if args := d.Args(); len(args) > 0 {
				l := parseListen(args)
				l.Dir = d
				s.Listens = append(s.Listens, l)
			}
		}
	})
	return s
}

// parseListen reads listen's address and the ssl parameter: "80",
// "127.0.0.1:8080", "[::]:443", "localhost", "*:80", "unix:/path".
func parseListen(args []string) Listen {
	l := Listen{Port: 80}
	for _, a := range args[1:] {
		if a == "ssl" {
			l.SSL = true
		}
	}
	addr := args[0]
	if strings.HasPrefix(addr, "unix:") {
		l.Unix = true
		return l
	}
	if p, err := strconv.Atoi(addr); err == nil {
		l.Port = p
		return l
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// no port: "localhost", "127.0.0.1" or "[::1]"
		host = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	} else if p, err := strconv.Atoi(port); err == nil {
		l.Port = p
	}
	if host == "*" {
		host = ""
	}
	l.Host = host
	return l
}

// TLS reports whether the block serves HTTPS: a listen has ssl.
func (s *Server) TLS() bool {
	for _, l := range s.Listens {
		if l.SSL {
			return true
		}
	}
	return false
}

// HTTP reports whether the block serves plain HTTP: a listen without ssl,
// or no listen at all (nginx then listens on port 80).
func (s *Server) HTTP() bool {
	if len(s.Listens) == 0 {
		return true
	}
	for _, l := range s.Listens {
		if !l.SSL && !l.Unix {
			return true
		}
	}
	return false
}

// How a server_name matches a host, best last, as nginx ranks them.
const (
	noMatch = iota
	regexMatch
	trailingWildcard
	leadingWildcard
	exactMatch
)

type rank struct {
	kind, length, order int
}

// better reports whether a wins over b: the better kind, then the longer
// wildcard, then the earlier block (nginx tries regexes in order and
// keeps the first block of two that claim one name).
func (a rank) better(b rank) bool {
	if a.kind != b.kind {
		return a.kind > b.kind
	}
	if a.kind == leadingWildcard || a.kind == trailingWildcard {
		if a.length != b.length {
			return a.length > b.length
		}
	}
	return a.order < b.order
}

// matchName ranks one server_name pattern against host (lowercase).
func matchName(pattern, host string) (kind, length int) {
	switch {
	case strings.HasPrefix(pattern, "~"):
		// nginx matches server_name regexes without regard to case.
		re, err := regexp.Compile("(?i)" + pattern[1:])
		if err == nil && re.MatchString(host) {
			return regexMatch, 0
		}
	case pattern == host:
		return exactMatch, len(pattern)
	case strings.HasPrefix(pattern, "*."):
		if suffix := pattern[1:]; len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
			return leadingWildcard, len(pattern)
		}
	case strings.HasPrefix(pattern, "."):
		// ".example.org" is example.org and *.example.org.
		if host == pattern[1:] || strings.HasSuffix(host, pattern) {
			return leadingWildcard, len(pattern)
		}
	case strings.HasSuffix(pattern, ".*"):
		if prefix := pattern[:len(pattern)-1]; len(host) > len(prefix) && strings.HasPrefix(host, prefix) {
			return trailingWildcard, len(pattern)
		}
	}
	return noMatch, 0
}

// rankFor is the best rank of any of s's names for host.
func (s *Server) rankFor(host string) rank {
	best := rank{kind: noMatch, order: s.order}
	for _, n := range s.Names {
		k, l := matchName(n, host)
		r := rank{kind: k, length: l, order: s.order}
		if k != noMatch && r.better(best) {
			best = r
		}
	}
	return best
}

// Find returns the server block nginx would choose for host among those
// keep accepts, or nil when none names it. A block chosen only as a
// listen's default_server does not count: mason edits blocks that name
// the host.
func Find(servers []*Server, host string, keep func(*Server) bool) *Server {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	var best *Server
	var bestRank rank
	for _, s := range servers {
		if keep != nil && !keep(s) {
			continue
		}
		r := s.rankFor(host)
		if r.kind == noMatch {
			continue
		}
		if best == nil || r.better(bestRank) {
			best, bestRank = s, r
		}
	}
	return best
}

// DialAddr is where a plain-HTTP request for host reaches s on this
// machine: its first plain listen, with a wildcard address made loopback.
func (s *Server) DialAddr() string {
	for _, l := range s.Listens {
		if l.SSL || l.Unix {
			continue
		}
		host := l.Host
		switch host {
		case "", "0.0.0.0":
			host = "127.0.0.1"
		case "::":
			host = "::1"
		}
		return net.JoinHostPort(host, strconv.Itoa(l.Port))
	}
	return "127.0.0.1:80"
}
