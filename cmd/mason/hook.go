package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// hookTimeout bounds one operator hook.
const hookTimeout = 5 * time.Minute

// runHook runs an operator's command through /bin/sh -c with extra
// environment variables; its output goes into the error when it fails.
func runHook(ctx context.Context, what, command string, env []string) error {
	ctx, cancel := context.WithTimeout(ctx, hookTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("the %s %q failed (%s): %w", what, command, msg, err)
	}
	return nil
}

// deployHook runs the deploy hook with RENEWED_LINEAGE and RENEWED_DOMAINS
// set, as certbot does.
func deployHook(ctx context.Context, command, lineage string, domains []string) error {
	err := runHook(ctx, "deploy hook", command, []string{"RENEWED_LINEAGE=" + lineage, "RENEWED_DOMAINS=" + domainsEnv(domains)})
	if err != nil {
		return fmt.Errorf("the certificate was renewed but %w", err)
	}
	return nil
}
