package loadgen

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarry-ca/quarry/client"
)

// Deps are Run's collaborators; zero values take the real ones.
type Deps struct {
	Now    func() time.Time // default time.Now
	Rand   io.Reader        // for names; default crypto/rand
	Lookup LookupFunc       // for the loopback check; default the system resolver
	Log    *slog.Logger     // failed flows at debug level; default discards
	// Progress, when set, is called every ProgressEvery (default 5s) while
	// the run lasts, with the time since the start and the flows so far.
	Progress      func(elapsed time.Duration, succeeded, failed int)
	ProgressEvery time.Duration
}

func (d Deps) withDefaults() Deps {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.ProgressEvery <= 0 {
		d.ProgressEvery = 5 * time.Second
	}
	return d
}

// Run drives cfg.Concurrency subscribers through flows until cfg.Flows have
// been started and finished or cfg.Duration has passed, whichever is first,
// answering challenges with resp. Flows still running when the time bound
// ends are cut short and counted as aborted. Run returns an error only
// when the run could not start; failed flows are in the report.
func Run(ctx context.Context, cfg Config, resp *Responders, deps Deps) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg, deps = cfg.withDefaults(), deps.withDefaults()
	if err := CheckLoopback(ctx, cfg.DirectoryURL, deps.Lookup); err != nil {
		return nil, err
	}
	if err := resp.check(cfg.Challenge); err != nil {
		return nil, err
	}
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if cfg.Duration > 0 {
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
	}
	defer cancel()

	start := deps.Now()
	rec := newRecorder(start)
	httpClient := newHTTPClient(cfg)
	defer httpClient.CloseIdleConnections()
	var started atomic.Int64
	var wg sync.WaitGroup
	pace := newPacer(start, cfg.Rate, deps.Now)
	for range cfg.Concurrency {
		s := &subscriber{cfg: cfg, http: httpClient, resp: resp, rec: rec, rand: deps.Rand, now: deps.Now, pace: pace}
		wg.Go(func() { s.loop(runCtx, &started, rec, deps.Log) })
	}
	stopProgress := rec.progress(deps)
	wg.Wait()
	stopProgress()
	return rec.report(cfg, int(started.Load()), deps.Now().Sub(start)), nil
}

// progress calls deps.Progress periodically until the returned func is
// called.
func (r *recorder) progress(deps Deps) func() {
	if deps.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(deps.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.mu.Lock()
				ok, failed := r.ok, r.failed
				r.mu.Unlock()
				deps.Progress(deps.Now().Sub(r.start), ok, failed)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// flowTimeout ends a flow stuck on a server that keeps it pending, so a run
// bounded only by count still ends.
const flowTimeout = 2 * time.Minute

// loop runs flows until the run ends or no flow is left to start.
func (s *subscriber) loop(ctx context.Context, started *atomic.Int64, rec *recorder, log *slog.Logger) {
	for ctx.Err() == nil {
		if n := started.Add(1); s.cfg.Flows > 0 && n > int64(s.cfg.Flows) {
			started.Add(-1)
			return
		}
		if !s.pace.wait(ctx) {
			started.Add(-1)
			return
		}
		begin := s.now()
		fctx, cancel := context.WithTimeout(ctx, flowTimeout)
		names, err := s.flow(fctx)
		timedOut := fctx.Err() != nil
		cancel()
		end := s.now()
		switch {
		case err == nil:
			rec.success(end, end.Sub(begin), names)
		case ctx.Err() != nil:
			rec.abort()
		case timedOut:
			rec.failure(end, "flow timed out")
		default:
			kind := errorKind(err)
			log.DebugContext(ctx, "flow failed", slog.String("kind", kind), slog.String("error", err.Error()))
			rec.failure(end, kind)
		}
	}
}

// errorKind names a failure for the report: the ACME problem type when the
// server sent one.
func errorKind(err error) string {
	var ae *client.Error
	var nl *NotLoopbackError
	var ue *url.Error
	var ne net.Error
	switch {
	case errors.As(err, &ae) && ae.Problem.Type != "":
		return string(ae.Problem.Type)
	case errors.As(err, &ae) && ae.StatusCode != 0:
		return "http " + strconv.Itoa(ae.StatusCode) + " without a problem document"
	case errors.As(err, &ae):
		return "object ended invalid without a problem"
	case errors.As(err, &nl):
		return "refused: not loopback"
	case errors.As(err, &ue), errors.As(err, &ne):
		return "transport"
	}
	return "client"
}
