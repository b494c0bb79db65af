package loadgen

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// WriteTable writes the report for people.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "target      %s (%s, %s keys, concurrency %d)\n", r.DirectoryURL, r.Challenge, r.KeyType, r.Concurrency)
	if r.Rate > 0 {
		fmt.Fprintf(w, "rate        at most %.2f flow starts/s\n", r.Rate)
	}
	fmt.Fprintf(w, "flows       %d started, %d succeeded, %d failed, %d cut short by the time bound\n",
		r.Started, r.Succeeded, r.Failed, r.Aborted)
	fmt.Fprintf(w, "throughput  %.2f issuances/s over %s (%d names)\n\n", r.IssuancesPerSecond, r.Elapsed.Round(time.Millisecond), r.Names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tcount\tp50\tp90\tp99\tmax\t")
	for _, s := range Steps() {
		l, ok := r.Latency[s]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", s, l.Count, ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintln(w, "\nerrors")
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			fmt.Fprintf(w, "  %6d  %s\n", r.Errors[k], k)
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// WriteCSV writes the time series: one row per second of the run.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"second", "completed", "errors", "p50_ms"})
	for _, s := range r.Timeline {
		_ = cw.Write([]string{
			strconv.Itoa(s.Second), strconv.Itoa(s.Completed), strconv.Itoa(s.Errors),
			strconv.FormatFloat(float64(s.P50)/float64(time.Millisecond), 'f', 3, 64),
		})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}
