package eval

import (
	"fmt"
	"runtime"
	"sync"
)

// Similarity computes the na×nb matrix a·bᵀ of dot products between the
// rows of a (na×d, row-major) and the rows of b (nb×d, row-major), the
// similarity matrix Evaluate expects when a holds image embeddings and b
// text embeddings (cosine similarity when both are L2-normalised).
//
// The result is written to dst[:na*nb] when dst has the capacity, else
// to a new slice, and returned. Each entry is computed independently, so
// results do not depend on the number of goroutines used; large products
// are split over GOMAXPROCS goroutines.
//
// Similarity panics if len(a) != na*d, len(b) != nb*d or a size is
// negative: those are programming errors, not bad data.
func Similarity(dst []float32, a []float32, na int, b []float32, nb int, d int) []float32 {
	if na < 0 || nb < 0 || d < 0 {
		panic(fmt.Sprintf("eval: Similarity: negative size na=%d nb=%d d=%d", na, nb, d))
	}
	if len(a) != na*d || len(b) != nb*d {
		panic(fmt.Sprintf("eval: Similarity: len(a)=%d, want na×d=%d; len(b)=%d, want nb×d=%d", len(a), na*d, len(b), nb*d))
	}
	n := na * nb
	if cap(dst) >= n {
		dst = dst[:n]
	} else {
		dst = make([]float32, n)
	}
	if n == 0 {
		return dst
	}
	workers := runtime.GOMAXPROCS(0)
	if workers > na {
		workers = na
	}
	if workers <= 1 || float64(na)*float64(nb)*float64(d) < 1<<20 {
		simRows(dst, a, 0, na, b, nb, d)
		return dst
	}
	var wg sync.WaitGroup
	per := (na + workers - 1) / workers
	for lo := 0; lo < na; lo += per {
		hi := min(lo+per, na)
		wg.Go(func() { simRows(dst, a, lo, hi, b, nb, d) })
	}
	wg.Wait()
	return dst
}

// simRows fills rows lo…hi-1 of dst. The rows of b are visited in blocks
// of about 32 KiB so a block stays in cache while every row of a passes
// over it.
func simRows(dst, a []float32, lo, hi int, b []float32, nb, d int) {
	bs := 1
	if d > 0 {
		bs = max(1, (32<<10)/(4*d))
	}
	for j0 := 0; j0 < nb; j0 += bs {
		j1 := min(j0+bs, nb)
		for i := lo; i < hi; i++ {
			ai := a[i*d : (i+1)*d]
			out := dst[i*nb+j0 : i*nb+j1]
			for jj := range out {
				j := j0 + jj
				out[jj] = dot(ai, b[j*d:(j+1)*d])
			}
		}
	}
}

// dot returns Σ x[t]·y[t] with four independent accumulators.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	t := 0
	for ; t+4 <= len(x); t += 4 {
		s0 += x[t] * y[t]
		s1 += x[t+1] * y[t+1]
		s2 += x[t+2] * y[t+2]
		s3 += x[t+3] * y[t+3]
	}
	for ; t < len(x); t++ {
		s0 += x[t] * y[t]
	}
	return (s0 + s1) + (s2 + s3)
}
