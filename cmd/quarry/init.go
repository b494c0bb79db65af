package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/server"
)

func cmdInit(args []string, stdout, stderr io.Writer) error {
	f := newServerFlags("init", stderr)
	org := f.fs.String("organization", "", "organization name in the CA certificates (default Quarry)")
	keyTypes := f.fs.String("key-types", "", "comma-separated issuer key types: ecdsa,rsa (default both)")
	rootValidity := f.fs.String("root-validity", "", "root certificate lifetime, e.g. 7300d")
	intValidity := f.fs.String("intermediate-validity", "", "intermediate certificate lifetime, e.g. 1825d")
	cfg, err := f.parse(args)
	if err != nil {
		return err
	}
	if *org != "" {
		cfg.CA.Organization = *org
	}
	if *keyTypes != "" {
		cfg.CA.KeyTypes = strings.Split(*keyTypes, ",")
	}
	for flagVal, dst := range map[string]*config.Duration{*rootValidity: &cfg.CA.RootValidity, *intValidity: &cfg.CA.IntermediateValidity} {
		if flagVal == "" {
			continue
		}
		d, err := config.ParseDuration(flagVal)
		if err != nil {
			return usageError{err}
		}
		*dst = config.Duration(d)
	}
	if err := cfg.Validate(); err != nil {
		return usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	c, err := ca.Init(context.Background(), server.CAConfig(cfg, "http://"+cfg.HTTPListen), log)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(stdout, "Created the CA hierarchy in %s\n", cfg.DataDir)
	if p := cfg.CA.PKCS11; p != nil {
		fmt.Fprintf(stdout, "  Keys:    in PKCS#11 token %q (no key files written)\n", p.TokenLabel)
	}
	fmt.Fprintf(stdout, "  Issuers: %s\n", strings.Join(c.IssuerIDs(), ", "))
	fmt.Fprintf(stdout, "  Roots:   %s (give this file to clients that should trust Quarry)\n", c.RootsPEMPath())
	return nil
}
