package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/quarry-ca/quarry/client/store"
)

// certonlyFlags are certonly's own flags; they become renewal/<name>.conf.
type certonlyFlags struct {
	common
	domains                    multi
	webroot                    string
	standalone, tlsALPN        bool
	httpPort, tlsPort, rsaBits int
	dns, dnsServer, tsigName   string
	tsigSecret, dnsHook, alias string
	resolver                   string
	certName, keyType, curve   string
	deployHook                 string
	reg                        registration
}

func (f *certonlyFlags) bind(e env) *flag.FlagSet {
	fs := flagSet(e, "certonly")
	f.common.bind(fs)
	fs.Var(&f.domains, "d", "a name to include (repeat for more; the first names the certificate)")
	fs.StringVar(&f.webroot, "webroot", "", "http-01: the document root of the running web server")
	fs.BoolVar(&f.standalone, "standalone", false, "http-01: answer from mason's own listener")
	fs.IntVar(&f.httpPort, "http-port", 80, "port of the --standalone listener")
	fs.BoolVar(&f.tlsALPN, "tls-alpn", false, "tls-alpn-01: answer from mason's own TLS listener")
	fs.IntVar(&f.tlsPort, "tls-port", 443, "port of the --tls-alpn listener")
	fs.StringVar(&f.dns, "dns", "", "dns-01 by 'rfc2136' dynamic update")
	fs.StringVar(&f.dnsServer, "dns-server", "", "host:port of the primary DNS server for --dns rfc2136")
	fs.StringVar(&f.tsigName, "tsig-key-name", "", "TSIG key name for --dns rfc2136")
	fs.StringVar(&f.tsigSecret, "tsig-secret", "", "TSIG HMAC-SHA256 secret (base64) for --dns rfc2136")
	fs.StringVar(&f.dnsHook, "dns-hook", "", "dns-01 through SCRIPT add|remove FQDN VALUE")
	fs.StringVar(&f.resolver, "dns-resolver", "", "host:port to poll until a --dns-hook record is visible (default: no wait)")
	fs.StringVar(&f.alias, "challenge-alias", "", "dns-01 through a CNAME from _acme-challenge.NAME to _acme-challenge.ZONE")
	fs.StringVar(&f.certName, "cert-name", "", "name of the lineage (default: the first -d)")
	fs.StringVar(&f.keyType, "key-type", "ecdsa", "certificate key: ecdsa or rsa")
	fs.IntVar(&f.rsaBits, "rsa-key-size", 2048, "RSA key size for --key-type rsa")
	fs.StringVar(&f.curve, "elliptic-curve", "secp256r1", "curve for --key-type ecdsa: secp256r1 or secp384r1")
	f.reg.bind(fs)
	fs.StringVar(&f.deployHook, "deploy-hook", "", "command run after each renewal (RENEWED_LINEAGE, RENEWED_DOMAINS set)")
	return fs
}

// renewal turns the flags into the lineage's renewal config.
func (f *certonlyFlags) renewal(dirURL string) (store.Renewal, error) {
	r := store.Renewal{
		Version: 1, Server: dirURL, Domains: lower(f.domains), KeyType: f.keyType,
		RSAKeySize: f.rsaBits, Curve: f.curve, CABundle: f.caBundle, DeployHook: f.deployHook,
		Alias: f.alias,
	}
	var picked []string
	if f.webroot != "" {
		picked, r.Authenticator, r.Webroot = append(picked, "--webroot"), store.AuthWebroot, f.webroot
	}
	if f.standalone {
		picked, r.Authenticator, r.HTTPPort = append(picked, "--standalone"), store.AuthStandalone, f.httpPort
	}
	if f.tlsALPN {
		picked, r.Authenticator, r.TLSPort = append(picked, "--tls-alpn"), store.AuthTLSALPN, f.tlsPort
	}
	if f.dns != "" {
		if f.dns != "rfc2136" {
			return r, fmt.Errorf("--dns %q: only rfc2136 is built in; use --dns-hook for other providers", f.dns)
		}
		picked, r.Authenticator = append(picked, "--dns"), store.AuthRFC2136
		r.DNSServer, r.TSIGKeyName, r.TSIGSecret = f.dnsServer, f.tsigName, f.tsigSecret
	}
	if f.dnsHook != "" {
		picked, r.Authenticator, r.DNSHook = append(picked, "--dns-hook"), store.AuthDNSHook, f.dnsHook
		r.DNSResolver = f.resolver
	}
	switch {
	case len(f.domains) == 0:
		return r, errors.New("name at least one domain with -d")
	case len(picked) == 0:
		return r, errors.New("pick an authenticator: --webroot, --standalone, --tls-alpn, --dns rfc2136 or --dns-hook")
	case len(picked) > 1:
		return r, fmt.Errorf("pick one authenticator, not %s", strings.Join(picked, " and "))
	}
	check := r
	check.Account = "pending" // known only once the account is loaded
	return r, check.Validate()
}

