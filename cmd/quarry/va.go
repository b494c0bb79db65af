package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/signal"
	"syscall"
	"time"

	"github.com/quarry-ca/quarry/internal/va"
	"github.com/quarry-ca/quarry/internal/varemote"
)

const vaUsage = `Usage: quarry va --perspective NAME --tls-cert FILE --tls-key FILE --client-ca FILE [flags]

Runs a remote validation perspective: an HTTPS service that repeats the
primary's validations and CAA checks from where it runs. Only a primary
presenting a client certificate issued by --client-ca is answered.
See docs/validation.md.

`

func cmdVA(args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("va", vaUsage, stderr)
	listen := fs.String("listen", "127.0.0.1:14100", "HTTPS `address` to answer the primary on")
	name := fs.String("perspective", "", "this perspective's `name`, as the primary's configuration knows it")
	certFile := fs.String("tls-cert", "", "this perspective's server certificate `file` (PEM)")
	keyFile := fs.String("tls-key", "", "its private key `file` (PEM)")
	clientCA := fs.String("client-ca", "", "`file` with the CA certificate(s) a primary's client certificate must chain to")
	resolver := fs.String("dns-resolver", "", "recursive DNS resolver `host:port` for validation (default: the system resolver)")
	httpPort := fs.Int("va-http-port", 80, "`port` to connect to for http-01")
	tlsPort := fs.Int("va-tls-port", 443, "`port` to connect to for tls-alpn-01")
	allowPriv := fs.Bool("allow-private-addresses", false, "let validations contact loopback and private addresses (tests, private networks)")
	timeout := fs.Duration("timeout", 10*time.Second, "time-out of one validation or CAA check")
	maxInFlight := fs.Int("max-in-flight", 512, "concurrent checks; past it the primary is answered 503 at once")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	logFormat := fs.String("log-format", "text", "log `format`: text or json")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *name == "" || *certFile == "" || *keyFile == "" || *clientCA == "" {
		return usageError{errors.New("--perspective, --tls-cert, --tls-key and --client-ca are required")}
	}
	if *timeout <= 0 || *maxInFlight <= 0 {
		return usageError{errors.New("--timeout and --max-in-flight must be positive")}
	}
	tlsCfg, err := varemote.ServerTLS(*certFile, *keyFile, *clientCA)
	if err != nil {
		return usageError{err}
	}
	log := newLogger(stderr, *logLevel, *logFormat)
	srv, err := varemote.NewServer(varemote.ServerConfig{
		Perspective: *name, TLS: tlsCfg, MaxInFlight: *maxInFlight,
		VA: va.Config{
			HTTPPort: *httpPort, TLSPort: *tlsPort, DNSResolver: *resolver,
			AllowPrivate: *allowPriv, Timeout: *timeout, UserAgent: "Quarry-VA",
		},
	}, log)
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *listen, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "Quarry %s validation perspective %q\n", version, *name)
	fmt.Fprintf(stdout, "  listening: https://%s\n", ln.Addr())
	if err := srv.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Fprintln(stdout, "Perspective stopped.")
	return nil
}
