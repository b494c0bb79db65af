package ca

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writeMode says whether writeFileAtomic may replace an existing file.
type writeMode int

const (
	noClobber writeMode = iota // keys and CA certificates: never replace
	replace                    // roots.pem, manifest, the API's TLS files
)

// writeFileAtomic writes data to path so that a reader (or a crash) sees
// either no file or the whole file: a temp file created with O_EXCL, synced,
// then moved into place, and the directory synced. With noClobber the move
// is a hard link, which fails rather than replacing a file another process
// created in the meantime; rename would silently overwrite it.
func writeFileAtomic(path string, data []byte, perm fs.FileMode, mode writeMode) error {
	dir := filepath.Dir(path)
	tmp, err := createTemp(dir, filepath.Base(path), perm)
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // a no-op once moved
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmpName, err)
	}
	if mode == noClobber {
		err = os.Link(tmpName, path)
	} else {
		err = os.Rename(tmpName, path)
	}
	if err != nil {
		return fmt.Errorf("moving %s into place: %w", path, err)
	}
	return syncDir(dir)
}

// createTemp opens a new file beside the target with O_EXCL and perm, so a
// key is never readable by others even for a moment.
func createTemp(dir, base string, perm fs.FileMode) (*os.File, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("naming a temp file: %w", err)
	}
	name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:]))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// readOptional reads path, returning nil data and no error if it is absent.
func readOptional(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// ensureDir creates dir with perm, or tightens an existing one to perm.
func ensureDir(dir string, perm fs.FileMode) error {
	if err := os.MkdirAll(dir, perm); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, perm); err != nil {
		return fmt.Errorf("setting permissions of %s: %w", dir, err)
	}
	return nil
}
