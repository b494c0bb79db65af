package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/client/install/nginx"
	"github.com/quarry-ca/quarry/client/solver"
	"github.com/quarry-ca/quarry/client/store"
)

// nginxFlags name the nginx that install and run edit and reload.
type nginxFlags struct {
	nginx     bool
	conf      string
	bin       string
	reload    string
	httpsPort int
	redirect  bool
}

func (f *nginxFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&f.nginx, "nginx", false, "install into nginx (the only installer so far)")
	fs.StringVar(&f.conf, "nginx-conf", "/etc/nginx/nginx.conf", "nginx's main configuration file")
	fs.StringVar(&f.bin, "nginx-bin", "nginx", "the nginx binary, for nginx -t and reloads")
	fs.StringVar(&f.reload, "nginx-reload", "", "shell command that reloads nginx (default: NGINX-BIN -c NGINX-CONF -s reload)")
	fs.IntVar(&f.httpsPort, "https-port", 443, "port of the HTTPS listens added to a server block that served only HTTP")
	fs.BoolVar(&f.redirect, "redirect", false, "make the plain-HTTP server block of each name redirect to https")
}

// config is what the renewal config keeps, with paths made absolute since
// renew runs from cron in another working directory.
func (f *nginxFlags) config() (store.InstallConfig, error) {
	if !f.nginx {
		return store.InstallConfig{}, errors.New("name the web server to install into: --nginx (the only one so far)")
	}
	if f.httpsPort < 1 || f.httpsPort > 65535 {
		return store.InstallConfig{}, fmt.Errorf("--https-port %d is not a port", f.httpsPort)
	}
	conf, err := filepath.Abs(f.conf)
	if err != nil {
		return store.InstallConfig{}, fmt.Errorf("--nginx-conf %s: %w", f.conf, err)
	}
	bin := f.bin
	if strings.Contains(bin, "/") {
		if bin, err = filepath.Abs(bin); err != nil {
			return store.InstallConfig{}, fmt.Errorf("--nginx-bin %s: %w", f.bin, err)
		}
	}
	return store.InstallConfig{Installer: store.InstallerNginx, NginxConf: conf, NginxBin: bin, NginxReload: f.reload}, nil
}

// nginxOf is the nginx a renewal config names; backups that must not sit
// beside the files they copy go under backupDir.
func nginxOf(ic store.InstallConfig, backupDir string) *nginx.Nginx {
	return &nginx.Nginx{Bin: ic.NginxBin, Conf: ic.NginxConf, Reload: ic.NginxReload, BackupDir: backupDir}
}

func runInstall(ctx context.Context, e env, args []string) int {
	var c common
	var nf nginxFlags
	var name string
	fs := flagSet(e, "install")
	c.bind(fs)
	nf.bind(fs)
	fs.StringVar(&name, "cert-name", "", "the lineage to install (see mason certificates)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := c.out(e)
	ic, err := nf.config()
	if err != nil {
		return o.usageErr("%v.", err)
	}
	if name == "" {
		return o.usageErr("name the lineage to install with --cert-name; mason certificates lists them.")
	}
	st, unlock, err := openLocked(ctx, e, c)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	r, err := st.LoadRenewal(name)
	if err != nil {
		return o.fail(fmt.Errorf("no lineage %s to install (%w); mason certificates lists them", name, err))
	}
	if _, _, err := st.Current(name); err != nil {
		return o.fail(err)
	}
	files, err := installNginx(ctx, st, name, r.Domains, ic, nf, o)
	if err != nil {
		return o.fail(err)
	}
	r.InstallConfig = ic
	if err := st.SaveRenewal(name, r); err != nil {
		return o.fail(err)
	}
	o.result(map[string]any{"name": name, "installer": ic.Installer, "nginx_conf": ic.NginxConf, "changed": files})
	return exitOK
}

// installNginx points nginx at the lineage's live files, checks the
// result with nginx -t (restoring every file if it fails) and reloads.
func installNginx(ctx context.Context, st *store.Store, name string, domains []string, ic store.InstallConfig, nf nginxFlags, o out) ([]string, error) {
	opts, err := certOptions(st, name, nf)
	if err != nil {
		return nil, err
	}
	cfg, err := nginx.Load(ic.NginxConf)
	if err != nil {
		return nil, err
	}
	notes, err := cfg.InstallCert(domains, opts)
	if err != nil {
		return nil, err
	}
	commit, err := nginxOf(ic, filepath.Join(st.Dir(), "backups", "nginx")).Apply(ctx, cfg)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		o.step("nginx: %s", n)
	}
	if len(commit.Files()) == 0 {
		o.step("nginx: already serving %s; nothing changed", name)
	} else {
		o.step("nginx: configuration checked with nginx -t and reloaded")
	}
	return commit.Files(), nil
}

