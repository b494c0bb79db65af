package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/quarry-ca/quarry/internal/loadgen"
)

// killGrace is how long past its own time bound acmeload may take before
// the row is declared stalled and acmeload is stopped.
const killGrace = 30 * time.Second

// stallWindow is how many final seconds without a completion, while flows
// were still in flight, mark a row as stalled.
const stallWindow = 3

// workload is one row's load.
type workload struct {
	Label       string        `json:"label"`
	Concurrency int           `json:"concurrency"`
	Rate        float64       `json:"rate_per_second,omitempty"` // 0: as fast as the CA answers
	Duration    time.Duration `json:"duration_ns"`
}

// row is one workload's outcome against one CA.
type row struct {
	Load   workload `json:"load"`
	Server string   `json:"server"`
	// Stalled rows made no progress at the end of their time bound (or
	// none at all); their figures cover what finished before.
	Stalled bool   `json:"stalled"`
	Note    string `json:"note,omitempty"`

	IssuancesPerSecond float64       `json:"issuances_per_second"`
	P50                time.Duration `json:"p50_ns"`
	P99                time.Duration `json:"p99_ns"`
	CPUPerIssuance     time.Duration `json:"cpu_per_issuance_ns"`
	PeakRSS            int64         `json:"peak_rss_bytes"`
	// LoadCPUPerFlow is acmeload's own CPU time per finished flow: what
	// the load generator takes from the same machine.
	LoadCPUPerFlow time.Duration `json:"acmeload_cpu_per_flow_ns"`
	// BytesPerCert is the storage growth over the row per certificate;
	// negative when the CA keeps no storage files (Pebble: memory only).
	BytesPerCert float64 `json:"storage_bytes_per_cert"`

	Report *loadgen.Report `json:"acmeload_report,omitempty"`
}

// runRow runs acmeload once against t and measures the CA around it.
func runRow(ctx context.Context, acmeload string, t *target, p ports, w workload) row {
	r := row{Load: w, Server: t.name, BytesPerCert: -1}
	before, err := t.proc.sample()
	if err != nil {
		r.Stalled, r.Note = true, fmt.Sprintf("%s is not running: %v", t.name, err)
		return r
	}
	storeBefore, storeErr := t.storage(ctx)
	rep, loadCPU, err := runAcmeload(ctx, acmeload, t, p, w)
	after, serr := t.proc.sample()
	switch {
	case serr != nil:
		r.Stalled, r.Note = true, fmt.Sprintf("%s died during the row: %v", t.name, serr)
		return r
	case err != nil:
		r.Stalled, r.Note = true, err.Error()
	}
	r.PeakRSS = after.PeakRSS
	if rep == nil {
		return r
	}
	r.Report = rep
	r.IssuancesPerSecond = rep.IssuancesPerSecond
	r.P50, r.P99 = rep.Latency[loadgen.StepFlow].P50, rep.Latency[loadgen.StepFlow].P99
	if rep.Succeeded > 0 {
		r.CPUPerIssuance = (after.CPU - before.CPU) / time.Duration(rep.Succeeded)
		r.LoadCPUPerFlow = loadCPU / time.Duration(rep.Succeeded+rep.Failed+rep.Aborted)
		if storeAfter, err := t.storage(ctx); err == nil && storeErr == nil && t.dbPath != "" {
			r.BytesPerCert = float64(storeAfter-storeBefore) / float64(rep.Succeeded)
		}
	}
	if stalled(rep) {
		r.Stalled = true
		if r.Note == "" {
			r.Note = "no flow finished at the end of the row"
		}
	}
	if rep.Failed > 0 && r.Note == "" {
		r.Note = fmt.Sprintf("%d flows failed: %v", rep.Failed, rep.Errors)
	}
	return r
}

// stalled says whether a run ended without progress: nothing succeeded,
// or flows were cut short after the last stallWindow seconds finished none.
func stalled(rep *loadgen.Report) bool {
	if rep.Succeeded == 0 {
		return true
	}
	n := len(rep.Timeline)
	if rep.Aborted == 0 || n < stallWindow+1 {
		return false
	}
	for _, s := range rep.Timeline[n-stallWindow:] {
		if s.Completed > 0 {
			return false
		}
	}
	return true
}

// runAcmeload runs acmeload with the JSON report on stdout and returns
// the report and acmeload's CPU time. A run that outlives its bound by
// killGrace is stopped and reported as stalled.
func runAcmeload(ctx context.Context, bin string, t *target, p ports, w workload) (*loadgen.Report, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, w.Duration+killGrace)
	defer cancel()
	args := []string{
		"--directory", t.dirURL, "--roots", t.rootsFile,
		"--concurrency", strconv.Itoa(w.Concurrency), "--duration", w.Duration.String(),
		"--http-listen", hostPort(p.HTTP), "--tls-listen", hostPort(p.TLS), "--dns-listen", hostPort(p.DNS),
		"--json",
	}
	if w.Rate > 0 {
		args = append(args, "--rate", strconv.FormatFloat(w.Rate, 'f', 2, 64))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, 0, fmt.Errorf("acmeload did not finish within %s of its bound: the CA stalled", killGrace)
	}
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) { // 1: some flows failed
		return nil, 0, fmt.Errorf("acmeload: %v: %s", err, lastLine(stderr.Bytes()))
	}
	rep := new(loadgen.Report)
	if err := json.Unmarshal(stdout.Bytes(), rep); err != nil {
		return nil, 0, fmt.Errorf("reading acmeload's report: %w", err)
	}
	return rep, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func lastLine(b []byte) string {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}
