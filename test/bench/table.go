package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// writeTable prints every row, each load's Quarry/Pebble ratio under its
// two rows, then the figures the project aims for.
func writeTable(w io.Writer, res *result) error {
	fmt.Fprintf(w, "Quarry vs Pebble, %d CPUs, %s\n", res.CPUs, res.Workload)
	fmt.Fprintf(w, "quarry: %s\npebble: %s\n\n", res.Quarry, res.Pebble)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "load\tserver\tissued/s\tp50 ms\tp99 ms\tCPU ms/issue\tpeak RSS MB\tstorage B/cert\tok\tfailed\tacmeload CPU ms/flow\t")
	for _, g := range groupRows(res.Rows) {
		for _, r := range g {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t\n", loadLabel(r), serverLabel(r),
				num(r.IssuancesPerSecond), msStr(r.P50), msStr(r.P99), msStr(r.CPUPerIssuance),
				mb(r.PeakRSS), bytesStr(r.BytesPerCert), succeeded(r), failed(r), msStr(r.LoadCPUPerFlow))
		}
		if q, p, ok := pair(g); ok {
			fmt.Fprintf(tw, "%s\tquarry/pebble\t%s\t%s\t%s\t%s\t%s\t-\t\t\t\t\n", loadLabel(q),
				ratio(q.IssuancesPerSecond, p.IssuancesPerSecond), ratioD(q.P50, p.P50), ratioD(q.P99, p.P99),
				ratioD(q.CPUPerIssuance, p.CPUPerIssuance), ratio(float64(q.PeakRSS), float64(p.PeakRSS)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range res.Rows {
		if r.Note != "" {
			fmt.Fprintf(w, "note: %s %s: %s\n", r.Load.Label, r.Server, r.Note)
		}
	}
	writeTargets(w, res)
	return nil
}

// writeTargets compares the run with the project's goals; they are
// reported, never asserted.
func writeTargets(w io.Writer, res *result) {
	qs, ps := saturated(res.Rows, "quarry"), saturated(res.Rows, "pebble")
	q, p := busiest(res.Rows, "quarry"), busiest(res.Rows, "pebble")
	fmt.Fprintln(w, "\ntargets (reported, not asserted)")
	fmt.Fprintf(w, "  saturated throughput   quarry %s/s, pebble %s/s: %s of pebble (goal >= 5x and >= 500/s)\n", num(qs), num(ps), ratio(qs, ps))
	if q != nil && p != nil {
		fmt.Fprintf(w, "  CPU per issuance       quarry %s ms, pebble %s ms at saturation: %s (goal <= 0.10x)\n",
			msStr(q.CPUPerIssuance), msStr(p.CPUPerIssuance), ratioD(q.CPUPerIssuance, p.CPUPerIssuance))
	}
	for _, r := range res.Rows {
		if r.Server == "quarry" && r.Load.Rate > 0 {
			fmt.Fprintf(w, "  p99 at half load       %s ms at %s/s (goal < 100 ms)\n", msStr(r.P99), num(r.Load.Rate))
		}
	}
	var rss int64
	for _, r := range res.Rows {
		if r.Server == "quarry" {
			rss = max(rss, r.PeakRSS)
		}
	}
	fmt.Fprintf(w, "  peak RSS               %s MB (goal < 150 MB)\n", mb(rss))
	fmt.Fprintf(w, "  storage per cert       %s bytes over %d certificates, measured after shutdown (goal < 4096)\n",
		bytesStr(res.Storage.BytesPerCert), res.Storage.Certificates)
}

// busiest is a CA's concurrency row with the highest throughput.
func busiest(rows []row, server string) *row {
	var best *row
	for i, r := range rows {
		if r.Server == server && r.Load.Rate == 0 && !r.Stalled && (best == nil || r.IssuancesPerSecond > best.IssuancesPerSecond) {
			best = &rows[i]
		}
	}
	return best
}

// groupRows groups consecutive rows of one load label, keeping order.
func groupRows(rows []row) [][]row {
	var out [][]row
	for _, r := range rows {
		if n := len(out); n > 0 && out[n-1][0].Load.Label == r.Load.Label {
			out[n-1] = append(out[n-1], r)
			continue
		}
		out = append(out, []row{r})
	}
	return out
}

func pair(g []row) (q, p row, ok bool) {
	var hasQ, hasP bool
	for _, r := range g {
		switch r.Server {
		case "quarry":
			q, hasQ = r, true
		case "pebble":
			p, hasP = r, true
		}
	}
	return q, p, hasQ && hasP
}

func loadLabel(r row) string {
	if r.Load.Rate > 0 {
		return fmt.Sprintf("%s (%s/s)", r.Load.Label, num(r.Load.Rate))
	}
	return r.Load.Label
}

func serverLabel(r row) string {
	if r.Stalled {
		return r.Server + " STALLED"
	}
	return r.Server
}

func succeeded(r row) int {
	if r.Report == nil {
		return 0
	}
	return r.Report.Succeeded
}

func failed(r row) int {
	if r.Report == nil {
		return 0
	}
	return r.Report.Failed
}

func num(f float64) string { return fmt.Sprintf("%.1f", f) }

func msStr(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

func mb(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

func bytesStr(b float64) string {
	if b < 0 {
		return "in memory"
	}
	return fmt.Sprintf("%.0f", b)
}

// ratio is a/b, or "-" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func ratioD(a, b time.Duration) string { return ratio(float64(a), float64(b)) }
