package nginx

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
)

// marker ends every line mason adds, so an operator can tell them apart.
const marker = " # managed by mason"

// ChallengePath is the URL path prefix of http-01 challenges.
const ChallengePath = "/.well-known/acme-challenge/"

// CertOptions says what InstallCert puts in place.
type CertOptions struct {
	FullChain, PrivKey string // absolute paths
	// HTTPSPort is the port of the listens added to a block that served
	// only plain HTTP (0 means 443).
	HTTPSPort int
	// Redirect adds a 301 to https to the plain-HTTP block of each name.
	Redirect bool
}

// InstallCert points the server block of each name at the certificate.
// For each name it takes the block nginx would choose among those that
// serve HTTPS; when none names it, the plain-HTTP block that does gets
// listens for HTTPS beside its own (same addresses, the HTTPS port). It
// returns one line per change, for people.
func (c *Config) InstallCert(names []string, o CertOptions) ([]string, error) {
	if o.HTTPSPort == 0 {
		o.HTTPSPort = 443
	}
	fullchain, err := quote(o.FullChain)
	if err != nil {
		return nil, err
	}
	privkey, err := quote(o.PrivKey)
	if err != nil {
		return nil, err
	}
	var notes []string
	servers := c.Servers()
	done := map[*Directive]bool{}
	for _, name := range names {
		s := Find(servers, name, (*Server).TLS)
		if s == nil {
			s = Find(servers, name, (*Server).HTTP)
		}
		if s == nil {
			return nil, core.Errorf(core.ErrNotFound, "no server block of %s has a server_name matching %s; add one", c.Main.Path, name)
		}
		if done[s.Dir] {
			continue
		}
		done[s.Dir] = true
		if err := c.editable(s, name); err != nil {
			return nil, err
		}
		if !s.TLS() {
			n, err := addTLSListens(s, o.HTTPSPort)
			if err != nil {
				return nil, err
			}
			notes = append(notes, n...)
		}
		n, err := c.setCert(s, name, fullchain, privkey)
		if err != nil {
			return nil, err
		}
		notes = append(notes, n...)
	}
	if o.Redirect {
		notes = append(notes, c.addRedirects(names, o.HTTPSPort)...)
	}
	return notes, nil
}

// editable refuses a block in a file that several includes share, since
// an edit there would change every place it is included.
func (c *Config) editable(s *Server, name string) error {
	if s.File.includes > 1 {
		return core.Errorf(core.ErrMalformed, "the server block for %s is in %s, which is included more than once; mason edits no shared file", name, s.File.Path)
	}
	return nil
}

func where(s *Server, name string) string {
	return fmt.Sprintf("%s (server block for %s)", s.File.Path, name)
}

