package harness

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		argv []string
		want string
	}{
		{name: "plain", argv: []string{"lego", "--path", "/tmp/x", "run"}, want: "lego --path /tmp/x run"},
		{name: "env", env: []string{"A=b c"}, argv: []string{"certbot"}, want: "A='b c' certbot"},
		{name: "wildcard quoted", argv: []string{"lego", "-d", "*.w.quarry.test"}, want: "lego -d '*.w.quarry.test'"},
		{name: "quote in arg", argv: []string{"echo", "it's"}, want: `echo 'it'\''s'`},
		{name: "empty arg", argv: []string{"echo", ""}, want: "echo ''"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CommandLine(tc.env, tc.argv); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestProcStop(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		wantErr bool
	}{
		{name: "exits cleanly on SIGTERM", script: `trap 'exit 0' TERM; echo up; while :; do sleep 0.05; done`},
		{name: "dies of SIGTERM", script: `echo up; exec sleep 30`, wantErr: true},
		{name: "already failed", script: `echo up; exit 3`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := StartProc(t, "sh", nil, "sh", "-c", tc.script)
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(p.Output(), "up") && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			err := p.Stop()
			if (err != nil) != tc.wantErr {
				t.Errorf("got Stop error %v, want error %v", err, tc.wantErr)
			}
			if again := p.Stop(); (again != nil) != (err != nil) {
				t.Errorf("got second Stop %v, want the first result %v", again, err)
			}
		})
	}
}

func TestRun(t *testing.T) {
	out, err := Run(context.Background(), t, []string{"GREETING=hello"}, "sh", "-c", `echo "$GREETING"; echo err >&2`)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if want := "hello\nerr\n"; out != want {
		t.Errorf("got output %q, want %q", out, want)
	}
	if _, err := Run(context.Background(), t, nil, "sh", "-c", "exit 2"); err == nil {
		t.Errorf("got nil error from a failing command, want one")
	}
}
