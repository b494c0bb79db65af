package nginx

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
)

// maxIncludeDepth bounds nested includes, so a file that includes itself
// is an error rather than a loop.
const maxIncludeDepth = 32

// SourceFile is one file of a configuration, as read.
type SourceFile struct {
	*File
	Path string // as nginx opens it
	Real string // symlinks resolved: where writes go
	Orig []byte // the bytes read (or last written)
	Mode fs.FileMode
	// includes counts the include directives that name the file: a file
	// included twice is shared, and mason does not edit shared files.
	includes int
}

// Changed reports whether the file's tree no longer serializes to what
// was read.
func (f *SourceFile) Changed() bool { return string(f.Bytes()) != string(f.Orig) }

// Config is a main configuration file and every file it includes.
type Config struct {
	Main   *SourceFile
	Prefix string // the main file's directory: relative includes start there
	Files  []*SourceFile
	byReal map[string]*SourceFile
	// included maps an include directive to the files its glob matched.
	included map[*Directive][]*SourceFile
}

// Load reads the main configuration file at path and every file its
// include directives name. Like nginx, a relative include is resolved
// against the main file's directory and a glob that matches nothing is not
// an error, while a plain path that does not exist is.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("nginx config %s: %w", path, err)
	}
	c := &Config{Prefix: filepath.Dir(abs), byReal: map[string]*SourceFile{}, included: map[*Directive][]*SourceFile{}}
	c.Main, err = c.read(abs)
	if err != nil {
		return nil, err
	}
	c.Main.includes = 1
	if err := c.resolve(c.Main, &c.Main.Block, 0); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) read(path string) (*SourceFile, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("nginx config %s: %w", path, err)
	}
	if f, ok := c.byReal[real]; ok {
		return f, nil
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("nginx config %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, core.Errorf(core.ErrMalformed, "nginx config %s is not a regular file", path)
	}
	b, err := os.ReadFile(real)
	if err != nil {
		return nil, fmt.Errorf("nginx config %s: %w", path, err)
	}
	pf, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &SourceFile{File: pf, Path: path, Real: real, Orig: b, Mode: fi.Mode().Perm()}
	c.byReal[real] = f
	c.Files = append(c.Files, f)
	return f, nil
}

// resolve reads the files every include in b names, at any depth.
func (c *Config) resolve(f *SourceFile, b *Block, depth int) error {
	if depth > maxIncludeDepth {
		return core.Errorf(core.ErrMalformed, "%s: includes nest deeper than %d; is a file including itself?", f.Path, maxIncludeDepth)
	}
	for _, d := range b.Directives {
		if d.Block != nil {
			if err := c.resolve(f, d.Block, depth); err != nil {
				return err
			}
			continue
		}
		if d.Name() != "include" {
			continue
		}
		args := d.Args()
		if len(args) != 1 {
			return core.Errorf(core.ErrMalformed, "%s: include takes one path, got %d", f.Path, len(args))
		}
		files, err := c.include(args[0])
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		c.included[d] = files
		for _, inc := range files {
			inc.includes++
			if err := c.resolve(inc, &inc.Block, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Config) include(pattern string) ([]*SourceFile, error) {
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(c.Prefix, pattern)
	}
	var paths []string
	if strings.ContainsAny(pattern, "*?[") {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return nil, core.Errorf(core.ErrMalformed, "include %s: %v", pattern, err)
		}
		paths = m // sorted, as glob(3) sorts for nginx
	} else {
		paths = []string{pattern}
	}
	var out []*SourceFile
	for _, p := range paths {
		f, err := c.read(p)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// each calls fn for every directive of b, in order, descending into the
// files b's include directives name but not into nested blocks. f is the
// file holding b.
func (c *Config) each(f *SourceFile, b *Block, fn func(f *SourceFile, parent *Block, d *Directive)) {
	for _, d := range b.Directives {
		if d.Block == nil && d.Name() == "include" {
			for _, inc := range c.included[d] {
				c.each(inc, &inc.Block, fn)
			}
			continue
		}
		fn(f, b, d)
	}
}

// Servers lists the server blocks of the http context, in the order nginx
// reads them.
func (c *Config) Servers() []*Server {
	var out []*Server
	c.each(c.Main, &c.Main.Block, func(f *SourceFile, _ *Block, d *Directive) {
		if d.Name() != "http" || d.Block == nil {
			return
		}
		c.each(f, d.Block, func(f *SourceFile, _ *Block, d *Directive) {
			if d.Name() == "server" && d.Block != nil {
				out = append(out, c.server(f, d, len(out)))
			}
		})
	})
	return out
}

// Changed lists the files that changed since they were read or last written.
func (c *Config) Changed() []*SourceFile {
	var out []*SourceFile
	for _, f := range c.Files {
		if f.Changed() {
			out = append(out, f)
		}
	}
	return out
}
