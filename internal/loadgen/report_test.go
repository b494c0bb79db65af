package loadgen

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRecorderReport(t *testing.T) {
	start := time.Unix(1000, 0)
	r := newRecorder(start)
	r.step(StepOrder, 3*time.Millisecond)
	r.success(start.Add(200*time.Millisecond), 10*time.Millisecond, 2)
	r.success(start.Add(900*time.Millisecond), 30*time.Millisecond, 1)
	r.failure(start.Add(1500*time.Millisecond), "urn:ietf:params:acme:error:badCSR")
	r.success(start.Add(2100*time.Millisecond), 50*time.Millisecond, 1)
	r.abort()
	rep := r.report(Config{Concurrency: 2, Rate: 2.5}.withDefaults(), 5, 2*time.Second)

	if got, want := rep.Succeeded+rep.Failed+rep.Aborted, rep.Started; got != want {
		t.Errorf("got %d succeeded+failed+aborted, want %d started", got, want)
	}
	if rep.Names != 4 || rep.IssuancesPerSecond != 1.5 {
		t.Errorf("got %d names at %.2f/s, want 4 at 1.50/s", rep.Names, rep.IssuancesPerSecond)
	}
	want := []Second{
		{Second: 0, Completed: 2, P50: 10 * time.Millisecond},
		{Second: 1, Errors: 1},
		{Second: 2, Completed: 1, P50: 50 * time.Millisecond},
	}
	if len(rep.Timeline) != len(want) {
		t.Fatalf("got %d seconds, want %d", len(rep.Timeline), len(want))
	}
	for i := range want {
		if rep.Timeline[i] != want[i] {
			t.Errorf("got second %d %+v, want %+v", i, rep.Timeline[i], want[i])
		}
	}
	var csv bytes.Buffer
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	wantCSV := "second,completed,errors,p50_ms\n0,2,0,10.000\n1,0,1,0.000\n2,1,0,50.000\n"
	if csv.String() != wantCSV {
		t.Errorf("got CSV\n%s\nwant\n%s", csv.String(), wantCSV)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"1.50 issuances/s", "flow", "order", "badCSR", "5 started, 3 succeeded, 1 failed, 1 cut short", "at most 2.50 flow starts/s"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("got table\n%s\nwant it to contain %q", table.String(), s)
		}
	}
}
