package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/quarry-ca/quarry/internal/core"
)

// Kinds are the four files of one lineage version, in the order they are
// written to archive/ and switched in live/.
var kinds = [...]string{"privkey", "cert", "chain", "fullchain"}

// Files is one version of a lineage, as PEM.
type Files struct {
	Cert      []byte // the leaf
	Chain     []byte // its issuers
	FullChain []byte // leaf then issuers
	PrivKey   []byte
}

func (f Files) get(kind string) []byte {
	switch kind {
	case "cert":
		return f.Cert
	case "chain":
		return f.Chain
	case "fullchain":
		return f.FullChain
	}
	return f.PrivKey
}

func (f *Files) set(kind string, b []byte) {
	switch kind {
	case "cert":
		f.Cert = b
	case "chain":
		f.Chain = b
	case "fullchain":
		f.FullChain = b
	default:
		f.PrivKey = b
	}
}

// SaveVersion stores files as the lineage's next version and makes it live:
// all four archive files first, then each live link by atomic rename. It
// returns the new version number.
func (s *Store) SaveVersion(name string, files Files) (int, error) {
	if err := checkName("certificate name", name); err != nil {
		return 0, err
	}
	for _, k := range kinds {
		if len(files.get(k)) == 0 {
			return 0, core.Errorf(core.ErrMalformed, "lineage %s: %s is empty", name, k)
		}
	}
	archive, live := s.path("archive", name), s.path("live", name)
	if err := mkdirs(archive, live); err != nil {
		return 0, err
	}
	n, err := s.nextVersion(name)
	if err != nil {
		return 0, err
	}
	for _, k := range kinds {
		if err := s.step("archive " + k); err != nil {
			return 0, err
		}
		perm := os.FileMode(0o644)
		if k == "privkey" {
			perm = 0o600
		}
		if err := writeFile(filepath.Join(archive, archiveFile(k, n)), files.get(k), perm); err != nil {
			return 0, err
		}
	}
	if err := s.switchLive(name, n); err != nil {
		return 0, err
	}
	return n, nil
}

func (s *Store) switchLive(name string, n int) error {
	for _, k := range kinds {
		if err := s.step("live " + k); err != nil {
			return err
		}
		target := filepath.Join("..", "..", "archive", name, archiveFile(k, n))
		if err := symlink(target, s.path("live", name, k+".pem")); err != nil {
			return err
		}
	}
	return nil
}

func archiveFile(kind string, n int) string { return kind + strconv.Itoa(n) + ".pem" }

var archiveName = regexp.MustCompile(`^(privkey|cert|chain|fullchain)([1-9][0-9]*)\.pem$`)

// nextVersion is one past the highest number in archive/, so a version
// left partial by a crash is never reused or overwritten.
func (s *Store) nextVersion(name string) (int, error) {
	entries, err := os.ReadDir(s.path("archive", name))
	if err != nil {
		return 0, fmt.Errorf("listing archive of %s: %w", name, err)
	}
	high := 0
	for _, e := range entries {
		if m := archiveName.FindStringSubmatch(e.Name()); m != nil {
			v, _ := strconv.Atoi(m[2])
			high = max(high, v)
		}
	}
	return high + 1, nil
}

// liveVersions returns the version each live link points at (0 if absent).
func (s *Store) liveVersions(name string) (map[string]int, error) {
	out := map[string]int{}
	for _, k := range kinds {
		target, err := os.Readlink(s.path("live", name, k+".pem"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading link %s/%s.pem: %w", name, k, err)
		}
		m := archiveName.FindStringSubmatch(filepath.Base(target))
		if m == nil || m[1] != k {
			return nil, fmt.Errorf("live/%s/%s.pem points at %s, not into archive", name, k, target)
		}
		out[k], _ = strconv.Atoi(m[2])
	}
	return out, nil
}

// Current returns the live version of a lineage and its files. When a crash
// stopped a switch half way, the links disagree; the newest linked version
// was complete in archive/ before any link moved, so it is the one read.
func (s *Store) Current(name string) (int, Files, error) {
	if err := checkName("certificate name", name); err != nil {
		return 0, Files{}, err
	}
	vs, err := s.liveVersions(name)
	if err != nil {
		return 0, Files{}, err
	}
	n := 0
	for _, v := range vs {
		n = max(n, v)
	}
	if n == 0 {
		return 0, Files{}, core.Errorf(core.ErrNotFound, "no certificate named %s", name)
	}
	var f Files
	for _, k := range kinds {
		b, err := os.ReadFile(s.path("archive", name, archiveFile(k, n)))
		if err != nil {
			return 0, Files{}, fmt.Errorf("reading %s version %d: %w", name, n, err)
		}
		f.set(k, b)
	}
	return n, f, nil
}

// Repair finishes a half-done switch by pointing every live link at the
// version Current reads. Callers hold the lock.
func (s *Store) Repair(name string) error {
	n, _, err := s.Current(name)
	if err != nil {
		return err
	}
	vs, err := s.liveVersions(name)
	if err != nil {
		return err
	}
	for _, k := range kinds {
		if vs[k] != n {
			return s.switchLive(name, n)
		}
	}
	return nil
}

// LivePath is the path of a live link: kind is cert, chain, fullchain or
// privkey.
func (s *Store) LivePath(name, kind string) string {
	return s.path("live", name, kind+".pem")
}

// LineageDir is live/<name>, what deploy hooks get as RENEWED_LINEAGE.
func (s *Store) LineageDir(name string) string { return s.path("live", name) }

// Delete removes a lineage: its renewal files, live links and archive.
func (s *Store) Delete(name string) error {
	if err := checkName("certificate name", name); err != nil {
		return err
	}
	for _, p := range []string{s.confPath(name), s.statePath(name)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deleting %s: %w", p, err)
		}
	}
	for _, p := range []string{s.path("live", name), s.path("archive", name)} {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("deleting %s: %w", p, err)
		}
	}
	return nil
}
