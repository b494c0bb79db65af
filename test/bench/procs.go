package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopTimeout is how long a server gets to exit after SIGTERM.
const stopTimeout = 15 * time.Second

// userHZ is the unit of utime and stime in /proc/<pid>/stat; Linux fixes
// it at 100 for user space whatever the kernel's own tick.
const userHZ = 100

// proc is a server process whose resource use is sampled from /proc.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error // Wait's result, read after done is closed

	stopOnce sync.Once
	stopErr  error
}

// startProc starts argv with env added, its output going to logPath.
func startProc(name, logPath string, env []string, argv ...string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating %s's log: %w", name, err)
	}
	p := &proc{name: name, log: f, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after stopTimeout; it returns nil when
// the process exited cleanly on SIGTERM.
func (p *proc) stop() error {
	p.stopOnce.Do(func() {
		defer p.log.Close()
		if p.exited() {
			p.stopErr = fmt.Errorf("%s had already exited: %v", p.name, p.err)
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			if p.err != nil {
				p.stopErr = fmt.Errorf("%s exited on SIGTERM with %w", p.name, p.err)
			}
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.stopErr = fmt.Errorf("%s ignored SIGTERM for %s and was killed", p.name, stopTimeout)
		}
	})
	return p.stopErr
}

// usage is a sample of a process's resource use.
type usage struct {
	CPU     time.Duration // user + system time so far
	PeakRSS int64         // VmHWM in bytes
}

// sample reads the process's CPU time and peak resident set size.
func (p *proc) sample() (usage, error) {
	cpu, err := cpuTime(p.pid())
	if err != nil {
		return usage{}, err
	}
	hwm, err := peakRSS(p.pid())
	if err != nil {
		return usage{}, err
	}
	return usage{CPU: cpu, PeakRSS: hwm}, nil
}

// cpuTime is utime+stime from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading CPU time: %w", err)
	}
	return parseStatCPU(b)
}

// parseStatCPU takes fields 14 and 15 (utime, stime) of a stat line. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat line")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state), so utime (14) is f[11] and stime (15) f[12].
	if len(f) < 13 {
		return 0, errors.New("short /proc stat line")
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc stat field %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// peakRSS is VmHWM from /proc/<pid>/status, in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading peak RSS: %w", err)
	}
	defer f.Close()
	return parseVmHWM(f)
}

func parseVmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed VmHWM line %q", sc.Text())
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// build compiles the named packages of this module into dir.
func build(ctx context.Context, goBin, dir string, pkgs map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for name, pkg := range pkgs {
		bin := filepath.Join(dir, name)
		cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %w\n%s", pkg, err, b)
		}
		out[name] = bin
	}
	return out, nil
}

// freePort returns a loopback TCP port that was free a moment ago; UDP
// is checked too, for the DNS responder.
func freePort() (int, error) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("finding a free port: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, uerr := net.ListenPacket("udp", ln.Addr().String())
		ln.Close()
		if uerr == nil {
			pc.Close()
			return port, nil
		}
	}
	return 0, errors.New("finding a free port: none free for both TCP and UDP")
}
