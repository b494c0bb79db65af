package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func TestCheckIdentifiers(t *testing.T) {
	var (
		label63  = strings.Repeat("a", 63)
		name253  = label63 + "." + label63 + "." + label63 + "." + strings.Repeat("d", 57) + ".com"
		name254  = label63 + "." + label63 + "." + label63 + "." + strings.Repeat("d", 58) + ".com"
		names100 = make([]string, 100)
		names101 = make([]string, 101)
	)
	for i := range names101 {
		if i < 100 {
			names100[i] = fmt.Sprintf("n%d.quarry.com", i)
		}
		names101[i] = fmt.Sprintf("n%d.quarry.com", i)
	}
	blocked := []string{"blocked.com", "secret.quarry.net", "9.9.9.9", "2001:4860::99"}
	const (
		ok       = core.Kind("")
		malf     = core.ErrMalformed
		rejected = core.ErrRejectedIdentifier
		unsupp   = core.ErrUnsupportedIdentifier
	)
	tests := []struct {
		name    string
		mode    Mode
		allowIP bool
		ids     []acme.Identifier
		want    core.Kind
		detail  string
	}{
		// Lists.
		{name: "empty list", ids: nil, want: malf, detail: "at least one"},
		{name: "100 names", ids: dns(names100...), want: ok},
		{name: "101 names", ids: dns(names101...), want: rejected, detail: "at most 100"},
		{name: "duplicate", ids: dns("quarry.com", "quarry.com"), want: malf, detail: "more than once"},
		{name: "duplicate after lower-casing", ids: dns("quarry.com", "QUARRY.com"), want: malf, detail: "more than once"},
		{name: "same value as dns and ip types", allowIP: true, ids: append(dns("quarry.com"), ips("8.8.8.8")...), want: ok},

		// Types.
		{name: "unknown type email", ids: []acme.Identifier{{Type: "email", Value: "a@quarry.com"}}, want: unsupp},
		{name: "empty type", ids: []acme.Identifier{{Type: "", Value: "quarry.com"}}, want: unsupp},
		{name: "upper-case type", ids: []acme.Identifier{{Type: "DNS", Value: "quarry.com"}}, want: unsupp},
		{name: "ip when not allowed", ids: ips("8.8.8.8"), want: unsupp, detail: "IP address"},

		// Valid public names.
		{name: "two labels", ids: dns("quarry.com"), want: ok},
		{name: "many labels", ids: dns("a.b.c.www.quarry.co.uk"), want: ok},
		{name: "digits and hyphens", ids: dns("123.a-b.quarry.com"), want: ok},
		{name: "under a private-section suffix", ids: dns("quarry.github.io"), want: ok},
		{name: "private-section suffix itself", ids: dns("github.io"), want: ok},
		{name: "exception rule www.ck", ids: dns("www.ck"), want: ok},
		{name: "63-character label", ids: dns(label63 + ".com"), want: ok},
		{name: "253-character name", ids: dns(name253), want: ok},
		{name: "IDN A-label", ids: dns("xn--bcher-kva.de"), want: ok},
		{name: "IDN A-label CJK", ids: dns("xn--55qx5d.xn--fiqs8s"), want: ok},
		{name: "IDN TLD", ids: dns("quarry.xn--p1ai"), want: ok},
		{name: "RTL A-label with LTR TLD", ids: dns("xn--mgbh0fb.com"), want: ok},

		// Syntax, every mode.
		{name: "empty value", ids: dns(""), want: malf, detail: "empty"},
		{name: "trailing dot", ids: dns("quarry.com."), want: malf, detail: "dot"},
		{name: "upper case", ids: dns("Quarry.com"), want: rejected, detail: "lower case"},
		{name: "underscore", ids: dns("_acme.quarry.com"), want: malf, detail: "invalid character"},
		{name: "space", ids: dns("quarry .com"), want: malf, detail: "invalid character"},
		{name: "non-ASCII U-label", ids: dns("bücher.de"), want: malf, detail: "A-labels"},
		{name: "64-character label", ids: dns(label63 + "a.com"), want: malf, detail: "label of 64"},
		{name: "254-character name", ids: dns(name254), want: malf, detail: "254"},
		{name: "empty label", ids: dns("a..quarry.com"), want: malf, detail: "empty label"},
		{name: "leading dot", ids: dns(".quarry.com"), want: malf, detail: "empty label"},
		{name: "leading hyphen", ids: dns("-a.quarry.com"), want: malf, detail: "hyphen"},
		{name: "trailing hyphen", ids: dns("a-.quarry.com"), want: malf, detail: "hyphen"},
		{name: "R-LDH label", ids: dns("ab--c.quarry.com"), want: malf, detail: "third and fourth"},
		{name: "bad A-label", ids: dns("xn--abc.quarry.com"), want: malf, detail: "A-label"},
		{name: "bare xn-- label", ids: dns("xn--.quarry.com"), want: malf, detail: "hyphen"},
		{name: "upper-case A-label", ids: dns("xn--Bcher-kva.de"), want: rejected, detail: "lower case"},
		{name: "bidi rule across labels", ids: dns("xn--mgbh0fb.1a.com"), want: malf, detail: "internationalized"},
		{name: "all-numeric TLD", ids: dns("quarry.123"), want: malf, detail: "all digits"},
		{name: "IPv4 as dns", ids: dns("192.0.2.1"), want: malf, detail: "\"ip\""},
		{name: "IPv6 as dns", ids: dns("2001:db8::1"), want: malf, detail: "\"ip\""},

		// Public-mode names.
		{name: "single label", ids: dns("quarry"), want: rejected, detail: "single label"},
		{name: "localhost", ids: dns("localhost"), want: rejected, detail: "single label"},
		{name: "TLD alone", ids: dns("com"), want: rejected},
		{name: "public suffix co.uk", ids: dns("co.uk"), want: rejected, detail: "public suffix"},
		{name: "public suffix by wildcard rule", ids: dns("quarry.ck"), want: rejected, detail: "public suffix"},
		{name: "TLD not in the root", ids: dns("quarry.notatld"), want: rejected, detail: "ICANN"},
		{name: "reserved .local", ids: dns("printer.local"), want: rejected, detail: "reserved"},
		{name: "reserved .localhost", ids: dns("app.localhost"), want: rejected, detail: "reserved"},
		{name: "reserved .test", ids: dns("quarry.test"), want: rejected, detail: "reserved"},
		{name: "reserved .example", ids: dns("quarry.example"), want: rejected, detail: "reserved"},
		{name: "reserved .invalid", ids: dns("quarry.invalid"), want: rejected, detail: "reserved"},
		{name: "reserved .internal", ids: dns("db.internal"), want: rejected, detail: "reserved"},
		{name: "reserved .lan", ids: dns("nas.lan"), want: rejected, detail: "reserved"},
		{name: "reserved .home.arpa", ids: dns("router.home.arpa"), want: rejected, detail: "home.arpa"},
		{name: "reserved .arpa", ids: dns("1.2.0.192.in-addr.arpa"), want: rejected, detail: "reserved"},
		{name: "reserved .onion", ids: dns("quarryabc.onion"), want: rejected, detail: "reserved"},
		{name: "reserved .alt", ids: dns("quarry.alt"), want: rejected, detail: "reserved"},
		{name: "reserved .corp", ids: dns("mail.corp"), want: rejected, detail: "reserved"},
		{name: "reserved .home", ids: dns("nas.home"), want: rejected, detail: "reserved"},
		{name: "reserved .mail", ids: dns("quarry.mail"), want: rejected, detail: "reserved"},
		{name: "example.com", ids: dns("example.com"), want: rejected, detail: "reserved"},
		{name: "under example.org", ids: dns("www.example.org"), want: rejected, detail: "reserved"},
		{name: "example.net", ids: dns("example.net"), want: rejected, detail: "reserved"},
		{name: "lookalike of example.com", ids: dns("myexample.com"), want: ok},

		// Wildcards.
		{name: "wildcard", ids: dns("*.quarry.com"), want: ok},
		{name: "wildcard under co.uk", ids: dns("*.quarry.co.uk"), want: ok},
		{name: "wildcard and its base", ids: dns("*.quarry.com", "quarry.com"), want: ok},
		{name: "double wildcard", ids: dns("*.*.quarry.com"), want: malf, detail: "wildcard"},
		{name: "inner wildcard", ids: dns("a.*.quarry.com"), want: malf, detail: "wildcard"},
		{name: "partial wildcard label", ids: dns("*x.quarry.com"), want: malf, detail: "wildcard"},
		{name: "bare star", ids: dns("*"), want: malf, detail: "wildcard"},
		{name: "star dot", ids: dns("*."), want: malf},
		{name: "wildcard over com", ids: dns("*.com"), want: rejected, detail: "public suffix"},
		{name: "wildcard over co.uk", ids: dns("*.co.uk"), want: rejected, detail: "public suffix"},
		{name: "wildcard over ck", ids: dns("*.ck"), want: rejected, detail: "public suffix"},
		{name: "wildcard over reserved", ids: dns("*.example.com"), want: rejected, detail: "reserved"},
		{name: "wildcard with bad base", ids: dns("*.-a.quarry.com"), want: malf, detail: "hyphen"},

		// Block list.
		{name: "blocked exact", ids: dns("blocked.com"), want: rejected, detail: "block list"},
		{name: "blocked suffix", ids: dns("www.blocked.com"), want: rejected, detail: "block list"},
		{name: "blocked wildcard over blocked", ids: dns("*.blocked.com"), want: rejected, detail: "block list"},
		{name: "not blocked: same ending, other label", ids: dns("notblocked.com"), want: ok},
		{name: "parent of blocked name", ids: dns("quarry.net"), want: ok},
		{name: "under blocked child", ids: dns("a.secret.quarry.net"), want: rejected, detail: "block list"},
		{name: "wildcard covering blocked child", ids: dns("*.quarry.net"), want: rejected, detail: "block list"},
		{name: "wildcard beside blocked child", ids: dns("*.other.quarry.net"), want: ok},
		{name: "blocked IPv4", allowIP: true, ids: ips("9.9.9.9"), want: rejected, detail: "block list"},
		{name: "blocked IPv6", allowIP: true, ids: ips("2001:4860::99"), want: rejected, detail: "block list"},

		// IP identifiers, public.
		{name: "ipv4", allowIP: true, ids: ips("8.8.8.8"), want: ok},
		{name: "ipv6", allowIP: true, ids: ips("2001:4860:4860::8888"), want: ok},
		{name: "ipv4 leading zeros", allowIP: true, ids: ips("127.000.0.1"), want: malf, detail: "canonical"},
		{name: "ipv4 leading zero", allowIP: true, ids: ips("08.8.8.8"), want: malf, detail: "canonical"},
		{name: "ipv4 short form", allowIP: true, ids: ips("8.8.8"), want: malf},
		{name: "ipv6 upper case", allowIP: true, ids: ips("2A00:1450::1"), want: malf, detail: "2a00:1450::1"},
		{name: "ipv6 uncompressed", allowIP: true, ids: ips("2001:4860:4860:0:0:0:0:8888"), want: malf, detail: "canonical"},
		{name: "ipv6 zone", allowIP: true, ids: ips("fe80::1%eth0"), want: malf, detail: "zone"},
		{name: "ipv4-mapped ipv6", allowIP: true, ids: ips("::ffff:8.8.8.8"), want: malf, detail: "8.8.8.8"},
		{name: "not an address", allowIP: true, ids: ips("quarry.com"), want: malf},
		{name: "loopback v4", allowIP: true, ids: ips("127.0.0.1"), want: rejected, detail: "127.0.0.0/8"},
		{name: "private 10/8", allowIP: true, ids: ips("10.1.2.3"), want: rejected, detail: "special-purpose"},
		{name: "private 172.16/12", allowIP: true, ids: ips("172.16.0.1"), want: rejected},
		{name: "private 192.168/16", allowIP: true, ids: ips("192.168.1.1"), want: rejected},
		{name: "link-local v4", allowIP: true, ids: ips("169.254.1.1"), want: rejected},
		{name: "shared 100.64/10", allowIP: true, ids: ips("100.64.0.1"), want: rejected},
		{name: "documentation v4", allowIP: true, ids: ips("192.0.2.1"), want: rejected},
		{name: "multicast v4", allowIP: true, ids: ips("224.0.0.1"), want: rejected},
		{name: "broadcast", allowIP: true, ids: ips("255.255.255.255"), want: rejected},
		{name: "unspecified v4", allowIP: true, ids: ips("0.0.0.0"), want: rejected},
		{name: "loopback v6", allowIP: true, ids: ips("::1"), want: rejected},
		{name: "unspecified v6", allowIP: true, ids: ips("::"), want: rejected},
		{name: "link-local v6", allowIP: true, ids: ips("fe80::1"), want: rejected},
		{name: "unique local v6", allowIP: true, ids: ips("fd00::1"), want: rejected},
		{name: "documentation v6", allowIP: true, ids: ips("2001:db8::1"), want: rejected},
		{name: "nat64 v6", allowIP: true, ids: ips("64:ff9b::808:808"), want: rejected},
		{name: "outside 2000::/3", allowIP: true, ids: ips("4000::1"), want: rejected, detail: "2000::/3"},

		// Private mode.
		{name: "private: single label", mode: ModePrivate, ids: dns("quarry"), want: ok},
		{name: "private: .lan", mode: ModePrivate, ids: dns("nas.lan"), want: ok},
		{name: "private: .internal", mode: ModePrivate, ids: dns("db.corp.internal"), want: ok},
		{name: "private: .local", mode: ModePrivate, ids: dns("printer.local"), want: ok},
		{name: "private: public suffix", mode: ModePrivate, ids: dns("co.uk"), want: ok},
		{name: "private: wildcard internal", mode: ModePrivate, ids: dns("*.lan"), want: ok},
		{name: "private: wildcard over com", mode: ModePrivate, ids: dns("*.com"), want: rejected, detail: "public suffix"},
		{name: "private: upper case", mode: ModePrivate, ids: dns("NAS.lan"), want: rejected, detail: "lower case"},
		{name: "private: underscore", mode: ModePrivate, ids: dns("nas_1.lan"), want: malf},
		{name: "private: numeric TLD", mode: ModePrivate, ids: dns("nas.1"), want: malf},
		{name: "private: loopback ip", mode: ModePrivate, allowIP: true, ids: ips("127.0.0.1"), want: ok},
		{name: "private: rfc1918 ip", mode: ModePrivate, allowIP: true, ids: ips("10.0.0.1", "fd00::1"), want: ok},
		{name: "private: noncanonical ip", mode: ModePrivate, allowIP: true, ids: ips("10.0.0.01"), want: malf},
		{name: "private: blocked", mode: ModePrivate, ids: dns("x.blocked.com"), want: rejected, detail: "block list"},

		// Dev mode.
		{name: "dev: localhost", mode: ModeDev, ids: dns("localhost"), want: ok},
		{name: "dev: .localhost", mode: ModeDev, ids: dns("app.localhost"), want: ok},
		{name: "dev: .test", mode: ModeDev, ids: dns("quarry.test"), want: ok},
		{name: "dev: wildcard localhost", mode: ModeDev, ids: dns("*.localhost"), want: ok},
		{name: "dev: underscore", mode: ModeDev, ids: dns("a_b.localhost"), want: malf},
		{name: "dev: loopback v6", mode: ModeDev, allowIP: true, ids: ips("::1"), want: ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, Config{Mode: tt.mode, AllowIP: tt.allowIP, BlockedNames: blocked})
			checkKind(t, p.CheckIdentifiers(tt.ids), tt.want, tt.detail)
		})
	}
}

