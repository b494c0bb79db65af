package loadgen

import (
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// Report is the outcome of a run. Started = Succeeded + Failed + Aborted,
// and the Errors counts add up to Failed.
type Report struct {
	DirectoryURL string             `json:"directory_url"`
	Challenge    acme.ChallengeType `json:"challenge"`
	KeyType      KeyType            `json:"key_type"`
	Concurrency  int                `json:"concurrency"`
	// Rate is the cap on flow starts per second; 0 means none.
	Rate    float64       `json:"rate_per_second,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns"`

	Started   int `json:"flows_started"`
	Succeeded int `json:"flows_succeeded"`
	Failed    int `json:"flows_failed"`
	// Aborted flows were in flight when the time bound ended the run.
	Aborted int `json:"flows_aborted"`
	Names   int `json:"names_issued"`
	// IssuancesPerSecond is Succeeded over Elapsed.
	IssuancesPerSecond float64 `json:"issuances_per_second"`

	Latency map[Step]Latency `json:"latency"`
	// Errors counts failed flows by ACME problem type, or "transport" and
	// the like when there was no problem document.
	Errors   map[string]int `json:"errors"`
	Timeline []Second       `json:"timeline"`
}

// Second is one row of the time series.
type Second struct {
	Second    int           `json:"second"`
	Completed int           `json:"completed"`
	Errors    int           `json:"errors"`
	P50       time.Duration `json:"p50_ns"`
}

// report summarises what r collected.
func (r *recorder) report(cfg Config, started int, elapsed time.Duration) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &Report{
		DirectoryURL: cfg.DirectoryURL, Challenge: cfg.Challenge, KeyType: cfg.KeyType,
		Concurrency: cfg.Concurrency, Rate: cfg.Rate, Elapsed: elapsed,
		Started: started, Succeeded: r.ok, Failed: r.failed, Aborted: r.aborted, Names: r.names,
		Latency: map[Step]Latency{}, Errors: map[string]int{}, Timeline: []Second{},
	}
	if elapsed > 0 {
		rep.IssuancesPerSecond = float64(r.ok) / elapsed.Seconds()
	}
	for s, samples := range r.steps {
		rep.Latency[s] = Summarize(append([]time.Duration(nil), samples...))
	}
	for k, n := range r.errors {
		rep.Errors[k] = n
	}
	for i, s := range r.timeline {
		rep.Timeline = append(rep.Timeline, Second{
			Second: i, Completed: s.completed, Errors: s.errors,
			P50: Summarize(append([]time.Duration(nil), s.flows...)).P50,
		})
	}
	return rep
}
