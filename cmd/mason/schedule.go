package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/quarry-ca/quarry/client/store"
)

// Where scheduled renewals go by default, and the files' names.
const (
	defaultUnitDir = "/etc/systemd/system"
	defaultCronDir = "/etc/cron.d"
	serviceName    = "mason-renew.service"
	timerName      = "mason-renew.timer"
	cronName       = "mason-renew" // cron.d ignores names with dots
)

type scheduleFlags struct {
	common
	unitDir, cronDir, masonPath string
}

func runSchedule(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || (args[0] != "install" && args[0] != "remove") {
		fmt.Fprintln(e.stderr, "mason: usage: mason schedule install|remove [flags].")
		return exitUsage
	}
	sub := args[0]
	var f scheduleFlags
	fs := flagSet(e, "schedule "+sub)
	f.bind(fs)
	fs.StringVar(&f.unitDir, "unit-dir", "", "write a systemd service and timer here (default "+defaultUnitDir+" when systemd runs)")
	fs.StringVar(&f.cronDir, "cron-dir", "", "write a cron file here (default "+defaultCronDir+" without systemd)")
	fs.StringVar(&f.masonPath, "mason-path", "", "the mason binary the schedule runs (default: this one)")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	o := f.out(e)
	if f.unitDir != "" && f.cronDir != "" {
		return o.usageErr("pick --unit-dir or --cron-dir, not both.")
	}
	systemd := f.unitDir != "" || (f.cronDir == "" && systemdRuns())
	// systemctl is run only for the system's own unit directory; for any
	// other the operator (or a test) enables the timer.
	manage := systemd && f.unitDir == "" && hasSystemctl()
	if systemd && f.unitDir == "" {
		f.unitDir = defaultUnitDir
	}
	if !systemd && f.cronDir == "" {
		f.cronDir = defaultCronDir
	}
	if sub == "remove" {
		return scheduleRemove(ctx, f, systemd, manage, o)
	}
	if f.masonPath == "" {
		exe, err := os.Executable()
		if err != nil {
			return o.fail(fmt.Errorf("finding mason's own path (%w); pass --mason-path", err))
		}
		f.masonPath = exe
	}
	abs, err := filepath.Abs(f.masonPath)
	if err != nil {
		return o.usageErr("--mason-path %s: %v.", f.masonPath, err)
	}
	cfg, err := filepath.Abs(configDir(e, f.configDir))
	if err != nil {
		return o.usageErr("--config-dir: %v.", err)
	}
	if strings.ContainsAny(abs+cfg, "%'\"\n\\") {
		return o.usageErr("paths with %%, quotes, backslashes or newlines cannot go into a systemd unit or cron line; move mason or the config directory.")
	}
	cmdline := shellJoin(abs, "renew", "--quiet", "--config-dir", cfg)
	if systemd {
		return scheduleSystemd(ctx, e, f, cmdline, manage, o)
	}
	return scheduleCron(e, f, cmdline, o)
}

func systemdRuns() bool {
	_, err := os.Stat("/run/systemd/system")
	return err == nil
}

func hasSystemctl() bool {
	_, err := exec.LookPath("systemctl")
	return err == nil
}

// scheduleTime is the moment of the day (and twelve hours later) the
// renewal runs, chosen at random once so that not every mason in the world
// asks its CA at the same second.
type scheduleTime struct{ hour, minute, second int }

func randomTime(e env) scheduleTime {
	return scheduleTime{e.rand.IntN(12), e.rand.IntN(60), e.rand.IntN(60)}
}

// onCalendar finds an existing timer's OnCalendar line, so reinstalling
// keeps the time chosen the first time.
var onCalendar = regexp.MustCompile(`(?m)^OnCalendar=.*$`)

