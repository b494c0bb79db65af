package loadgen

import (
	"testing"
	"time"
)

func ds(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{name: "empty", samples: nil, p: 50, want: 0},
		{name: "one sample p50", samples: ds(7), p: 50, want: 7 * time.Millisecond},
		{name: "one sample p99", samples: ds(7), p: 99, want: 7 * time.Millisecond},
		{name: "two samples p50 is the lower", samples: ds(1, 2), p: 50, want: 1 * time.Millisecond},
		{name: "two samples p51 is the upper", samples: ds(1, 2), p: 51, want: 2 * time.Millisecond},
		{name: "four samples p50", samples: ds(1, 2, 3, 4), p: 50, want: 2 * time.Millisecond},
		{name: "four samples p90", samples: ds(1, 2, 3, 4), p: 90, want: 4 * time.Millisecond},
		{name: "hundred p50", samples: ds(hundred...), p: 50, want: 50 * time.Millisecond},
		{name: "hundred p90", samples: ds(hundred...), p: 90, want: 90 * time.Millisecond},
		{name: "hundred p99", samples: ds(hundred...), p: 99, want: 99 * time.Millisecond},
		{name: "hundred p100", samples: ds(hundred...), p: 100, want: 100 * time.Millisecond},
		{name: "tiny p clamps to the first", samples: ds(3, 5, 9), p: 0.0001, want: 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		want    Latency
	}{
		{name: "empty", want: Latency{}},
		{name: "unsorted ten", samples: ds(10, 1, 9, 2, 8, 3, 7, 4, 6, 5), want: Latency{
			Count: 10, P50: 5 * time.Millisecond, P90: 9 * time.Millisecond, P99: 10 * time.Millisecond, Max: 10 * time.Millisecond,
		}},
		{name: "one outlier", samples: ds(1, 1, 1, 1, 1, 1, 1, 1, 1, 500), want: Latency{
			Count: 10, P50: time.Millisecond, P90: time.Millisecond, P99: 500 * time.Millisecond, Max: 500 * time.Millisecond,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarize(tt.samples); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
