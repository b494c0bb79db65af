package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/loadgen"
)

const usageHead = `Usage: acmeload --directory URL [flags]

Runs complete ACME flows (account, order, authorizations, finalize,
download, optionally revoke) with N concurrent subscribers against one ACME
server, answering the challenges itself, and reports issuances per second,
latency percentiles per step and errors by ACME problem type.

Safety rule: acmeload only loads servers on loopback. It refuses a
directory URL whose host does not resolve only to 127.0.0.0/8 or ::1, and
checks every connection it makes.

Point the CA's validation at acmeload's responders: names under --domain
resolve (through --dns-listen) to --answer-ip; http-01 is answered on
--http-listen, tls-alpn-01 on --tls-listen. For Quarry:
  quarry serve --preset dev --va-http-port 5002 --va-tls-port 5001 --dns-resolver 127.0.0.1:8053

The run ends after --flows flows or --duration, whichever comes first.
Exit codes: 0 all flows succeeded, 1 some failed, 2 usage error or refused
target, 3 the run could not start.

Flags:
`

// options are the parsed command line.
type options struct {
	cfg       loadgen.Config
	resp      loadgen.ResponderConfig
	rootsFile string
	json      bool
	csvFile   string
	verbose   bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("acmeload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
	}
	var challenge, keyType, answer string
	c := &o.cfg
	fs.StringVar(&c.DirectoryURL, "directory", "", "ACME directory `URL` (loopback only), e.g. https://127.0.0.1:14000/directory")
	fs.StringVar(&o.rootsFile, "roots", "", "PEM `file` of roots to trust for the server's TLS (Quarry's roots.pem; default system roots)")
	fs.BoolVar(&c.InsecureSkipVerify, "insecure", false, "do not verify the server's TLS certificate")
	fs.IntVar(&c.Concurrency, "concurrency", 8, "simulated subscribers running at once")
	fs.Float64Var(&c.Rate, "rate", 0, "start at most `N` flows per second across all subscribers (0: no limit); --concurrency must cover rate × flow latency")
	fs.IntVar(&c.Flows, "flows", 0, "flows to run in all (0: until --duration)")
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "longest run (0: until --flows are done)")
	fs.IntVar(&c.MaxNames, "names", 1, "each order has 1..`K` names, chosen at random")
	fs.StringVar(&c.BaseDomain, "domain", "load.test", "base `domain`: names are <random>.<domain>")
	fs.StringVar(&challenge, "challenge", "http-01", "challenge `type`: http-01, tls-alpn-01 or dns-01")
	fs.StringVar(&keyType, "key", "ecdsa", "certificate key `type`: ecdsa (P-256) or rsa (2048)")
	fs.BoolVar(&c.ReuseAccount, "reuse-account", false, "one account per subscriber for all its flows (default: a new account per flow)")
	fs.BoolVar(&c.Revoke, "revoke", false, "revoke each certificate after downloading it")
	fs.StringVar(&o.resp.HTTPAddr, "http-listen", "127.0.0.1:5002", "`address` of the http-01 responder (the CA's VA http port must match)")
	fs.StringVar(&o.resp.TLSAddr, "tls-listen", "127.0.0.1:5001", "`address` of the tls-alpn-01 responder (the CA's VA TLS port must match)")
	fs.StringVar(&o.resp.DNSAddr, "dns-listen", "127.0.0.1:8053", "`address` of the DNS server the CA must resolve through (empty: none)")
	fs.StringVar(&answer, "answer-ip", "127.0.0.1", "`address` every name under --domain resolves to")
	fs.BoolVar(&o.json, "json", false, "write the report as JSON")
	fs.StringVar(&o.csvFile, "csv", "", "also write a per-second time series to `file` (second, completed, errors, p50_ms)")
	fs.BoolVar(&o.verbose, "v", false, "log each failed flow to stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s (see --help)", strings.Join(fs.Args(), " "))
	}
	c.Challenge, c.KeyType = acme.ChallengeType(challenge), loadgen.KeyType(keyType)
	o.resp.BaseDomain = c.BaseDomain
	if o.resp.AnswerIP = net.ParseIP(answer); o.resp.AnswerIP == nil {
		return nil, fmt.Errorf("--answer-ip %q is not an IP address", answer)
	}
	if c.Concurrency < 1 {
		return nil, errors.New("--concurrency must be at least 1")
	}
	if c.Challenge != acme.ChallengeHTTP01 {
		o.resp.HTTPAddr = ""
	}
	if c.Challenge != acme.ChallengeTLSALPN01 {
		o.resp.TLSAddr = ""
	}
	if c.Challenge == acme.ChallengeDNS01 && o.resp.DNSAddr == "" {
		return nil, errors.New("dns-01 needs --dns-listen")
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%w (see --help)", err)
	}
	if o.rootsFile != "" {
		pool, err := readRoots(o.rootsFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	return o, nil
}

func readRoots(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading --roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--roots %s holds no PEM certificate", path)
	}
	return pool, nil
}