func scheduleSystemd(ctx context.Context, e env, f scheduleFlags, cmdline string, manage bool, o out) int {
	t := randomTime(e)
	calendar := fmt.Sprintf("OnCalendar=*-*-* %02d,%02d:%02d:%02d", t.hour, t.hour+12, t.minute, t.second)
	timerPath := filepath.Join(f.unitDir, timerName)
	if old, err := os.ReadFile(timerPath); err == nil {
		if m := onCalendar.Find(old); m != nil {
			calendar = string(m)
		}
	}
	service := "[Unit]\nDescription=Renew certificates with mason\nWants=network-online.target\nAfter=network-online.target\n\n" +
		"[Service]\nType=oneshot\nExecStart=" + cmdline + "\n"
	timer := "[Unit]\nDescription=Run mason renew twice a day\n\n" +
		"[Timer]\n" + calendar + "\nRandomizedDelaySec=1h\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n"
	files := []scheduleFile{{filepath.Join(f.unitDir, serviceName), service}, {timerPath, timer}}
	if err := writeAll(files); err != nil {
		return o.fail(err)
	}
	if manage {
		for _, args := range [][]string{{"daemon-reload"}, {"enable", "--now", timerName}} {
			if err := runHook(ctx, "systemctl call", "systemctl "+strings.Join(args, " "), nil); err != nil {
				return o.fail(err)
			}
		}
		o.step("Installed and started %s (%s)", timerName, strings.TrimPrefix(calendar, "OnCalendar="))
	} else {
		o.step("Wrote %s and %s (%s); enable with: systemctl daemon-reload && systemctl enable --now %s",
			files[0].path, files[1].path, strings.TrimPrefix(calendar, "OnCalendar="), timerName)
	}
	o.result(map[string]any{"kind": "systemd", "files": []string{files[0].path, files[1].path}, "schedule": strings.TrimPrefix(calendar, "OnCalendar=")})
	return exitOK
}

func scheduleCron(e env, f scheduleFlags, cmdline string, o out) int {
	t := randomTime(e)
	user := "root"
	if e.euid != 0 && e.getenv("USER") != "" {
		user = e.getenv("USER")
	}
	path := filepath.Join(f.cronDir, cronName)
	line := fmt.Sprintf("%d %d,%d * * * %s %s\n", t.minute, t.hour, t.hour+12, user, cmdline)
	if old, err := os.ReadFile(path); err == nil {
		// Keep the minute and hours chosen the first time.
		for _, l := range strings.Split(string(old), "\n") {
			if fields := strings.Fields(l); len(fields) > 5 && !strings.HasPrefix(l, "#") && !strings.Contains(fields[0], "=") {
				line = strings.Join(fields[:5], " ") + " " + user + " " + cmdline + "\n"
			}
		}
	}
	body := "# Written by 'mason schedule install'; remove with 'mason schedule remove'.\n" +
		"SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n\n" +
		"# mason waits for its lock, backs off after failures and renews only what is due.\n" + line
	if err := writeAll([]scheduleFile{{path, body}}); err != nil {
		return o.fail(err)
	}
	o.step("Wrote %s: %s", path, strings.TrimSpace(line))
	o.result(map[string]any{"kind": "cron", "files": []string{path}, "schedule": strings.Join(strings.Fields(line)[:5], " ")})
	return exitOK
}

type scheduleFile struct{ path, body string }

// writeAll writes each file atomically; when one fails, the files this run
// created are removed again, so no half schedule is left.
func writeAll(files []scheduleFile) error {
	var created []string
	for _, f := range files {
		_, statErr := os.Stat(f.path)
		if err := store.WriteFile(f.path, []byte(f.body), 0o644); err != nil {
			for _, p := range created {
				_ = os.Remove(p)
			}
			return fmt.Errorf("cannot write %s (%w); run as root or pass --unit-dir / --cron-dir", f.path, errors.Unwrap(err))
		}
		if errors.Is(statErr, fs.ErrNotExist) {
			created = append(created, f.path)
		}
	}
	return nil
}

func scheduleRemove(ctx context.Context, f scheduleFlags, systemd, manage bool, o out) int {
	paths := []string{filepath.Join(f.cronDir, cronName)}
	if systemd {
		paths = []string{filepath.Join(f.unitDir, timerName), filepath.Join(f.unitDir, serviceName)}
		if manage {
			_ = runHook(ctx, "systemctl call", "systemctl disable --now "+timerName, nil)
		}
	}
	var removed []string
	for _, p := range paths {
		err := os.Remove(p)
		switch {
		case err == nil:
			removed = append(removed, p)
		case !errors.Is(err, fs.ErrNotExist):
			return o.fail(fmt.Errorf("cannot remove %s (%w); run as root", p, errors.Unwrap(err)))
		}
	}
	if manage && len(removed) > 0 {
		_ = runHook(ctx, "systemctl call", "systemctl daemon-reload", nil)
	}
	if len(removed) == 0 {
		o.step("No mason schedule in %s", filepath.Dir(paths[0]))
	} else {
		o.step("Removed %s", strings.Join(removed, " and "))
	}
	if removed == nil {
		removed = []string{}
	}
	o.result(map[string]any{"removed": removed})
	return exitOK
}

// shellJoin quotes args for a systemd ExecStart or cron line.
func shellJoin(args ...string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
