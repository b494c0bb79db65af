// Command quarry is the Quarry ACME certificate authority.
//
//	quarry serve          run the CA (creates ./quarry-data on first start)
//	quarry init           create the data directory and CA hierarchy explicitly
//	quarry config check   validate a configuration file
//	quarry migrate        apply schema migrations; copy SQLite into PostgreSQL
//	quarry admin …        revoke certificates, deactivate accounts, show objects
//	quarry va             run a remote validation perspective
//	quarry version        print the version
//
// Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// usageError marks errors that are the caller's: exit code 2.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	code := exitCode(err)
	if code != 0 {
		fmt.Fprintln(os.Stderr, "quarry:", err)
	}
	os.Exit(code)
}

// exitCode is 0 for success and for -h (the usage was printed as asked),
// 2 for the caller's mistakes, 1 for everything else.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return usageError{errors.New("no command given")}
	}
	switch args[0] {
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "init":
		return cmdInit(args[1:], stdout, stderr)
	case "config":
		return cmdConfig(args[1:], stdout, stderr)
	case "migrate":
		return cmdMigrate(args[1:], stdout, stderr)
	case "admin":
		return cmdAdmin(args[1:], stdout, stderr)
	case "va":
		return cmdVA(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "quarry", version)
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, topUsage)
		return nil
	}
	fmt.Fprint(stderr, topUsage)
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}

const topUsage = `Usage: quarry <command> [flags]

Commands:
  serve          run the CA: ACME over HTTPS, issuer certificates over HTTP
  init           create the data directory and CA hierarchy
  config check   validate a configuration file
  migrate        apply schema migrations, or copy SQLite into PostgreSQL
  admin          revoke certificates, deactivate accounts, show objects
  va             run a remote validation perspective (docs/validation.md)
  version        print the version

Run "quarry <command> -h" for a command's flags.
`

// newLogger returns the process logger: text or JSON on stderr.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(strings.ToUpper(level)))
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.LevelKey {
			if l, ok := a.Value.Any().(slog.Level); ok && l == slog.Level(10) {
				a.Value = slog.StringValue("AUDIT")
			}
		}
		return a
	}}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
