package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the parsed command line.
type options struct {
	concurrency []int
	duration    time.Duration
	half        bool
	outDir      string
	goBin       string
	profile     string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if _, err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conc := fs.String("concurrency", "1,8,32,128", "comma-separated `list` of concurrencies, one row each")
	fs.DurationVar(&o.duration, "duration", 15*time.Second, "time bound of each row")
	fs.BoolVar(&o.half, "half", true, "add a row at half of each CA's saturated throughput")
	fs.StringVar(&o.outDir, "out", "results", "`directory` for the JSON results")
	fs.StringVar(&o.goBin, "go", "go", "the go `command` that builds quarry and acmeload")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of quarry during its busiest row to `file`")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("--concurrency: %q is not a positive number", s)
		}
		o.concurrency = append(o.concurrency, n)
	}
	if o.duration < time.Second {
		return o, errors.New("--duration must be at least 1s")
	}
	return o, nil
}

// result is what one run found; it is written as JSON.
type result struct {
	Started   time.Time     `json:"started"`
	CPUs      int           `json:"cpus"`
	GoVersion string        `json:"go_version"`
	Quarry    string        `json:"quarry_settings"`
	Pebble    string        `json:"pebble_settings"`
	Workload  string        `json:"workload"`
	Rows      []row         `json:"rows"`
	Storage   storageResult `json:"quarry_storage"`
}

// storageResult is Quarry's storage per certificate measured after it
// stopped, when its write-ahead log has been folded into the database.
type storageResult struct {
	Certificates int     `json:"certificates"`
	Bytes        int64   `json:"bytes"`
	BytesPerCert float64 `json:"bytes_per_cert"`
}

const (
	quarrySettings = "SQLite, synchronous=FULL in WAL mode (every commit durable), dev preset (rate limits do not throttle), log level info"
	pebbleSettings = "Debian package, in memory, PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0"
	workloadDesc   = "acmeload: new account per flow, 1 name, http-01, ECDSA P-256 certificate key"
)

// run builds, starts both CAs, runs every row and reports.
func run(ctx context.Context, o options, stdout, stderr io.Writer) (*result, error) {
	res := &result{Started: time.Now().UTC(), CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
		Quarry: quarrySettings, Pebble: pebbleSettings, Workload: workloadDesc}
	if _, err := exec.LookPath("pebble"); err != nil {
		return nil, errors.New("pebble is not installed (scripts/deps.sh installs it)")
	}
	dir, err := os.MkdirTemp("", "quarry-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(stderr, "bench: building quarry and acmeload")
	bins, err := build(ctx, o.goBin, dir, map[string]string{
		"quarry":   "github.com/quarry-ca/quarry/cmd/quarry",
		"acmeload": "github.com/quarry-ca/quarry/cmd/acmeload",
	})
	if err != nil {
		return nil, err
	}
	var p ports
	for _, port := range []*int{&p.HTTP, &p.TLS, &p.DNS} {
		if *port, err = freePort(); err != nil {
			return nil, err
		}
	}
	fmt.Fprintln(stderr, "bench: quarry:", quarrySettings)
	storeStart, err := initQuarry(ctx, bins["quarry"], dir, p)
	if err != nil {
		return nil, err
	}
	quarry, err := startQuarry(ctx, bins["quarry"], dir, p, o.profile != "")
	if err != nil {
		return nil, err
	}
	defer func() { _ = quarry.proc.stop() }()
	fmt.Fprintln(stderr, "bench: pebble:", pebbleSettings)
	pebble, err := startPebble(ctx, dir, p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = pebble.proc.stop() }() // pebble may be replaced

	targets := []*target{quarry, pebble}
	for _, c := range o.concurrency {
		w := workload{Label: "c=" + strconv.Itoa(c), Concurrency: c, Duration: o.duration}
		for _, t := range targets {
			stopProfile := func() {}
			if t == quarry && o.profile != "" && c == slicesMax(o.concurrency) {
				stopProfile = profileDuring(ctx, quarry.pprofURL, o.profile, o.duration-time.Second, stderr)
			}
			res.Rows = append(res.Rows, runRow(ctx, bins["acmeload"], t, p, w))
			stopProfile()
			progress(stderr, res.Rows[len(res.Rows)-1])
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err := restartStalledPebble(ctx, res.Rows[len(res.Rows)-1], pebble, dir, p, stderr); err != nil {
				return nil, err
			}
		}
	}
	if o.half {
		for _, t := range targets {
			sat := saturated(res.Rows, t.name)
			if sat <= 0 {
				fmt.Fprintf(stderr, "bench: %s never issued; no half-load row\n", t.name)
				continue
			}
			if t == pebble {
				// A Pebble that half-stalled at high concurrency (some
				// flows still finishing) would sink this row too.
				if err := restartPebble(ctx, pebble, dir, p, stderr); err != nil {
					return nil, err
				}
			}
			w := workload{Label: "half", Concurrency: slicesMax(o.concurrency), Rate: sat / 2, Duration: o.duration}
			res.Rows = append(res.Rows, runRow(ctx, bins["acmeload"], t, p, w))
			progress(stderr, res.Rows[len(res.Rows)-1])
			if err := restartStalledPebble(ctx, res.Rows[len(res.Rows)-1], pebble, dir, p, stderr); err != nil {
				return nil, err
			}
		}
	}
	_ = pebble.proc.stop()
	if err := quarry.proc.stop(); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
	}
	res.Storage = finalStorage(ctx, res.Rows, quarry, storeStart)
	if err := writeTable(stdout, res); err != nil {
		return nil, err
	}
	path, err := writeJSON(o.outDir, res)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stdout, "\nresults:", path)
	return res, nil
}

