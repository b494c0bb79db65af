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

// deployHook runs an operator's command through the shell with
// RENEWED_LINEAGE and RENEWED_DOMAINS set, as certbot does.
func deployHook(ctx context.Context, e env, command, lineage string, domains []string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Env = append(os.Environ(), "RENEWED_LINEAGE="+lineage, "RENEWED_DOMAINS="+domainsEnv(domains))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("the certificate was renewed but the deploy hook %q failed (%s): %w", command, msg, err)
	}
	return nil
}