func TestCheckIdentifiersSubproblems(t *testing.T) {
	p := mustNew(t, Config{})
	ids := dns("quarry.com", "bad_name.quarry.com", "*.com", "nas.lan")
	err := p.CheckIdentifiers(ids)
	if !errors.Is(err, core.ErrRejectedIdentifier) {
		t.Fatalf("got %v, want a rejectedIdentifier compound", err)
	}
	ce := core.AsError(err)
	wantKinds := []core.Kind{core.ErrMalformed, core.ErrRejectedIdentifier, core.ErrRejectedIdentifier}
	if len(ce.Sub) != len(wantKinds) {
		t.Fatalf("got %d subproblems, want %d: %v", len(ce.Sub), len(wantKinds), ce.Sub)
	}
	for i, sub := range ce.Sub {
		if sub.Kind != wantKinds[i] {
			t.Errorf("subproblem %d: got kind %s, want %s", i, sub.Kind, wantKinds[i])
		}
		if sub.Identifier == nil || *sub.Identifier != ids[i+1] {
			t.Errorf("subproblem %d: got identifier %v, want %v", i, sub.Identifier, ids[i+1])
		}
	}
}

func TestCheckIdentifiersSingleFailureNamesIdentifier(t *testing.T) {
	p := mustNew(t, Config{})
	ids := dns("quarry.com", "nas.lan")
	ce := core.AsError(p.CheckIdentifiers(ids))
	if ce.Kind != core.ErrRejectedIdentifier || len(ce.Sub) != 0 {
		t.Fatalf("got %v with %d subproblems, want one rejectedIdentifier", ce, len(ce.Sub))
	}
	if ce.Identifier == nil || *ce.Identifier != ids[1] {
		t.Fatalf("got identifier %v, want %v", ce.Identifier, ids[1])
	}
}

func TestMaxNames(t *testing.T) {
	tests := []struct {
		name string
		max  int
		n    int
		want core.Kind
	}{
		{name: "at the limit", max: 3, n: 3},
		{name: "over the limit", max: 3, n: 4, want: core.ErrRejectedIdentifier},
		{name: "default limit", max: 0, n: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, Config{MaxNames: tt.max})
			var names []string
			for i := range tt.n {
				names = append(names, fmt.Sprintf("n%d.quarry.com", i))
			}
			checkKind(t, p.CheckIdentifiers(dns(names...)), tt.want, "")
		})
	}
}
