package ca

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

// newCRLLinter builds the registry of CRL lints from the same rule books
// as certificates.
func newCRLLinter() (lint.Registry, error) {
	reg, err := lint.GlobalRegistry().Filter(lint.FilterOptions{IncludeSources: lintSources()})
	if err != nil {
		return nil, fmt.Errorf("building CRL lint registry: %w", err)
	}
	return reg, nil
}

// lintCRL refuses a CRL that any lint finds in error; warnings are logged.
func (c *CA) lintCRL(ctx context.Context, der []byte, req CRLRequest) error {
	crl, err := zx509.ParseRevocationList(der)
	if err != nil {
		return internalError{fmt.Errorf("parsing CRL for lint: %w", err)}
	}
	var blocking, warned []string
	for name, res := range zlint.LintRevocationListEx(crl, c.crlLinter).Results {
		switch res.Status {
		case lint.Error, lint.Fatal:
			blocking = append(blocking, fmt.Sprintf("%s (%s)", name, res.Details))
		case lint.Warn:
			warned = append(warned, name)
		}
	}
	sort.Strings(blocking)
	sort.Strings(warned)
	if len(warned) > 0 {
		c.log.WarnContext(ctx, "CRL lint warnings", slog.String("issuer", req.IssuerID), slog.Int("shard", req.Shard),
			slog.String("lints", strings.Join(warned, ",")))
	}
	if len(blocking) > 0 {
		c.log.ErrorContext(ctx, "CRL lint blocked a CRL", slog.String("issuer", req.IssuerID), slog.Int("shard", req.Shard),
			slog.String("lints", strings.Join(blocking, ",")))
		return internalError{fmt.Errorf("CRL %d of %s shard %d failed lints: %s", req.Number, req.IssuerID, req.Shard, strings.Join(blocking, ", "))}
	}
	return nil
}
