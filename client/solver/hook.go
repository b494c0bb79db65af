package solver

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// Hook answers dns-01 through an operator's script, acme.sh style: the
// script is run as `script add <fqdn> <value>` and `script remove <fqdn>
// <value>` and must exit 0 once the record is (or is no longer) published.
type Hook struct {
	Path     string
	Alias    string // --challenge-alias zone, see DNS01Name
	Resolver string // host:port to poll for the record after add; empty skips
	Timeout  time.Duration
}

var _ Solver = (*Hook)(nil)

func (h *Hook) Type() acme.ChallengeType { return acme.ChallengeDNS01 }

func (h *Hook) Present(ctx context.Context, ch Challenge) error {
	return h.run(ctx, "add", ch)
}

func (h *Hook) CleanUp(ctx context.Context, ch Challenge) error {
	return h.run(ctx, "remove", ch)
}

// Wait polls Resolver for the record when one is set.
func (h *Hook) Wait(ctx context.Context, ch Challenge) error {
	if h.Resolver == "" {
		return nil
	}
	return waitTXT(ctx, h.Resolver, DNS01Name(ch.Domain, h.Alias), acme.DNS01Value(ch.KeyAuth))
}

func (h *Hook) run(ctx context.Context, verb string, ch Challenge) error {
	timeout := h.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fqdn := DNS01Name(ch.Domain, h.Alias)
	cmd := exec.CommandContext(ctx, h.Path, verb, fqdn, acme.DNS01Value(ch.KeyAuth))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("DNS hook %s %s %s failed (%s): %w", h.Path, verb, fqdn, msg, err)
	}
	return nil
}
