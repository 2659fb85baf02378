package nn

import (
	"runtime"
	"sync"
)

// The worker pool: GOMAXPROCS−1 goroutines, started on first use, that
// run blocks of split Gemm calls and ranges of parallelFor loops. The
// caller of a split always computes the last part itself. Work is passed
// by value over a channel and completion through pooled WaitGroups, so a
// warm split allocates nothing. Splits never change the arithmetic of an
// output element, so results do not depend on the number of workers.

// gemmJob is one split Gemm call shared by its tasks.
type gemmJob struct {
	g  gemmArgs
	wg sync.WaitGroup
}

var jobPool = sync.Pool{New: func() any { return new(gemmJob) }}

var wgPool = sync.Pool{New: func() any { return new(sync.WaitGroup) }}

// task is one block of a split Gemm (job != nil) or one range [i0, i1) of
// a parallelFor (fn != nil).
type task struct {
	job            *gemmJob
	i0, i1, j0, j1 int
	fn             func(lo, hi int)
	wg             *sync.WaitGroup
}

var (
	poolOnce sync.Once
	poolCh   chan task
)

// workers returns the channel of the pool, starting it on first use. Each
// worker owns its Gemm packing scratch.
func workers() chan<- task {
	poolOnce.Do(func() {
		n := max(1, runtime.GOMAXPROCS(0)-1)
		poolCh = make(chan task, 4*n)
		for range n {
			go worker(poolCh)
		}
	})
	return poolCh
}

func worker(ch <-chan task) {
	s := &gemmScratch{
		pa: make([]float32, gemmMC*gemmKC),
		pb: make([]float32, gemmKC*gemmNC),
	}
	for t := range ch {
		if t.fn != nil {
			t.fn(t.i0, t.i1)
			t.wg.Done()
			continue
		}
		t.job.g.run(s, t.i0, t.i1, t.j0, t.j1)
		t.job.wg.Done()
	}
}

// parallelFor calls fn on consecutive ranges covering [0, n), in parallel
// when n·cost (roughly the float operations of the whole loop) is large
// enough to pay for it. The ranges must be independent. fn should be a
// value created once (e.g. a method value stored in a struct) so that the
// call allocates nothing.
func parallelFor(n, cost int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 || n*cost < 1<<16 {
		fn(0, n)
		return
	}
	wg := wgPool.Get().(*sync.WaitGroup)
	pool := workers()
	step := (n + w - 1) / w
	lo := 0
	for ; lo+step < n; lo += step {
		wg.Add(1)
		pool <- task{i0: lo, i1: lo + step, fn: fn, wg: wg}
	}
	fn(lo, n)
	wg.Wait()
	wgPool.Put(wg)
}
