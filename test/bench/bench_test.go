package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/loadgen"
)

// TestSmoke runs the whole benchmark in miniature: two short rows per CA
// and the half-load rows. `make bench` runs the full one.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: -short")
	}
	strict := os.Getenv("CI") == "true"
	for _, tool := range []string{"pebble", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if strict {
				t.Fatalf("%s is not on PATH; scripts/deps.sh installs pebble", tool)
			}
			t.Skipf("skipping: %s is not on PATH (run scripts/deps.sh as root)", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	res, err := run(ctx, options{concurrency: []int{1, 2}, duration: 3 * time.Second, half: true, outDir: out, goBin: "go"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	t.Logf("\n%s", stdout.String())
	if got, want := len(res.Rows), 6; got != want {
		t.Fatalf("got %d rows, want %d (2 loads × 2 CAs + 2 half-load rows)", got, want)
	}
	for _, r := range res.Rows {
		if r.Server != "quarry" {
			continue
		}
		if r.Stalled || r.Report == nil || r.Report.Succeeded == 0 || r.Report.Failed != 0 {
			t.Errorf("got quarry row %s: stalled %v, note %q; want flows that all succeed", r.Load.Label, r.Stalled, r.Note)
			continue
		}
		if r.CPUPerIssuance <= 0 || r.PeakRSS <= 0 || r.LoadCPUPerFlow <= 0 {
			t.Errorf("got quarry row %s with CPU %s, peak RSS %d, acmeload CPU %s; want all measured", r.Load.Label, r.CPUPerIssuance, r.PeakRSS, r.LoadCPUPerFlow)
		}
	}
	if res.Storage.Certificates == 0 || res.Storage.BytesPerCert <= 0 {
		t.Errorf("got storage %+v, want bytes per certificate measured", res.Storage)
	}
	for _, s := range []string{"quarry/pebble", "half (", "targets (reported, not asserted)", "dev preset", "synchronous=FULL"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("got table\n%s\nwant it to contain %q", stdout.String(), s)
		}
	}
	files, err := os.ReadDir(out)
	if err != nil || len(files) != 1 || !strings.HasSuffix(files[0].Name(), ".json") {
		t.Errorf("got %v (err %v) in the output directory, want one JSON file", files, err)
	}
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		line string
		want time.Duration
		ok   bool
	}{
		{name: "plain", line: "42 (quarry) S 1 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 8 0 100 1000 200", want: 1750 * time.Millisecond, ok: true},
		{name: "name with spaces and parens", line: "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 8 0 100 1000 200", want: 100 * time.Millisecond, ok: true},
		{name: "short", line: "42 (quarry) S 1 2 3"},
		{name: "no name", line: "42 quarry S"},
		{name: "not a number", line: "42 (quarry) S 1 42 42 0 -1 4194560 100 0 0 0 x 25 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.line))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %s, %v; want %s, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseVmHWM(t *testing.T) {
	got, err := parseVmHWM(strings.NewReader("Name:\tquarry\nVmPeak:\t  900 kB\nVmHWM:\t   40960 kB\nVmRSS:\t 30000 kB\n"))
	if err != nil || got != 40<<20 {
		t.Errorf("got %d, %v; want %d", got, err, 40<<20)
	}
	if _, err := parseVmHWM(strings.NewReader("Name:\tquarry\n")); err == nil {
		t.Error("got no error without a VmHWM line, want one")
	}
}

func TestStalled(t *testing.T) {
	sec := func(completed ...int) []loadgen.Second {
		var s []loadgen.Second
		for i, c := range completed {
			s = append(s, loadgen.Second{Second: i, Completed: c})
		}
		return s
	}
	tests := []struct {
		name string
		rep  loadgen.Report
		want bool
	}{
		{name: "nothing issued", rep: loadgen.Report{Aborted: 4}, want: true},
		{name: "steady", rep: loadgen.Report{Succeeded: 9, Aborted: 2, Timeline: sec(2, 2, 2, 2, 1)}},
		{name: "stopped midway with flows stuck", rep: loadgen.Report{Succeeded: 6, Aborted: 8, Timeline: sec(3, 3, 0, 0, 0)}, want: true},
		{name: "quiet end without stuck flows", rep: loadgen.Report{Succeeded: 6, Timeline: sec(3, 3, 0, 0, 0)}},
		{name: "too short to tell", rep: loadgen.Report{Succeeded: 1, Aborted: 1, Timeline: sec(1, 0, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stalled(&tt.rep); got != tt.want {
				t.Errorf("got stalled %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	load := workload{Label: "c=8", Concurrency: 8, Duration: time.Second}
	res := &result{CPUs: 2, Workload: "w", Quarry: "q", Pebble: "p", Rows: []row{
		{Load: load, Server: "quarry", IssuancesPerSecond: 100, P50: 10 * time.Millisecond, P99: 20 * time.Millisecond,
			CPUPerIssuance: time.Millisecond, PeakRSS: 50 << 20, BytesPerCert: 2000, Report: &loadgen.Report{Succeeded: 100},
			LoadCPUPerFlow: 2345 * time.Microsecond},
		{Load: load, Server: "pebble", IssuancesPerSecond: 20, P50: 1000 * time.Millisecond, P99: 2000 * time.Millisecond,
			CPUPerIssuance: 8 * time.Millisecond, PeakRSS: 25 << 20, BytesPerCert: -1, Report: &loadgen.Report{Succeeded: 20}},
		{Load: workload{Label: "c=128", Concurrency: 128}, Server: "pebble", Stalled: true, BytesPerCert: -1, Note: "no flow finished"},
	}, Storage: storageResult{Certificates: 100, Bytes: 200000, BytesPerCert: 2000}}
	var b bytes.Buffer
	if err := writeTable(&b, res); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"quarry/pebble", "5.00x", "0.01x", "0.12x", "2.00x", // throughput, p50, CPU, RSS ratios
		"in memory", "pebble STALLED", "acmeload CPU ms/flow", "2.3", "note: c=128 pebble: no flow finished",
		"quarry 100.0/s, pebble 20.0/s: 5.00x", "2000 bytes over 100 certificates",
	} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("got table\n%s\nwant it to contain %q", b.String(), s)
		}
	}
}
