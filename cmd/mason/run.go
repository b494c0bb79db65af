package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/quarry-ca/quarry/client/install/nginx"
	"github.com/quarry-ca/quarry/client/store"
)

// runFlags are run's flags: certonly's certificate options without the
// authenticators (nginx answers http-01), and the installer's.
type runFlags struct {
	common
	nginx                    nginxFlags
	domains                  multi
	rsaBits                  int
	certName, keyType, curve string
	deployHook               string
	reg                      registration
}

func runRun(ctx context.Context, e env, args []string) int {
	var f runFlags
	fs := flagSet(e, "run")
	f.common.bind(fs)
	f.nginx.bind(fs)
	fs.Var(&f.domains, "d", "a name to include (repeat for more; the first names the certificate)")
	fs.StringVar(&f.certName, "cert-name", "", "name of the lineage (default: the first -d)")
	fs.StringVar(&f.keyType, "key-type", "ecdsa", "certificate key: ecdsa or rsa")
	fs.IntVar(&f.rsaBits, "rsa-key-size", 2048, "RSA key size for --key-type rsa")
	fs.StringVar(&f.curve, "elliptic-curve", "secp256r1", "curve for --key-type ecdsa: secp256r1 or secp384r1")
	f.reg.bind(fs)
	fs.StringVar(&f.deployHook, "deploy-hook", "", "command run after each renewal (RENEWED_LINEAGE, RENEWED_DOMAINS set)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := f.out(e)
	r, err := f.renewal()
	if err != nil {
		return o.usageErr("%v.", strings.TrimSuffix(err.Error(), "."))
	}
	name := f.certName
	if name == "" {
		name = r.Domains[0]
	}
	st, err := openStore(e, f.common)
	if err != nil {
		return o.fail(err)
	}
	// Everything nginx needs is checked before an order is spent on it.
	if err := preflight(st, name, r, f.nginx); err != nil {
		return o.fail(err)
	}
	unlock, err := e.lock(ctx, st)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	s, err := accountFor(ctx, e, st, r.Server, r.CABundle, f.reg, o)
	if err != nil {
		return o.fail(err)
	}
	r.Account = s.account.ID
	res, err := issueAndSave(ctx, e, st, s, name, r, orderOpts{}, o)
	if err != nil {
		return o.fail(err)
	}
	if _, err := installNginx(ctx, st, name, r.Domains, r.InstallConfig, f.nginx, o); err != nil {
		return o.fail(fmt.Errorf("the certificate is saved as %s but installing it into nginx failed: %w; once that is fixed, run mason install --nginx --cert-name %s", name, err, name))
	}
	o.result(res)
	return exitOK
}

// renewal turns the flags into the lineage's renewal config.
func (f *runFlags) renewal() (store.Renewal, error) {
	ic, err := f.nginx.config()
	if err != nil {
		return store.Renewal{}, err
	}
	dirURL, err := serverURL(f.server)
	if err != nil {
		return store.Renewal{}, err
	}
	if len(f.domains) == 0 {
		return store.Renewal{}, errors.New("name at least one domain with -d")
	}
	for _, d := range f.domains {
		if strings.HasPrefix(d, "*.") {
			return store.Renewal{}, fmt.Errorf("nginx answers http-01, which cannot validate the wildcard %s; use mason certonly --dns and then mason install --nginx", d)
		}
	}
	bundle := f.caBundle
	if bundle != "" {
		if bundle, err = filepath.Abs(bundle); err != nil {
			return store.Renewal{}, err
		}
	}
	r := store.Renewal{
		Version: 1, Server: dirURL, Domains: lowerNames(f.domains), Authenticator: store.AuthNginx,
		KeyType: f.keyType, RSAKeySize: f.rsaBits, Curve: f.curve, CABundle: bundle,
		DeployHook: f.deployHook, InstallConfig: ic,
	}
	check := r
	check.Account = "pending" // known only once the account is loaded
	return r, check.Validate()
}

// preflight makes both nginx edits in memory: the challenge location and
// the certificate, so a name no server block serves fails before ordering.
func preflight(st *store.Store, name string, r store.Renewal, nf nginxFlags) error {
	cfg, err := nginx.Load(r.NginxConf)
	if err != nil {
		return err
	}
	if _, err := cfg.AddChallenge(r.Domains, "/nonexistent"); err != nil {
		return err
	}
	if cfg, err = nginx.Load(r.NginxConf); err != nil {
		return err
	}
	opts, err := certOptions(st, name, nf)
	if err != nil {
		return err
	}
	_, err = cfg.InstallCert(r.Domains, opts)
	return err
}

// lowerNames lower-cases names and drops a trailing dot, as the CA will.
func lowerNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(strings.TrimSuffix(n, "."))
	}
	return out
}
