package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/quarry-ca/quarry/internal/server"
)

func cmdServe(args []string, stdout, stderr io.Writer) error {
	f := newServerFlags("serve", stderr)
	pprofAddr := f.fs.String("pprof-listen", "", "serve Go runtime profiles on this loopback `address` (default off)")
	cfg, err := f.parse(args)
	if err != nil {
		return err
	}
	if *pprofAddr != "" {
		if err := checkPprofAddr(*pprofAddr); err != nil {
			return usageError{err}
		}
	}
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	if *pprofAddr != "" {
		stopPprof, err := startPprof(*pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Quarry %s (%s preset)\n", version, cfg.Preset)
	fmt.Fprintf(stdout, "  ACME directory:   %s\n", srv.DirectoryURL())
	fmt.Fprintf(stdout, "  Root certificates: %s\n", srv.RootsPath())
	fmt.Fprintf(stdout, "  Issuer/CRL HTTP:  http://%s\n", srv.HTTPAddr())
	if err := srv.Run(ctx); err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Fprintln(stdout, "Quarry stopped.")
	return nil
}
