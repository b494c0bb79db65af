package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client/solver"
	"github.com/quarry-ca/quarry/client/store"
)

// openSolver builds the solver a renewal config names; close releases any
// listener it opened. interactive says --manual may prompt on stdin.
func openSolver(ctx context.Context, e env, r store.Renewal, interactive bool) (s solver.Solver, close func(), err error) {
	nop := func() {}
	switch r.Authenticator {
	case store.AuthWebroot:
		roots, def := r.WebrootMap, r.Webroot
		return &solver.Webroot{Root: func(d string) string {
			if root := roots[d]; root != "" {
				return root
			}
			return def
		}}, nop, nil
	case store.AuthStandalone:
		h, err := solver.ListenHTTP(ctx, net.JoinHostPort("", strconv.Itoa(portOr(r.HTTPPort, 80))))
		if err != nil {
			return nil, nil, err
		}
		return h, closer(h), nil
	case store.AuthTLSALPN:
		t, err := solver.ListenTLSALPN(ctx, net.JoinHostPort("", strconv.Itoa(portOr(r.TLSPort, 443))))
		if err != nil {
			return nil, nil, err
		}
		return t, closer(t), nil
	case store.AuthRFC2136:
		return &solver.RFC2136{Server: r.DNSServer, TSIGName: r.TSIGKeyName, TSIGSecret: r.TSIGSecret, Alias: r.Alias}, nop, nil
	case store.AuthDNSHook:
		return &solver.Hook{Path: r.DNSHook, Alias: r.Alias, Resolver: r.DNSResolver}, nop, nil
	case store.AuthManual:
		m := &solver.Manual{Challenge: acme.ChallengeType(r.ManualChallenge), AuthHook: r.ManualAuthHook,
			CleanupHook: r.ManualCleanupHook, AllDomains: r.Domains}
		if m.AuthHook == "" {
			if !interactive || e.stdin == nil {
				return nil, nil, errors.New("--manual without --manual-auth-hook needs a person at a terminal; add --manual-auth-hook to run unattended")
			}
			m.Prompt, m.Input = e.stdout, e.stdin
		}
		return m, nop, nil
	}
	return nil, nil, fmt.Errorf("unknown authenticator %q", r.Authenticator)
}

func portOr(p, def int) int {
	if p == 0 {
		return def
	}
	return p
}

func closer(c io.Closer) func() { return func() { _ = c.Close() } }
