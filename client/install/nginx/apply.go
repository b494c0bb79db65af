package nginx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/quarry-ca/quarry/client/store"
)

// BackupSuffix names the copy of a file made before mason changes it.
const BackupSuffix = ".mason-bak"

// commandTimeout bounds nginx -t and a reload.
const commandTimeout = time.Minute

// Nginx runs the nginx binary that serves a configuration.
type Nginx struct {
	Bin  string // the nginx binary; "" means nginx on PATH
	Conf string // the main configuration file
	// Reload is a shell command that reloads nginx; "" means
	// `Bin -c Conf -s reload`.
	Reload string
	// BackupDir holds backups that would otherwise sit where an include
	// glob would read them as configuration (sites-enabled/*).
	BackupDir string
}

func (n *Nginx) bin() string {
	if n.Bin == "" {
		return "nginx"
	}
	return n.Bin
}

// Test runs nginx -t on the configuration; the error is nginx's own
// complaint.
func (n *Nginx) Test(ctx context.Context) error {
	out, err := n.run(ctx, n.bin(), "-t", "-c", n.Conf)
	if err != nil {
		return fmt.Errorf("nginx -t refused the configuration: %s", complaint(out, err))
	}
	return nil
}

// ReloadNginx tells the running nginx to read its configuration again.
func (n *Nginx) ReloadNginx(ctx context.Context) error {
	var out string
	var err error
	if n.Reload != "" {
		out, err = n.run(ctx, "/bin/sh", "-c", n.Reload)
	} else {
		out, err = n.run(ctx, n.bin(), "-c", n.Conf, "-s", "reload")
	}
	if err != nil {
		return fmt.Errorf("reloading nginx failed: %s", complaint(out, err))
	}
	return nil
}

func (n *Nginx) run(ctx context.Context, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// complaint picks nginx's error line ("[emerg] …") from its output.
func complaint(out string, err error) string {
	var last string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if strings.Contains(l, "[emerg]") || strings.Contains(l, "[alert]") || strings.Contains(l, "[crit]") || strings.Contains(l, "[error]") {
			return strings.TrimPrefix(l, "nginx: ")
		}
		if l != "" {
			last = l
		}
	}
	if last != "" {
		return last
	}
	return err.Error()
}

// Commit is a set of written files that can be put back.
type Commit struct {
	n     *Nginx
	files []*SourceFile
	prev  [][]byte // each file's bytes before the commit
}

// Files are the paths the commit wrote.
func (c *Commit) Files() []string {
	out := make([]string, len(c.files))
	for i, f := range c.files {
		out[i] = f.Real
	}
	return out
}

// Apply writes every changed file of cfg (each backed up first as
// FILE.mason-bak), checks the result with nginx -t and reloads nginx. If
// a write fails or nginx -t refuses the result, every file is restored
// byte for byte and the error says why. A failed reload leaves the
// checked files in place. With nothing changed it does nothing.
func (n *Nginx) Apply(ctx context.Context, cfg *Config) (*Commit, error) {
	c := &Commit{n: n}
	for _, f := range cfg.Changed() {
		c.files = append(c.files, f)
		c.prev = append(c.prev, f.Orig)
	}
	if len(c.files) == 0 {
		return c, nil
	}
	for i, f := range c.files {
		if err := n.backup(cfg, f); err != nil {
			return nil, c.fail(ctx, i, err)
		}
		data := f.Bytes()
		if err := writeLike(f, data); err != nil {
			return nil, c.fail(ctx, i, err)
		}
		f.Orig = data
	}
	if err := n.Test(ctx); err != nil {
		return nil, c.fail(ctx, len(c.files), err)
	}
	if err := n.ReloadNginx(ctx); err != nil {
		return c, fmt.Errorf("the configuration passed nginx -t and was kept, but %w", err)
	}
	return c, nil
}

// fail restores the first k files and returns err, or the restore's
// failure as well if one could not be put back.
func (c *Commit) fail(ctx context.Context, k int, err error) error {
	if rerr := c.restore(k); rerr != nil {
		return fmt.Errorf("%w; restoring the previous files also failed: %v", err, rerr)
	}
	return fmt.Errorf("%w; every file was restored as it was", err)
}

func (c *Commit) restore(k int) error {
	var errs []error
	for i := 0; i < k; i++ {
		if err := writeLike(c.files[i], c.prev[i]); err != nil {
			errs = append(errs, err)
			continue
		}
		c.files[i].Orig = c.prev[i]
		// The tree keeps the edit; reparse so it matches the disk again.
		if pf, err := Parse(c.prev[i]); err == nil {
			c.files[i].File = pf
		}
	}
	return errors.Join(errs...)
}

// Undo puts every file back as it was before Apply and reloads nginx.
func (c *Commit) Undo(ctx context.Context) error {
	if len(c.files) == 0 {
		return nil
	}
	if err := c.restore(len(c.files)); err != nil {
		return err
	}
	return c.n.ReloadNginx(ctx)
}

// backup copies f's current bytes to FILE.mason-bak, or into BackupDir
// when an include glob of cfg would read FILE.mason-bak as configuration.
func (n *Nginx) backup(cfg *Config, f *SourceFile) error {
	path := f.Real + BackupSuffix
	if cfg.wouldInclude(path) {
		if n.BackupDir == "" {
			return fmt.Errorf("a backup of %s beside it would be read by an include; set a backup directory", f.Real)
		}
		if err := os.MkdirAll(n.BackupDir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", n.BackupDir, err)
		}
		path = filepath.Join(n.BackupDir, strings.ReplaceAll(strings.TrimPrefix(f.Real, "/"), "/", "_")+BackupSuffix)
	}
	if err := store.WriteFileAtomic(path, f.Orig, f.Mode); err != nil {
		return fmt.Errorf("backing up %s: %w", f.Real, err)
	}
	return nil
}

// writeLike writes data over f atomically, keeping its mode and owner.
func writeLike(f *SourceFile, data []byte) error {
	fi, err := os.Stat(f.Real)
	if err != nil {
		return fmt.Errorf("nginx config %s: %w", f.Real, err)
	}
	if err := store.WriteFileAtomic(f.Real, data, fi.Mode().Perm()); err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && (int(st.Uid) != os.Geteuid() || int(st.Gid) != os.Getegid()) {
		_ = os.Lchown(f.Real, int(st.Uid), int(st.Gid))
	}
	return nil
}

// wouldInclude reports whether an include glob of the configuration
// matches path.
func (c *Config) wouldInclude(path string) bool {
	for d := range c.included {
		args := d.Args()
		if len(args) != 1 {
			continue
		}
		p := args[0]
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.Prefix, p)
		}
		if ok, _ := filepath.Match(p, path); ok {
			return true
		}
		// The glob may name the linked path while path is the real one.
		if real, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
			if ok, _ := filepath.Match(filepath.Join(real, filepath.Base(p)), path); ok {
				return true
			}
		}
	}
	return false
}
