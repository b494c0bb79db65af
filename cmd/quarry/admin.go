package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ra"
	"github.com/quarry-ca/quarry/internal/storage/backend"
)

const adminUsage = `Usage: quarry admin <command> [flags]

Acts on a CA's database directly, as an operator. Running quarry serve
instances see the changes at once; a revocation reaches their CRLs within
about twice crl.after-revocation-delay. Every change needs --comment and
is logged as an AUDIT event with the operating-system user.

Commands:
  revoke --serial HEX | --serials-file FILE --reason NAME --comment TEXT
                               revoke certificates
  cert show SERIAL             a certificate's names, issuer, dates and status
  account show ID              an account
  account deactivate ID --comment TEXT
                               deactivate an account and its authorizations
  order show ID                an order, its authorizations and status

Common flags: --storage DSN | --config FILE | --data-dir DIR (as for
quarry serve), --json (output for scripts), --dry-run (changes only: show
what would change, change nothing).

Exit codes: 0 done, 1 failed (one sentence on stderr), 2 usage error.
`

func cmdAdmin(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return usageError{errors.New("admin: no command given")}
	}
	cmd, rest := args[0], args[1:]
	if cmd == "cert" || cmd == "account" || cmd == "order" {
		if len(rest) == 0 {
			fmt.Fprint(stderr, adminUsage)
			return usageError{fmt.Errorf("admin %s: no command given", cmd)}
		}
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "revoke":
		return adminRevoke(rest, stdout, stderr)
	case "cert show":
		return adminCertShow(rest, stdout, stderr)
	case "account show":
		return adminAccountShow(rest, stdout, stderr)
	case "account deactivate":
		return adminAccountDeactivate(rest, stdout, stderr)
	case "order show":
		return adminOrderShow(rest, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, adminUsage)
		return nil
	}
	fmt.Fprint(stderr, adminUsage)
	return usageError{fmt.Errorf("admin: unknown command %q", cmd)}
}

// adminFlags are the flags every admin command takes; change commands add
// --comment and --dry-run.
type adminFlags struct {
	fs         *flag.FlagSet
	configPath string
	dataDir    string
	storage    string
	json       bool
	// Set only for commands that change something.
	comment string
	dryRun  bool
}

func newAdminFlags(name string, change bool, stderr io.Writer) *adminFlags {
	f := &adminFlags{fs: flag.NewFlagSet("quarry admin "+name, flag.ContinueOnError)}
	f.fs.SetOutput(stderr)
	f.fs.StringVar(&f.configPath, "config", "", "YAML configuration `file` naming the storage (or data-dir)")
	f.fs.StringVar(&f.dataDir, "data-dir", "", "data `directory` whose quarry.db to use (default ./quarry-data)")
	f.fs.StringVar(&f.storage, "storage", "", "storage `DSN`: sqlite:PATH or postgres://…")
	f.fs.BoolVar(&f.json, "json", false, "print JSON for scripts instead of text")
	if change {
		f.fs.StringVar(&f.comment, "comment", "", "why (required; goes into the audit log)")
		f.fs.BoolVar(&f.dryRun, "dry-run", false, "show what would change and change nothing")
	}
	return f
}

// parse reads flags and positional arguments in any order and checks the
// number of positional arguments.
func (f *adminFlags) parse(args []string, positional ...string) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, usageError{err}
		}
		if f.fs.NArg() == 0 {
			break
		}
		pos = append(pos, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
	if len(pos) != len(positional) {
		return nil, usageError{fmt.Errorf("%s: want %s, got %d argument(s)", f.fs.Name(), strings.Join(positional, " "), len(pos))}
	}
	if f.fs.Lookup("comment") != nil && strings.TrimSpace(f.comment) == "" {
		return nil, usageError{fmt.Errorf("%s: --comment is required: say why, for the audit log", f.fs.Name())}
	}
	return pos, nil
}

// adminEnv is an open store with an Admin on it, and where audit events go.
type adminEnv struct {
	admin *ra.Admin
	log   *slog.Logger
	close func() error
}

// open resolves the storage as quarry serve does and opens it. A missing
// SQLite file is an error: an admin command must not create a database.
func (f *adminFlags) open(ctx context.Context, stderr io.Writer) (*adminEnv, error) {
	cfg, err := storageConfig(f.configPath, f.dataDir, f.storage)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	dsn := cfg.StorageDSN()
	kind, target, err := backend.Parse(dsn)
	if err != nil {
		return nil, usageError{err}
	}
	if kind == backend.SQLite {
		if st, err := os.Stat(target); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("there is no Quarry database at %s; check --storage, --config or --data-dir", target)
		}
	}
	s, err := backend.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format).With(slog.String("component", "admin"))
	a, err := ra.NewAdmin(ra.AdminDeps{Store: s, Log: log})
	if err != nil {
		s.Close()
		return nil, err
	}
	return &adminEnv{admin: a, log: log, close: s.Close}, nil
}

// operator is who runs the command: the OS user, and the user sudo was
// run by, if any.
func (f *adminFlags) operator() ra.Operator {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if su := os.Getenv("SUDO_USER"); su != "" && su != name {
		name += " (sudo by " + su + ")"
	}
	return ra.Operator{User: name, Comment: f.comment}
}

// parseOneID reads the flags and the single ID argument of a command
// that acts on one account or order.
func (f *adminFlags) parseOneID(args []string, what string) (int64, error) {
	pos, err := f.parse(args, "ID")
	if err != nil {
		return 0, err
	}
	return parseID(what, pos[0])
}

// withEnv opens the storage the flags name, runs fn on it under a context
// that ends on SIGINT or SIGTERM, and closes the storage afterwards.
func (f *adminFlags) withEnv(stderr io.Writer, fn func(ctx context.Context, env *adminEnv) error) error {
	ctx, stop := adminContext()
	defer stop()
	env, err := f.open(ctx, stderr)
	if err != nil {
		return oneSentence(err)
	}
	defer env.close()
	return fn(ctx, env)
}

// adminContext ends on SIGINT or SIGTERM, so a long batch stops between
// two certificates rather than in the middle of one.
func adminContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

// parseID reads an account or order ID.
func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{fmt.Errorf("%q is not an %s ID (a positive number)", s, what)}
	}
	return id, nil
}

// sentence turns an error into what an operator reads: a classified
// error's detail without its kind, ending in a full stop.
func sentence(err error) string {
	msg := err.Error()
	var ce *core.Error
	if errors.As(err, &ce) && ce.Detail != "" {
		msg = ce.Detail
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// oneSentence is err as it leaves the command: a usage error stays one.
func oneSentence(err error) error {
	var ue usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return errors.New(strings.TrimSuffix(sentence(err), "."))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
