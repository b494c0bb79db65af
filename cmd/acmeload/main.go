package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailures = 1
	exitUsage    = 2
	exitStart    = 3
)

// usageError marks errors that are the caller's: exit code 2.
type usageError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, runs the load and writes the report; it returns the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "acmeload:", err)
		return exitUsage
	}
	rep, err := load(ctx, opts, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "acmeload:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitStart
	}
	if err := writeReport(rep, opts, stdout); err != nil {
		fmt.Fprintln(stderr, "acmeload:", err)
		return exitStart
	}
	if rep.Failed > 0 {
		return exitFailures
	}
	return exitOK
}
