package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/quarry-ca/quarry/internal/config"
)

// serverFlags are the flags that override the configuration file.
type serverFlags struct {
	fs         *flag.FlagSet
	configPath string
	dataDir    string
	storage    string
	listen     string
	httpListen string
	publicURL  string
	preset     string
	vaHTTPPort int
	vaTLSPort  int
	resolver   string
	allowPriv  bool
	logLevel   string
}

func newServerFlags(name string, stderr io.Writer) *serverFlags {
	f := &serverFlags{fs: flag.NewFlagSet("quarry "+name, flag.ContinueOnError)}
	f.fs.SetOutput(stderr)
	f.fs.StringVar(&f.configPath, "config", "", "YAML configuration `file` (flags override it)")
	f.fs.StringVar(&f.dataDir, "data-dir", "", "data `directory` (default ./quarry-data)")
	f.fs.StringVar(&f.storage, "storage", "", "storage `DSN`: sqlite:PATH or postgres://… (default sqlite:<data-dir>/quarry.db)")
	f.fs.StringVar(&f.listen, "listen", "", "ACME over HTTPS `address` (default 127.0.0.1:14000)")
	f.fs.StringVar(&f.httpListen, "http-listen", "", "plain-HTTP `address` for issuer certificates and CRLs (default 127.0.0.1:14080)")
	f.fs.StringVar(&f.publicURL, "public-url", "", "base `URL` clients use, e.g. behind a load balancer")
	f.fs.StringVar(&f.preset, "preset", "", "policy `preset`: public (default), private, or dev")
	f.fs.IntVar(&f.vaHTTPPort, "va-http-port", 0, "`port` the VA connects to for http-01 (default 80)")
	f.fs.IntVar(&f.vaTLSPort, "va-tls-port", 0, "`port` the VA connects to for tls-alpn-01 (default 443)")
	f.fs.StringVar(&f.resolver, "dns-resolver", "", "recursive DNS resolver `host:port` for validation (default: the system resolver)")
	f.fs.BoolVar(&f.allowPriv, "allow-private-addresses", false, "let the VA contact loopback and private addresses (tests, private networks)")
	f.fs.StringVar(&f.logLevel, "log-level", "", "log `level`: debug, info, warn, error")
	return f
}

// parse reads the flags and returns the configuration they select.
func (f *serverFlags) parse(args []string) (config.Config, error) {
	if err := parseNoArgs(f.fs, args); err != nil {
		return config.Config{}, err
	}
	cfg := config.Default()
	if f.configPath != "" {
		var err error
		if cfg, err = config.Load(f.configPath); err != nil {
			return cfg, usageError{err}
		}
	}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "data-dir":
			cfg.DataDir = f.dataDir
		case "storage":
			cfg.Storage = f.storage
		case "listen":
			cfg.Listen = f.listen
		case "http-listen":
			cfg.HTTPListen = f.httpListen
		case "public-url":
			cfg.PublicURL = f.publicURL
		case "preset":
			cfg.Preset = config.Preset(f.preset)
		case "va-http-port":
			cfg.VA.HTTPPort = f.vaHTTPPort
		case "va-tls-port":
			cfg.VA.TLSPort = f.vaTLSPort
		case "dns-resolver":
			cfg.VA.DNSResolver = f.resolver
		case "allow-private-addresses":
			allow := f.allowPriv
			cfg.VA.AllowPrivateAddresses = &allow
		case "log-level":
			cfg.Log.Level = f.logLevel
		}
	})
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	return cfg, nil
}

// newCommandFlags is the flag set of a subcommand that has its own usage
// text: -h prints that text, then the flags.
func newCommandFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("quarry "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	return fs
}

// parseNoArgs reads the flags of a subcommand that takes no positional
// arguments, so a stray word is a usage error rather than ignored.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	return nil
}

// storageConfig is the configuration the --config, --data-dir and
// --storage flags of an offline command select, unvalidated; an empty
// flag leaves the file's (or the default) value.
func storageConfig(configPath, dataDir, storage string) (config.Config, error) {
	cfg := config.Default()
	if configPath != "" {
		var err error
		if cfg, err = config.Load(configPath); err != nil {
			return cfg, usageError{err}
		}
	}
	if dataDir != "" {
		cfg.DataDir = dataDir
	}
	if storage != "" {
		cfg.Storage = storage
	}
	return cfg, nil
}