// absPaths makes saved paths absolute, since renew runs from cron in
// another working directory.
func (f *certonlyFlags) absPaths() error {
	for _, p := range []*string{&f.webroot, &f.caBundle, &f.dnsHook} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("path %s: %w", *p, err)
		}
		*p = abs
	}
	return nil
}

func lower(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(strings.TrimSuffix(s, "."))
	}
	return out
}

func runCertonly(ctx context.Context, e env, args []string) int {
	var f certonlyFlags
	fs := f.bind(e)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := f.out(e)
	dirURL, err := serverURL(f.server)
	if err != nil {
		return o.usageErr("%v", err)
	}
	if err := f.absPaths(); err != nil {
		return o.usageErr("%v", err)
	}
	r, err := f.renewal(dirURL)
	if err != nil {
		return o.usageErr("%v.", strings.TrimSuffix(err.Error(), "."))
	}
	name := f.certName
	if name == "" {
		name = strings.TrimPrefix(r.Domains[0], "*.")
	}
	st, err := openStore(e, f.common)
	if err != nil {
		return o.fail(err)
	}
	unlock, err := e.lock(ctx, st)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	s, err := accountFor(ctx, e, st, dirURL, f.caBundle, f.reg, o)
	if err != nil {
		return o.fail(err)
	}
	r.Account = s.account.ID
	res, err := issueAndSave(ctx, st, s, name, r, "", o)
	if err != nil {
		return o.fail(err)
	}
	o.result(res)
	return exitOK
}

// accountFor loads the server's account, registering one if allowed.
func accountFor(ctx context.Context, e env, st *store.Store, dirURL, caBundle string, reg registration, o out) (*session, error) {
	s, err := loadSession(ctx, e, st, dirURL, caBundle, "")
	if errors.Is(err, errNoAccount) && reg.agree {
		return register(ctx, e, st, dirURL, caBundle, reg, o)
	}
	if err == nil {
		o.step("Account: %s", s.account.URL)
	}
	return s, err
}

// saved is what certonly and renew report about a stored certificate.
type saved struct {
	Name      string   `json:"name"`
	Version   int      `json:"version"`
	Domains   []string `json:"domains"`
	NotAfter  string   `json:"not_after"`
	FullChain string   `json:"fullchain"`
	PrivKey   string   `json:"privkey"`
}

// issueAndSave obtains a certificate and only then writes it, then the
// renewal config, so a failure leaves the disk as it was.
func issueAndSave(ctx context.Context, st *store.Store, s *session, name string, r store.Renewal, replaces string, o out) (*saved, error) {
	iss, err := obtain(ctx, s, r, replaces, o)
	if err != nil {
		return nil, err
	}
	n, err := st.SaveVersion(name, iss.files)
	if err != nil {
		return nil, err
	}
	if err := st.SaveRenewal(name, r); err != nil {
		return nil, err
	}
	o.step("Saved: %s and %s", st.LivePath(name, "fullchain"), st.LivePath(name, "privkey"))
	return &saved{
		Name: name, Version: n, Domains: r.Domains,
		NotAfter:  iss.leaf.NotAfter.UTC().Format("2006-01-02T15:04:05Z"),
		FullChain: st.LivePath(name, "fullchain"), PrivKey: st.LivePath(name, "privkey"),
	}, nil
}
