package solver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Manual answers http-01 or dns-01 through the operator: either by running
// certbot-compatible hooks, or by printing what to publish and waiting for
// Enter. The hooks run through /bin/sh -c with CERTBOT_DOMAIN,
// CERTBOT_VALIDATION, CERTBOT_TOKEN (http-01), CERTBOT_REMAINING_CHALLENGES
// and CERTBOT_ALL_DOMAINS set, so existing certbot hook scripts work; the
// cleanup hook also gets CERTBOT_AUTH_OUTPUT.
type Manual struct {
	Challenge   acme.ChallengeType // http-01 or dns-01
	AuthHook    string
	CleanupHook string
	AllDomains  []string
	// Prompt and Input talk to the operator when there is no AuthHook;
	// Input must be a terminal, which the caller checks.
	Prompt  io.Writer
	Input   io.Reader
	Timeout time.Duration // per hook run; default 5 minutes

	mu      sync.Mutex
	outputs map[string]string // token -> auth hook output
	reader  *bufio.Reader
}

var _ Solver = (*Manual)(nil)

func (m *Manual) Type() acme.ChallengeType { return m.Challenge }

// validation is what the operator publishes: the key authorization as the
// http-01 file body, or the dns-01 TXT value.
func (m *Manual) validation(ch Challenge) string {
	if m.Challenge == acme.ChallengeDNS01 {
		return acme.DNS01Value(ch.KeyAuth)
	}
	return ch.KeyAuth
}

func (m *Manual) env(ch Challenge) []string {
	env := append(os.Environ(),
		"CERTBOT_DOMAIN="+strings.TrimPrefix(ch.Domain, "*."),
		"CERTBOT_VALIDATION="+m.validation(ch),
		"CERTBOT_REMAINING_CHALLENGES="+strconv.Itoa(ch.Remaining),
		"CERTBOT_ALL_DOMAINS="+strings.Join(m.AllDomains, ","),
	)
	if m.Challenge == acme.ChallengeHTTP01 {
		env = append(env, "CERTBOT_TOKEN="+ch.Token)
	}
	return env
}

// Present runs the auth hook, or asks the operator and waits for Enter.
func (m *Manual) Present(ctx context.Context, ch Challenge) error {
	if m.Challenge == acme.ChallengeHTTP01 && !tokenOK(ch.Token) {
		return core.Errorf(core.ErrMalformed, "challenge token %q is not base64url", ch.Token)
	}
	if m.AuthHook != "" {
		out, err := m.run(ctx, "manual auth hook", m.AuthHook, m.env(ch))
		if err != nil {
			return err
		}
		m.mu.Lock()
		if m.outputs == nil {
			m.outputs = map[string]string{}
		}
		m.outputs[ch.Token] = out
		m.mu.Unlock()
		return nil
	}
	if m.Input == nil || m.Prompt == nil {
		return core.Errorf(core.ErrMalformed, "--manual needs a terminal or --manual-auth-hook")
	}
	if m.Challenge == acme.ChallengeDNS01 {
		fmt.Fprintf(m.Prompt, "\nCreate this DNS TXT record:\n\n  %s  TXT  %q\n\n", DNS01Name(ch.Domain, ""), m.validation(ch))
	} else {
		fmt.Fprintf(m.Prompt, "\nMake this file available over HTTP:\n\n  http://%s%s\n\nwith this content (and nothing else):\n\n  %s\n\n", ch.Domain, acme.HTTP01Path(ch.Token), ch.KeyAuth)
	}
	fmt.Fprint(m.Prompt, "Press Enter when it is in place. ")
	return m.waitEnter(ctx)
}

func (m *Manual) waitEnter(ctx context.Context) error {
	m.mu.Lock()
	if m.reader == nil {
		m.reader = bufio.NewReader(m.Input)
	}
	r := m.reader
	m.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := r.ReadString('\n')
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("reading the operator's Enter: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CleanUp runs the cleanup hook, or reminds the operator what to remove.
func (m *Manual) CleanUp(ctx context.Context, ch Challenge) error {
	if m.CleanupHook == "" {
		if m.AuthHook == "" && m.Prompt != nil {
			fmt.Fprintf(m.Prompt, "You may now remove the record or file for %s.\n", ch.Domain)
		}
		return nil
	}
	m.mu.Lock()
	authOut := m.outputs[ch.Token]
	m.mu.Unlock()
	_, err := m.run(ctx, "manual cleanup hook", m.CleanupHook, append(m.env(ch), "CERTBOT_AUTH_OUTPUT="+authOut))
	return err
}

func (m *Manual) run(ctx context.Context, what, command string, env []string) (string, error) {
	timeout := m.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String() + " " + stdout.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return "", fmt.Errorf("the %s %q failed (%s): %w", what, command, msg, err)
	}
	return strings.TrimSpace(stdout.String()), nil
}
