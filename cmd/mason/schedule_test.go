package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestScheduleSystemd(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	units := t.TempDir()
	code, out, errOut := r.run("schedule", "install", "--unit-dir", units, "--mason-path", "/usr/local/bin/mason")
	if code != exitOK {
		t.Fatalf("got exit %d %s %s, want 0", code, out, errOut)
	}
	service, _ := os.ReadFile(filepath.Join(units, "mason-renew.service"))
	wantExec := "ExecStart=/usr/local/bin/mason renew --quiet --config-dir " + r.dir + "\n"
	if !strings.Contains(string(service), wantExec) || !strings.Contains(string(service), "Type=oneshot") {
		t.Errorf("got service %q, want %q and Type=oneshot", service, wantExec)
	}
	timer, _ := os.ReadFile(filepath.Join(units, "mason-renew.timer"))
	m := regexp.MustCompile(`(?m)^OnCalendar=\*-\*-\* (\d\d),(\d\d):(\d\d):(\d\d)$`).FindStringSubmatch(string(timer))
	if m == nil {
		t.Fatalf("got timer %q, want OnCalendar twice a day", timer)
	}
	h1, _ := strconv.Atoi(m[1])
	h2, _ := strconv.Atoi(m[2])
	if h2 != h1+12 || !strings.Contains(string(timer), "RandomizedDelaySec=") || !strings.Contains(string(timer), "WantedBy=timers.target") {
		t.Errorf("got timer %q, want hours 12 apart, RandomizedDelaySec and an install section", timer)
	}
	// The time is chosen once: reinstalling keeps whatever the timer says.
	kept := strings.Replace(string(timer), m[0], "OnCalendar=*-*-* 03,15:04:05", 1)
	os.WriteFile(filepath.Join(units, "mason-renew.timer"), []byte(kept), 0o644)
	if code, _, errOut := r.run("schedule", "install", "--unit-dir", units, "--mason-path", "/usr/local/bin/mason"); code != exitOK {
		t.Fatalf("reinstall: exit %d %s", code, errOut)
	}
	if timer, _ = os.ReadFile(filepath.Join(units, "mason-renew.timer")); !strings.Contains(string(timer), "OnCalendar=*-*-* 03,15:04:05\n") {
		t.Errorf("got timer %q after reinstall, want the first time kept", timer)
	}
	if fi, err := os.Stat(filepath.Join(units, "mason-renew.timer")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("got timer %v (%v), want mode 0644", fi, err)
	}
	if code, out, _ := r.run("schedule", "remove", "--unit-dir", units); code != exitOK || !strings.Contains(out, "Removed") {
		t.Errorf("got remove exit %d %q, want the files removed", code, out)
	}
	if left, _ := os.ReadDir(units); len(left) != 0 {
		t.Errorf("got %d files left after remove, want none", len(left))
	}
	if code, out, _ := r.run("schedule", "remove", "--unit-dir", units); code != exitOK || !strings.Contains(out, "No mason schedule") {
		t.Errorf("got second remove exit %d %q, want 0 saying there is none", code, out)
	}
}

func TestScheduleCron(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	cron := t.TempDir()
	if code, out, errOut := r.run("schedule", "install", "--cron-dir", cron, "--mason-path", "/usr/bin/mason"); code != exitOK {
		t.Fatalf("got exit %d %s %s, want 0", code, out, errOut)
	}
	body, _ := os.ReadFile(filepath.Join(cron, "mason-renew"))
	re := regexp.MustCompile(`(?m)^(\d+) (\d+),(\d+) \* \* \* \S+ /usr/bin/mason renew --quiet --config-dir ` + regexp.QuoteMeta(r.dir) + `$`)
	m := re.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("got cron file %q, want one twice-daily line", body)
	}
	h1, _ := strconv.Atoi(m[2])
	h2, _ := strconv.Atoi(m[3])
	if min, _ := strconv.Atoi(m[1]); h2 != h1+12 || min > 59 {
		t.Errorf("got hours %d,%d minute %d, want hours 12 apart", h1, h2, min)
	}
}

func TestScheduleRefuses(t *testing.T) {
	q := startQuarry(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"both dirs", []string{"install", "--unit-dir", "/tmp", "--cron-dir", "/tmp"}, exitUsage, "not both"},
		{"unit dir not writable", []string{"install", "--unit-dir", "/proc/mason", "--mason-path", "/usr/bin/mason"}, exitFailed, "cannot write"},
		{"cron dir not writable", []string{"install", "--cron-dir", "/proc/mason", "--mason-path", "/usr/bin/mason"}, exitFailed, "cannot write"},
		{"quote in path", []string{"install", "--cron-dir", "/tmp", "--mason-path", "/opt/it's/mason"}, exitUsage, "quotes"},
		{"no subcommand", []string{"frobnicate"}, exitUsage, "install|remove"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(t, q)
			code, _, errOut := r.run(append([]string{"schedule"}, tt.args...)...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("got exit %d %q, want %d with one sentence containing %q", code, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}
