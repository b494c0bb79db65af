package loadgen

import (
	"sync"
	"time"
)

// Step names a measured part of a flow.
type Step string

const (
	StepAccount  Step = "account"
	StepOrder    Step = "order"
	StepAuthz    Step = "authz" // authorizations, challenge answered and validated
	StepFinalize Step = "finalize"
	StepDownload Step = "download"
	StepRevoke   Step = "revoke"
	StepFlow     Step = "flow" // the whole flow, from its first request to its last
)

// Steps is the order steps are reported in.
func Steps() []Step {
	return []Step{StepAccount, StepOrder, StepAuthz, StepFinalize, StepDownload, StepRevoke, StepFlow}
}

// second is one second of the run's time series.
type second struct {
	completed int
	errors    int
	flows     []time.Duration
}

// recorder collects samples from every subscriber.
type recorder struct {
	start time.Time

	mu       sync.Mutex
	steps    map[Step][]time.Duration
	errors   map[string]int
	ok       int
	failed   int
	aborted  int
	names    int
	timeline []second
}

func newRecorder(start time.Time) *recorder {
	return &recorder{start: start, steps: map[Step][]time.Duration{}, errors: map[string]int{}}
}

func (r *recorder) step(s Step, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps[s] = append(r.steps[s], d)
}

// slot returns the time series entry for the second holding t.
func (r *recorder) slot(t time.Time) *second {
	i := max(int(t.Sub(r.start)/time.Second), 0)
	for len(r.timeline) <= i {
		r.timeline = append(r.timeline, second{})
	}
	return &r.timeline[i]
}

func (r *recorder) success(end time.Time, d time.Duration, names int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ok++
	r.names += names
	r.steps[StepFlow] = append(r.steps[StepFlow], d)
	s := r.slot(end)
	s.completed++
	s.flows = append(s.flows, d)
}

func (r *recorder) failure(end time.Time, kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	r.errors[kind]++
	r.slot(end).errors++
}

// abort counts a flow cut short by the end of the run: not an error.
func (r *recorder) abort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aborted++
}
