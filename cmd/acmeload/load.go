package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/internal/loadgen"
)

// load starts the responders, checks the target and runs the load.
func load(ctx context.Context, o *options, stderr io.Writer) (*loadgen.Report, error) {
	if err := loadgen.CheckLoopback(ctx, o.cfg.DirectoryURL, nil); err != nil {
		var nl *loadgen.NotLoopbackError
		if errors.As(err, &nl) {
			return nil, usageError{err}
		}
		return nil, err
	}
	resp, err := loadgen.StartResponders(ctx, o.resp)
	if err != nil {
		return nil, fmt.Errorf("starting responders: %w", err)
	}
	defer resp.Close()
	fmt.Fprintf(stderr, "acmeload: responders %s; the CA's VA must use them\n", describe(resp))
	fmt.Fprintf(stderr, "acmeload: %d subscribers, %s, against %s\n", o.cfg.Concurrency, bound(o), o.cfg.DirectoryURL)
	log := slog.New(slog.DiscardHandler)
	if o.verbose {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	progress := func(elapsed time.Duration, ok, failed int) {
		fmt.Fprintf(stderr, "acmeload: %s: %d issued, %d failed\n", elapsed.Round(time.Second), ok, failed)
	}
	return loadgen.Run(ctx, o.cfg, resp, loadgen.Deps{Log: log, Progress: progress})
}

func describe(r *loadgen.Responders) string {
	var parts []string
	if a := r.HTTPAddr(); a != "" {
		parts = append(parts, "http-01 "+a)
	}
	if a := r.TLSAddr(); a != "" {
		parts = append(parts, "tls-alpn-01 "+a)
	}
	if a := r.DNSAddr(); a != "" {
		parts = append(parts, "DNS "+a)
	}
	return strings.Join(parts, ", ")
}

func bound(o *options) string {
	if o.cfg.Rate > 0 {
		return fmt.Sprintf("%s, at most %g flow starts/s", timeBound(o), o.cfg.Rate)
	}
	return timeBound(o)
}

func timeBound(o *options) string {
	switch {
	case o.cfg.Flows > 0 && o.cfg.Duration > 0:
		return fmt.Sprintf("%d flows or %s, whichever comes first", o.cfg.Flows, o.cfg.Duration)
	case o.cfg.Flows > 0:
		return fmt.Sprintf("%d flows", o.cfg.Flows)
	}
	return fmt.Sprintf("for %s", o.cfg.Duration)
}

// writeReport writes the table or JSON to stdout and the CSV file if asked.
func writeReport(rep *loadgen.Report, o *options, stdout io.Writer) error {
	if o.csvFile != "" {
		if err := writeCSVFile(rep, o.csvFile); err != nil {
			return err
		}
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("writing JSON: %w", err)
		}
		return nil
	}
	return rep.WriteTable(stdout)
}

func writeCSVFile(rep *loadgen.Report, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating --csv file: %w", err)
	}
	if err := rep.WriteCSV(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing --csv file: %w", err)
	}
	return nil
}