// restartStalledPebble replaces a Pebble that stalled with a fresh one, so
// one stall does not also sink the rows after it. Pebble keeps nothing
// across restarts that a row depends on. A stalled Quarry is left as it is:
// that is a finding, not noise.
func restartStalledPebble(ctx context.Context, r row, pebble *target, dir string, p ports, stderr io.Writer) error {
	if r.Server != pebble.name || !r.Stalled {
		return nil
	}
	return restartPebble(ctx, pebble, dir, p, stderr)
}

// restartPebble replaces pebble with a fresh instance.
func restartPebble(ctx context.Context, pebble *target, dir string, p ports, stderr io.Writer) error {
	fmt.Fprintln(stderr, "bench: starting a fresh pebble")
	_ = pebble.proc.stop()
	fresh, err := startPebble(ctx, dir, p)
	if err != nil {
		return err
	}
	*pebble = *fresh
	return nil
}

func progress(w io.Writer, r row) {
	fmt.Fprintf(w, "bench: %-6s %-7s %8.1f issued/s  p99 %s", r.Load.Label, r.Server, r.IssuancesPerSecond, msStr(r.P99))
	if r.Note != "" {
		fmt.Fprintf(w, "  (%s)", r.Note)
	}
	fmt.Fprintln(w)
}

// saturated is the highest throughput a CA reached in the concurrency rows.
func saturated(rows []row, server string) float64 {
	best := 0.0
	for _, r := range rows {
		if r.Server == server && r.Load.Rate == 0 && !r.Stalled {
			best = max(best, r.IssuancesPerSecond)
		}
	}
	return best
}

// initQuarry starts Quarry once so it creates its database and CA, stops
// it, and returns the database's size then: with the write-ahead log
// folded in at shutdown, like the figure finalStorage takes at the end.
func initQuarry(ctx context.Context, bin, dir string, p ports) (int64, error) {
	q, err := startQuarry(ctx, bin, dir, p, false)
	if err != nil {
		return 0, err
	}
	if err := q.proc.stop(); err != nil {
		return 0, err
	}
	return q.storageBytes(ctx)
}

// finalStorage divides Quarry's database growth, measured after it stopped
// (its log checkpointed into the database), by the certificates issued.
func finalStorage(ctx context.Context, rows []row, quarry *target, start int64) storageResult {
	end, err := quarry.storageBytes(ctx)
	if err != nil {
		return storageResult{}
	}
	s := storageResult{Bytes: end - start}
	for _, r := range rows {
		if r.Server == quarry.name && r.Report != nil {
			s.Certificates += r.Report.Succeeded
		}
	}
	if s.Certificates > 0 {
		s.BytesPerCert = float64(s.Bytes) / float64(s.Certificates)
	}
	return s
}

// profileDuring fetches a CPU profile of d from a pprof endpoint into
// path, in the background; the returned func waits for it.
func profileDuring(ctx context.Context, base, path string, d time.Duration, stderr io.Writer) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		url := fmt.Sprintf("%sprofile?seconds=%d", base, int(d/time.Second))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			fmt.Fprintln(stderr, "bench: profile:", err)
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(stderr, "bench: profile:", err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(stderr, "bench: profile:", err)
			return
		}
		if _, err := io.Copy(f, resp.Body); err != nil {
			fmt.Fprintln(stderr, "bench: profile:", err)
		}
		if err := f.Close(); err != nil {
			fmt.Fprintln(stderr, "bench: profile:", err)
		}
	}()
	return func() { <-done }
}

// writeJSON writes res under dir, named by its start time.
func writeJSON(dir string, res *result) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, "bench-"+res.Started.Format("20060102T150405Z")+".json")
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("writing results: %w", err)
	}
	return path, nil
}

func slicesMax(s []int) int {
	m := 0
	for _, v := range s {
		m = max(m, v)
	}
	return m
}