// addTLSListens adds "listen ADDR:PORT ssl" for each address the block
// listens on for plain HTTP, so a block bound to one address stays bound
// to it. A listen already on that port gains the ssl parameter instead.
func addTLSListens(s *Server, port int) ([]string, error) {
	onPort := map[string]bool{}
	for _, l := range s.Listens {
		if l.Port == port && !l.Unix {
			onPort[l.Host] = true
			if !l.SSL {
				l.Dir.Words = append(l.Dir.Words, Word{Pre: " ", Raw: "ssl"})
			}
		}
	}
	var addrs []string
	for _, l := range s.Listens {
		if l.SSL || l.Unix || onPort[l.Host] {
			continue
		}
		if strings.Trim(l.Host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-_%") != "" {
			return nil, core.Errorf(core.ErrMalformed, "%s: cannot make an HTTPS listen from the address %q", s.File.Path, l.Host)
		}
		a := strconv.Itoa(port)
		if l.Host != "" {
			a = net.JoinHostPort(l.Host, a)
		}
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if len(s.Listens) == 0 {
		addrs = []string{strconv.Itoa(port)}
	}
	b := s.Dir.Block
	at := lastIndex(b, "listen", "server_name")
	var notes []string
	for _, a := range addrs {
		at++
		insertAt(b, at, newDirective("listen", a, "ssl"))
		notes = append(notes, fmt.Sprintf("%s: added listen %s ssl", s.File.Path, a))
	}
	return notes, nil
}

// setCert sets ssl_certificate and ssl_certificate_key in the block
// itself, replacing the ones there.
func (c *Config) setCert(s *Server, name, fullchain, privkey string) ([]string, error) {
	found := map[string][]*Directive{}
	var err error
	c.each(s.File, s.Dir.Block, func(f *SourceFile, parent *Block, d *Directive) {
		n := d.Name()
		if n != "ssl_certificate" && n != "ssl_certificate_key" {
			return
		}
		if parent != s.Dir.Block && err == nil {
			err = core.Errorf(core.ErrMalformed, "%s sets %s for %s through an include; set it in the server block or let mason do it", f.Path, n, name)
		}
		if len(d.Words) != 2 && err == nil {
			err = core.Errorf(core.ErrMalformed, "%s: %s takes one path", s.File.Path, n)
		}
		found[n] = append(found[n], d)
	})
	if err != nil {
		return nil, err
	}
	var notes []string
	b := s.Dir.Block
	for _, set := range []struct{ name, value string }{{"ssl_certificate", fullchain}, {"ssl_certificate_key", privkey}} {
		switch ds := found[set.name]; len(ds) {
		case 0:
			at := lastIndex(b, "ssl_certificate", "server_name", "listen")
			insertAt(b, at+1, newDirective(set.name, set.value))
			notes = append(notes, fmt.Sprintf("%s: added %s", where(s, name), set.name))
		case 1:
			if ds[0].Words[1].Raw != set.value {
				ds[0].Words[1].Raw = set.value
				notes = append(notes, fmt.Sprintf("%s: replaced %s", where(s, name), set.name))
			}
		default:
			return nil, core.Errorf(core.ErrMalformed, "the server block for %s in %s has %d %s directives; mason edits blocks with one certificate", name, s.File.Path, len(ds), set.name)
		}
	}
	return notes, nil
}

// addRedirects makes the plain-HTTP block of each name answer 301 to
// https. A block that also serves HTTPS gets the redirect under
// "if ($scheme = http)", so HTTPS requests are served as before.
func (c *Config) addRedirects(names []string, port int) []string {
	target := "https://$host$request_uri"
	if port != 443 {
		target = "https://$host:" + strconv.Itoa(port) + "$request_uri"
	}
	servers := c.Servers()
	done := map[*Directive]bool{}
	var notes []string
	for _, name := range names {
		s := Find(servers, name, (*Server).HTTP)
		if s == nil {
			notes = append(notes, fmt.Sprintf("no plain-HTTP server block names %s: nothing to redirect", name))
			continue
		}
		if done[s.Dir] {
			continue
		}
		done[s.Dir] = true
		if c.editable(s, name) != nil || hasRedirect(s.Dir.Block) {
			notes = append(notes, fmt.Sprintf("%s: already returns or redirects; left as it is", where(s, name)))
			continue
		}
		ret := newDirective("return", "301", target)
		if s.TLS() {
			ret.Words[0].Pre = " "
			ret.Post = " "
			d := newDirective("if", "($scheme", "=", "http)")
			d.PreEnd = " "
			d.Block = &Block{Directives: []*Directive{ret}}
			ret = d
		}
		insertAt(s.Dir.Block, 0, ret)
		notes = append(notes, fmt.Sprintf("%s: added a 301 redirect to https", where(s, name)))
	}
	return notes
}

// hasRedirect reports whether a block already ends requests at the server
// level: a return, or an if on $scheme such as mason adds.
func hasRedirect(b *Block) bool {
	for _, d := range b.Directives {
		if d.Name() == "return" || (d.Name() == "if" && strings.Contains(d.String(), "$scheme")) {
			return true
		}
	}
	return false
}

// AddChallenge makes the plain-HTTP block of each name serve
// /.well-known/acme-challenge/ from webroot: a location for the path and,
// first in the block, a rewrite that stops the block's own server-level
// rewrites (such as a redirect to https) for challenge requests. It
// returns, for each name, the address its block listens on, so a caller
// can check that nginx serves the answer.
func (c *Config) AddChallenge(names []string, webroot string) (map[string]string, error) {
	root, err := quote(webroot)
	if err != nil {
		return nil, err
	}
	servers := c.Servers()
	done := map[*Directive]bool{}
	addrs := map[string]string{}
	for _, name := range names {
		s := Find(servers, name, (*Server).HTTP)
		if s == nil {
			return nil, core.Errorf(core.ErrNotFound, "no server block of %s serves plain HTTP for %s, which http-01 needs", c.Main.Path, name)
		}
		addrs[name] = s.DialAddr()
		if done[s.Dir] {
			continue
		}
		done[s.Dir] = true
		if err := c.editable(s, name); err != nil {
			return nil, err
		}
		for _, d := range s.Dir.Block.Directives {
			if d.Name() == "location" && d.Block != nil && slices.Contains(d.Args(), ChallengePath) {
				return nil, core.Errorf(core.ErrMalformed, "%s already has a location for %s; use --webroot with its root instead", where(s, name), ChallengePath)
			}
		}
		loc := newDirective("location", "^~", ChallengePath)
		loc.PreEnd = " "
		rootD := newDirective("root", root)
		rootD.Words[0].Pre = " "
		typ := newDirective("default_type", "text/plain")
		typ.Words[0].Pre = " "
		loc.Block = &Block{Directives: []*Directive{rootD, typ}, PreClose: " "}
		insertAt(s.Dir.Block, 0, loc)
		insertAt(s.Dir.Block, 0, newDirective("rewrite", `^(/\.well-known/acme-challenge/[-_A-Za-z0-9]+)$`, "$1", "break"))
	}
	return addrs, nil
}

func newDirective(name string, args ...string) *Directive {
	d := &Directive{Words: []Word{{Raw: name}}}
	for _, a := range args {
		d.Words = append(d.Words, Word{Pre: " ", Raw: a})
	}
	return d
}

// lastIndex is the index of the last directive of b named one of names,
// trying them in order; -1 when there is none.
func lastIndex(b *Block, names ...string) int {
	for _, n := range names {
		for i := len(b.Directives) - 1; i >= 0; i-- {
			if b.Directives[i].Name() == n {
				return i
			}
		}
	}
	return -1
}

// insertAt puts d at index i of b on a line of its own, indented like its
// neighbours and marked. A comment that ended the previous line stays on
// that line.
func insertAt(b *Block, i int, d *Directive) {
	indent := indentOf(b, i)
	follow := &b.PreClose
	if i < len(b.Directives) {
		follow = &b.Directives[i].Words[0].Pre
	}
	head, tail := "", "\n"+indent
	if i == len(b.Directives) {
		tail = "\n"
	}
	if nl := strings.IndexByte(*follow, '\n'); nl >= 0 {
		head, tail = (*follow)[:nl], (*follow)[nl:]
	}
	d.Words[0].Pre = head + "\n" + indent
	if d.Post == "" {
		d.Post = marker
	} else {
		d.Post += marker[1:]
	}
	*follow = tail
	b.Directives = slices.Insert(b.Directives, i, d)
}

// indentOf is the indentation of the directive nearest index i of b.
func indentOf(b *Block, i int) string {
	for _, j := range []int{i - 1, i, 0} {
		if j < 0 || j >= len(b.Directives) {
			continue
		}
		pre := b.Directives[j].Words[0].Pre
		if nl := strings.LastIndexByte(pre, '\n'); nl >= 0 && strings.TrimLeft(pre[nl+1:], " \t") == "" {
			return pre[nl+1:]
		}
	}
	return "    "
}

// quote writes a path as one nginx word, quoted when it holds characters
// nginx would split on. A '$' is refused: nginx would read a variable in
// ssl_certificate and root, and no quoting stops that.
func quote(p string) (string, error) {
	if strings.Contains(p, "$") {
		return "", core.Errorf(core.ErrMalformed, "path %s holds a $, which nginx reads as a variable", p)
	}
	if p != "" && !strings.ContainsAny(p, " \t\r\n;{}\"'\\#") {
		return p, nil
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(p) + `"`, nil
}
