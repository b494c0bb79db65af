package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quarry-ca/quarry/client/renew"
	"github.com/quarry-ca/quarry/client/store"
)

// certonlyFlags are certonly's own flags; they become renewal/<name>.conf.
type certonlyFlags struct {
	common
	domains                         []string
	webroots                        webroots
	standalone, tlsALPN, manual     bool
	httpPort, tlsPort, rsaBits      int
	dns, dnsServer, tsigName        string
	tsigSecret, dnsHook, alias      string
	resolver                        string
	certName, keyType, curve        string
	deployHook                      string
	reg                             registration
	csr, certPath, chainPath        string
	fullchainPath                   string
	reuseKey, dryRun                bool
	preferredChain, profile         string
	preferredChallenges             string
	manualAuthHook, manualCleanHook string
	nonInteractive                  bool
}

func (f *certonlyFlags) bind(e env) *flag.FlagSet {
	fs := flagSet(e, "certonly")
	f.common.bind(fs)
	f.webroots.byName = map[string]string{}
	fs.Var(domainFlag{&f.domains, &f.webroots}, "d", "a name to include (repeat, or comma separate; the first names the certificate)")
	for _, n := range []string{"webroot", "w", "webroot-path"} {
		fs.Var(webrootFlag{&f.webroots}, n, "http-01: document root of the running web server, for the -d names after it")
	}
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
	fs.BoolVar(&f.manual, "manual", false, "answer by hand (or by --manual-auth-hook): mason says what to publish")
	fs.StringVar(&f.preferredChallenges, "preferred-challenges", "http", "challenge for --manual: http or dns")
	fs.StringVar(&f.manualAuthHook, "manual-auth-hook", "", "command publishing the answer (certbot's CERTBOT_* variables set)")
	fs.StringVar(&f.manualCleanHook, "manual-cleanup-hook", "", "command removing it afterwards")
	fs.BoolVar(&f.nonInteractive, "non-interactive", false, "never wait for a person (--manual then needs --manual-auth-hook)")
	fs.BoolVar(&f.nonInteractive, "n", false, "short for --non-interactive")
	fs.StringVar(&f.certName, "cert-name", "", "name of the lineage (default: the first -d)")
	fs.StringVar(&f.keyType, "key-type", "ecdsa", "certificate key: ecdsa or rsa")
	fs.IntVar(&f.rsaBits, "rsa-key-size", 2048, "RSA key size for --key-type rsa")
	fs.StringVar(&f.curve, "elliptic-curve", "secp256r1", "curve for --key-type ecdsa: secp256r1 or secp384r1")
	f.reg.bind(fs)
	fs.StringVar(&f.deployHook, "deploy-hook", "", "command run after each renewal (RENEWED_LINEAGE, RENEWED_DOMAINS set)")
	fs.StringVar(&f.csr, "csr", "", "PEM or DER certificate request to use; no lineage is saved")
	fs.StringVar(&f.certPath, "cert-path", "cert.pem", "with --csr: where to write the certificate")
	fs.StringVar(&f.chainPath, "chain-path", "chain.pem", "with --csr: where to write the chain")
	fs.StringVar(&f.fullchainPath, "fullchain-path", "fullchain.pem", "with --csr: where to write certificate and chain")
	fs.BoolVar(&f.reuseKey, "reuse-key", false, "keep the lineage's private key across renewals")
	fs.StringVar(&f.preferredChain, "preferred-chain", "", "issuer common name of the chain to prefer among the server's alternates")
	fs.StringVar(&f.profile, "profile", "", "certificate profile the server offers (see its directory)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "obtain a throwaway certificate (Let's Encrypt: from staging) and save nothing")
	return fs
}

// renewal turns the flags into the lineage's renewal config.
func (f *certonlyFlags) renewal(dirURL string) (store.Renewal, error) {
	r := store.Renewal{
		Version: 1, Server: dirURL, Domains: f.domains, KeyType: f.keyType,
		RSAKeySize: f.rsaBits, Curve: f.curve, CABundle: f.caBundle, DeployHook: f.deployHook,
		Alias: f.alias, ReuseKey: f.reuseKey, PreferredChain: f.preferredChain, Profile: f.profile,
	}
	var picked []string
	if len(f.webroots.roots) > 0 && len(f.domains) > 0 {
		picked, r.Authenticator = append(picked, "--webroot"), store.AuthWebroot
		if root, ok := f.webroots.single(f.domains); ok {
			r.Webroot = root
		} else {
			r.WebrootMap = f.webroots.byName
		}
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
	if f.manual {
		picked, r.Authenticator = append(picked, "--manual"), store.AuthManual
		r.ManualAuthHook, r.ManualCleanupHook = f.manualAuthHook, f.manualCleanHook
		switch f.preferredChallenges {
		case "http", "http-01":
			r.ManualChallenge = "http-01"
		case "dns", "dns-01":
			r.ManualChallenge = "dns-01"
		default:
			return r, fmt.Errorf("--preferred-challenges %q: use http or dns", f.preferredChallenges)
		}
	}
	switch {
	case len(f.domains) == 0:
		return r, errors.New("name at least one domain with -d")
	case len(picked) == 0:
		return r, errors.New("pick an authenticator: --webroot, --standalone, --tls-alpn, --dns rfc2136, --dns-hook or --manual")
	case len(picked) > 1:
		return r, fmt.Errorf("pick one authenticator, not %s", strings.Join(picked, " and "))
	case !f.manual && (f.manualAuthHook != "" || f.manualCleanHook != ""):
		return r, errors.New("--manual-auth-hook and --manual-cleanup-hook go with --manual")
	case f.csr != "" && f.reuseKey:
		return r, errors.New("--csr brings its own key; drop --reuse-key")
	}
	check := r
	check.Account = "pending" // known only once the account is loaded
	return r, check.Validate()
}

// absPaths makes saved paths absolute, since renew runs from cron in
// another working directory.
func (f *certonlyFlags) absPaths() error {
	for _, p := range []*string{&f.caBundle, &f.dnsHook} {
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

func runCertonly(ctx context.Context, e env, args []string) int {
	var f certonlyFlags
	fs := f.bind(e)
	if code, ok := parse(fs, certbotArgs(args)); !ok {
		return code
	}
	o := f.out(e)
	if f.nonInteractive {
		e.stdinTTY = false
	}
	if f.dryRun && f.server == "letsencrypt" {
		f.server = "letsencrypt-staging" // dry runs never count against production limits
	}
	dirURL, err := serverURL(f.server)
	if err != nil {
		return o.usageErr("%v", err)
	}
	if err := f.absPaths(); err != nil {
		return o.usageErr("%v", err)
	}
	var req *x509.CertificateRequest
	if f.csr != "" {
		if req, err = readCSR(f.csr); err != nil {
			return o.usageErr("%v.", err)
		}
		if f.domains, err = csrNames(req, f.domains); err != nil {
			return o.usageErr("%v.", err)
		}
		for _, n := range f.domains {
			if _, ok := f.webroots.byName[n]; !ok && len(f.webroots.roots) > 0 {
				f.webroots.byName[n] = f.webroots.roots[0]
			}
		}
	}
	r, err := f.renewal(dirURL)
	if err != nil {
		return o.usageErr("%v.", strings.TrimSuffix(err.Error(), "."))
	}
	if req != nil && !f.dryRun {
		if err := checkOutputs(f.certPath, f.chainPath, f.fullchainPath); err != nil {
			return o.usageErr("%v.", err)
		}
	}
	name := f.certName
	if name == "" {
		name = strings.TrimPrefix(r.Domains[0], "*.")
	}
	st, unlock, err := openLocked(ctx, e, f.common)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	s, err := accountFor(ctx, e, st, dirURL, f.caBundle, f.reg, o)
	if err != nil {
		return o.fail(err)
	}
	r.Account = s.account.ID
	switch {
	case req != nil:
		err = issueForCSR(ctx, e, s, r, req, f, o)
	case f.dryRun:
		err = dryRun(ctx, e, s, r, o)
	default:
		var res *saved
		opts := orderOpts{interactive: e.stdinTTY}
		if f.reuseKey {
			opts.key = currentKey(st, name)
		}
		if res, err = issueAndSave(ctx, e, st, s, name, r, opts, o); err == nil {
			o.result(res)
		}
	}
	if err != nil {
		return o.fail(err)
	}
	return exitOK
}

// dryRun runs a whole order and throws the certificate away.
func dryRun(ctx context.Context, e env, s *session, r store.Renewal, o out) error {
	iss, err := obtain(ctx, e, s, r, orderOpts{interactive: e.stdinTTY}, o)
	if err != nil {
		return fmt.Errorf("dry run failed: %w", err)
	}
	o.step("Dry run: obtained a certificate for %s from %s; nothing was saved", strings.Join(r.Domains, ", "), r.Server)
	o.result(map[string]any{"dry_run": true, "domains": r.Domains, "server": r.Server, "serial": iss.leaf.SerialNumber.Text(16)})
	return nil
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

// currentKey is the lineage's live private key PEM, nil if none yet.
func currentKey(st *store.Store, name string) []byte {
	_, files, err := st.Current(name)
	if err != nil {
		return nil
	}
	return files.PrivKey
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
func issueAndSave(ctx context.Context, e env, st *store.Store, s *session, name string, r store.Renewal, opts orderOpts, o out) (*saved, error) {
	iss, err := obtain(ctx, e, s, r, opts, o)
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
	// Failures, back-off and the ARI moment belonged to the certificate
	// just replaced; a certonly over a failing lineage starts it afresh.
	if err := st.SaveState(name, renew.State{}); err != nil {
		return nil, fmt.Errorf("the new certificate is saved, but resetting its renewal state failed: %w", err)
	}
	o.step("Saved: %s and %s", st.LivePath(name, "fullchain"), st.LivePath(name, "privkey"))
	return &saved{
		Name: name, Version: n, Domains: r.Domains,
		NotAfter:  iss.leaf.NotAfter.UTC().Format("2006-01-02T15:04:05Z"),
		FullChain: st.LivePath(name, "fullchain"), PrivKey: st.LivePath(name, "privkey"),
	}, nil
}

// readCSR reads a PEM or DER certificate request and checks its signature.
func readCSR(path string) (*x509.CertificateRequest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading --csr: %w", err)
	}
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	req, err := x509.ParseCertificateRequest(b)
	if err != nil {
		return nil, fmt.Errorf("--csr %s is not a certificate request (PEM or DER)", path)
	}
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("--csr %s has a bad signature: %w", path, err)
	}
	return req, nil
}

// csrNames returns the CSR's names; -d names, if given, must be the same.
func csrNames(req *x509.CertificateRequest, given []string) ([]string, error) {
	var names []string
	add := func(n string) {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	add(req.Subject.CommonName)
	for _, n := range req.DNSNames {
		add(n)
	}
	for _, ip := range req.IPAddresses {
		add(ip.String())
	}
	if len(names) == 0 {
		return nil, errors.New("the --csr names no domains")
	}
	if len(given) > 0 {
		a, b := slices.Clone(names), slices.Clone(given)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, slices.Compact(b)) {
			return nil, fmt.Errorf("the -d names differ from the --csr's names %s", strings.Join(names, ", "))
		}
		return given, nil
	}
	return names, nil
}

// checkOutputs refuses to overwrite files a --csr run would write.
func checkOutputs(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists; move it away or pick another --cert-path, --chain-path or --fullchain-path", p)
		}
	}
	return nil
}

// issueForCSR obtains a certificate for an operator's CSR and writes it
// where the flags say, each file whole or not at all. No lineage is kept:
// mason does not hold the key.
func issueForCSR(ctx context.Context, e env, s *session, r store.Renewal, req *x509.CertificateRequest, f certonlyFlags, o out) error {
	iss, err := obtain(ctx, e, s, r, orderOpts{csr: req.Raw, interactive: e.stdinTTY}, o)
	if err != nil {
		return err
	}
	if f.dryRun {
		o.step("Dry run: obtained a certificate for the CSR; nothing was written")
		o.result(map[string]any{"dry_run": true, "domains": r.Domains})
		return nil
	}
	var written []string
	for _, w := range []struct {
		path string
		data []byte
	}{{f.certPath, iss.files.Cert}, {f.chainPath, iss.files.Chain}, {f.fullchainPath, iss.files.FullChain}} {
		if err := store.WriteFile(w.path, w.data, 0o644); err != nil {
			for _, p := range written {
				_ = os.Remove(p) // all three or none
			}
			return err
		}
		written = append(written, w.path)
	}
	o.step("Saved: %s, %s and %s", f.certPath, f.chainPath, f.fullchainPath)
	o.result(map[string]any{"domains": r.Domains, "cert": f.certPath, "chain": f.chainPath, "fullchain": f.fullchainPath,
		"not_after": iss.leaf.NotAfter.UTC().Format("2006-01-02T15:04:05Z")})
	return nil
}
