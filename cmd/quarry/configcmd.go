package main

import (
	"errors"
	"fmt"
	"io"
)

func cmdConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{errors.New(`usage: quarry config check --config FILE`)}
	}
	f := newServerFlags("config check", stderr)
	cfg, err := f.parse(args[1:])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Configuration is valid (%s preset, data in %s, ACME on %s).\n", cfg.Preset, cfg.DataDir, cfg.Listen)
	return nil
}
