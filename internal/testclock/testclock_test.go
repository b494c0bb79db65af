package testclock

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := New(start)
	steps := []struct {
		name string
		move func()
		want time.Time
	}{
		{"stands still", func() {}, start},
		{"Add", func() { c.Add(90 * time.Second) }, start.Add(90 * time.Second)},
		{"Add backwards", func() { c.Add(-30 * time.Second) }, start.Add(time.Minute)},
		{"Set", func() { c.Set(start.Add(time.Hour)) }, start.Add(time.Hour)},
	}
	for _, s := range steps {
		s.move()
		if got := c.Now(); !got.Equal(s.want) {
			t.Errorf("%s: got %v, want %v", s.name, got, s.want)
		}
	}
}