func certOptions(st *store.Store, name string, nf nginxFlags) (nginx.CertOptions, error) {
	full, err := filepath.Abs(st.LivePath(name, "fullchain"))
	if err != nil {
		return nginx.CertOptions{}, err
	}
	key, err := filepath.Abs(st.LivePath(name, "privkey"))
	if err != nil {
		return nginx.CertOptions{}, err
	}
	return nginx.CertOptions{FullChain: full, PrivKey: key, HTTPSPort: nf.httpsPort, Redirect: nf.redirect}, nil
}

// reloadInstaller has the web server a lineage is installed into read
// the renewed files: nginx -t, then a reload.
func reloadInstaller(ctx context.Context, r store.Renewal, o out, name string) error {
	if r.Installer != store.InstallerNginx {
		return nil
	}
	n := nginxOf(r.InstallConfig, "")
	if err := n.Test(ctx); err != nil {
		return fmt.Errorf("the certificate was renewed but nginx was not reloaded: %w", err)
	}
	if err := n.ReloadNginx(ctx); err != nil {
		return fmt.Errorf("the certificate was renewed but %w", err)
	}
	o.step("%s: nginx reloaded", name)
	return nil
}

// challengeWait bounds the wait for a reloaded nginx to serve an answer;
// challengeStreak answers in a row, 100 ms apart, show the reload is over.
const (
	challengeWait   = 10 * time.Second
	challengeStreak = 5
)

// nginxSolver answers http-01 through the running nginx: the plain-HTTP
// server block of each name gets a location serving a temporary webroot
// until close, which restores the configuration and reloads again.
func nginxSolver(ctx context.Context, r store.Renewal) (solver.Solver, func(), error) {
	// The nginx worker reads the webroot as an unprivileged user: the
	// directory is traversable, its backups subdirectory is not.
	tmp, err := os.MkdirTemp("", "mason-nginx-")
	if err != nil {
		return nil, nil, err
	}
	webroot := filepath.Join(tmp, "webroot")
	cleanTmp := func() { _ = os.RemoveAll(tmp) }
	if err := os.Chmod(tmp, 0o711); err != nil {
		cleanTmp()
		return nil, nil, err
	}
	// Modes are set explicitly: a umask such as 077 would hide the answers.
	challengeDir := filepath.Join(webroot, ".well-known", "acme-challenge")
	if err := os.MkdirAll(challengeDir, 0o755); err != nil {
		cleanTmp()
		return nil, nil, err
	}
	for _, d := range []string{webroot, filepath.Dir(challengeDir), challengeDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			cleanTmp()
			return nil, nil, err
		}
	}
	cfg, err := nginx.Load(r.NginxConf)
	if err != nil {
		cleanTmp()
		return nil, nil, err
	}
	addrs, err := cfg.AddChallenge(r.Domains, webroot)
	if err != nil {
		cleanTmp()
		return nil, nil, err
	}
	n := nginxOf(r.InstallConfig, filepath.Join(tmp, "backups"))
	commit, err := n.Apply(ctx, cfg)
	if err != nil {
		if commit != nil {
			_ = commit.Undo(context.WithoutCancel(ctx))
		}
		cleanTmp()
		return nil, nil, fmt.Errorf("adding the http-01 location to nginx: %w", err)
	}
	closeFn := func() {
		if err := commit.Undo(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(os.Stderr, "mason: removing the http-01 location from nginx failed: %v\n", err)
		}
		cleanTmp()
	}
	return &nginxChallenge{Webroot: solver.NewWebroot(webroot), dir: challengeDir, addrs: addrs}, closeFn, nil
}

// nginxChallenge is a webroot that nginx serves; Wait lets a reload
// finish before the CA looks.
type nginxChallenge struct {
	*solver.Webroot
	dir   string            // <webroot>/.well-known/acme-challenge
	addrs map[string]string // name → host:port of its plain-HTTP block
}

var _ solver.Waiter = (*nginxChallenge)(nil)

// Present writes the answer readable by nginx's worker whatever the umask.
func (c *nginxChallenge) Present(ctx context.Context, ch solver.Challenge) error {
	if err := c.Webroot.Present(ctx, ch); err != nil {
		return err
	}
	// Webroot.Present accepted the token, so it names a file in c.dir.
	return os.Chmod(filepath.Join(c.dir, ch.Token), 0o644)
}

// Wait polls nginx on this machine until it serves the answer on
// challengeStreak fresh connections in a row: while a reload is under
// way, old workers still take some connections with the old
// configuration. Not seeing it in time is not an error: the CA may still
// reach nginx where this check cannot (a listen behind PROXY protocol).
func (c *nginxChallenge) Wait(ctx context.Context, ch solver.Challenge) error {
	addr, ok := c.addrs[ch.Domain]
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, challengeWait)
	defer cancel()
	hc := &http.Client{
		Timeout:       time.Second,
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for streak := 0; streak < challengeStreak; {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+nginx.ChallengePath+ch.Token, nil)
		if err != nil {
			return nil
		}
		req.Host = ch.Domain
		streak++
		resp, err := hc.Do(req)
		if err != nil {
			streak = 0
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != ch.KeyAuth {
				streak = 0
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
