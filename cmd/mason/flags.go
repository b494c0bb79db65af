package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// webroots holds certbot-style per-name document roots: each -w PATH
// applies to the -d names after it; names before the first -w take the
// first one.
type webroots struct {
	current  string
	roots    []string
	byName   map[string]string
	unmapped []string
}

// webrootFlag is -w / --webroot / --webroot-path.
type webrootFlag struct{ m *webroots }

func (w webrootFlag) String() string {
	if w.m == nil {
		return ""
	}
	return strings.Join(w.m.roots, ",")
}

func (w webrootFlag) Set(v string) error {
	abs, err := filepath.Abs(v)
	if err != nil {
		return fmt.Errorf("webroot %s: %w", v, err)
	}
	w.m.current = abs
	w.m.roots = append(w.m.roots, abs)
	if len(w.m.roots) == 1 {
		for _, n := range w.m.unmapped {
			w.m.byName[n] = abs
		}
		w.m.unmapped = nil
	}
	return nil
}

// domainFlag is -d NAME (repeatable, or comma separated), remembering the
// webroot in force for each name.
type domainFlag struct {
	list *[]string
	m    *webroots
}

func (d domainFlag) String() string {
	if d.list == nil {
		return ""
	}
	return strings.Join(*d.list, ",")
}

func (d domainFlag) Set(v string) error {
	for _, n := range strings.Split(v, ",") {
		n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
		if n == "" {
			continue
		}
		*d.list = append(*d.list, n)
		if d.m.current != "" {
			d.m.byName[n] = d.m.current
		} else {
			d.m.unmapped = append(d.m.unmapped, n)
		}
	}
	return nil
}

// single returns the one root every name uses, or "" when names differ.
func (m *webroots) single(names []string) (string, bool) {
	if len(m.roots) == 1 {
		return m.roots[0], true
	}
	first := m.byName[names[0]]
	for _, n := range names {
		if m.byName[n] != first {
			return "", false
		}
	}
	return first, true
}

// certbotArgs accepts certbot's spelling, where --webroot only picks the
// authenticator and -w gives the path: a --webroot followed by another
// flag (or by nothing) is dropped, so `--webroot -w DIR -d NAME` works.
func certbotArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if (a == "--webroot" || a == "-webroot") && (i+1 == len(args) || strings.HasPrefix(args[i+1], "-")) {
			continue
		}
		out = append(out, a)
	}
	return out
}
