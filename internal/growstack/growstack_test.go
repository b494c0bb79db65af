package growstack

import (
	"runtime"
	"sync"
	"testing"
)

// TestGrowReservesStack parks goroutines that called Grow and checks the
// stack memory in use grew by about Size for each: a compiler that
// dropped the large frame would leave them at their small starting size.
func TestGrowReservesStack(t *testing.T) {
	const n = 64
	tests := []struct {
		name    string
		grow    bool
		minEach uint64 // bytes of stack each parked goroutine must hold
		maxEach uint64
	}{
		{name: "without Grow", grow: false, minEach: 0, maxEach: Size / 2},
		{name: "with Grow", grow: true, minEach: Size * 3 / 4, maxEach: 1 << 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			before := ms.StackInuse
			var started, release sync.WaitGroup
			release.Add(1)
			started.Add(n)
			for range n {
				go func() {
					if tc.grow {
						Grow()
					}
					started.Done()
					release.Wait()
				}()
			}
			started.Wait()
			runtime.ReadMemStats(&ms)
			each := (ms.StackInuse - min(ms.StackInuse, before)) / n
			release.Done()
			if each < tc.minEach || each > tc.maxEach {
				t.Errorf("got %d bytes of stack per goroutine, want between %d and %d", each, tc.minEach, tc.maxEach)
			}
		})
	}
}
