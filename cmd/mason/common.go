package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"slices"

	"os"
	"path/filepath"
	"strings"

	"github.com/quarry-ca/quarry/client/store"
)

// Directory URLs the --server flag knows by name.
const (
	letsEncrypt        = "https://acme-v02.api.letsencrypt.org/directory"
	letsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// common holds the flags every command shares.
type common struct {
	configDir string
	server    string
	caBundle  string
	quiet     bool
	json      bool
}

func (c *common) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.configDir, "config-dir", "", "config directory (default /etc/mason as root, else $XDG_CONFIG_HOME/mason)")
	fs.StringVar(&c.server, "server", "letsencrypt", "ACME directory URL, or letsencrypt / letsencrypt-staging")
	fs.StringVar(&c.caBundle, "ca-bundle", "", "PEM file of roots to trust for the ACME server instead of the system's")
	fs.BoolVar(&c.quiet, "quiet", false, "print nothing but errors (for cron)")
	fs.BoolVar(&c.json, "json", false, "print one JSON document for scripts")
}

func (c *common) out(e env) out {
	return out{w: e.stdout, errw: e.stderr, quiet: c.quiet, json: c.json, now: e.now}
}

// flagSet returns a FlagSet that reports to e.stderr and never exits.
func flagSet(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("mason "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses args, returning an exit code when the command should stop.
// A bad flag gets one sentence; the flag list is for -h.
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	help := slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" })
	out := fs.Output()
	fs.Usage = func() {
		if help {
			fmt.Fprintf(out, "usage: %s [flags]\n", fs.Name())
			fs.PrintDefaults()
		}
	}
	if !help {
		// The flag package prints its complaint on a line of its own;
		// mason says it once, with the next step, below.
		fs.SetOutput(io.Discard)
		defer fs.SetOutput(out)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK, false
		}
		fmt.Fprintf(out, "mason: %v; run '%s -h' for its flags.\n", err, fs.Name())
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "mason: unexpected argument %q; flags start with --.\n", fs.Arg(0))
		return exitUsage, false
	}
	return 0, true
}

// serverURL turns --server into a directory URL.
func serverURL(s string) (string, error) {
	switch s {
	case "letsencrypt":
		return letsEncrypt, nil
	case "letsencrypt-staging":
		return letsEncryptStaging, nil
	}
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return "", fmt.Errorf("--server %q is neither a URL nor letsencrypt / letsencrypt-staging", s)
	}
	return s, nil
}

// configDir is --config-dir, or /etc/mason for root, or the XDG config
// directory for anyone else.
func configDir(e env, flagValue string) string {
	switch {
	case flagValue != "":
		return flagValue
	case e.euid == 0:
		return "/etc/mason"
	case e.getenv("XDG_CONFIG_HOME") != "":
		return filepath.Join(e.getenv("XDG_CONFIG_HOME"), "mason")
	}
	return filepath.Join(e.getenv("HOME"), ".config", "mason")
}

func openStore(e env, c common) (*store.Store, error) {
	return store.Open(configDir(e, c.configDir))
}

// openLocked opens the config directory and takes its lock, so two mason
// runs never change it at once; the caller defers unlock.
func openLocked(ctx context.Context, e env, c common) (st *store.Store, unlock func() error, err error) {
	if st, err = openStore(e, c); err != nil {
		return nil, nil, err
	}
	if unlock, err = e.lock(ctx, st); err != nil {
		return nil, nil, err
	}
	return st, unlock, nil
}

// loadRoots reads a --ca-bundle file; "" means the system roots.
func loadRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading --ca-bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("--ca-bundle %s holds no PEM certificates", path)
	}
	return pool, nil
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
