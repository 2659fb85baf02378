package tsne

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// chunk is the number of points one task covers. Work is cut into
// fixed chunks whatever the number of workers, and every chunk writes
// only its own outputs, so results do not depend on scheduling.
const chunk = 64

// parallel calls f(lo, hi) for consecutive ranges of at most size items
// covering [0, n), on up to workers goroutines (the caller's included).
func parallel(n, size, workers int, f func(lo, hi int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	tasks := (n + size - 1) / size
	workers = min(workers, tasks)
	if workers <= 1 {
		for lo := 0; lo < n; lo += size {
			f(lo, min(lo+size, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	run := func() {
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				return
			}
			lo := t * size
			f(lo, min(lo+size, n))
		}
	}
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() { defer wg.Done(); run() }()
	}
	run()
	wg.Wait()
}

// sumOrdered adds xs from first to last, so the rounding is the same
// however the xs were computed.
func sumOrdered(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}
