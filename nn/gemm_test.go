package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// naiveGemm is the textbook triple loop in float64, the reference for Gemm.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			old := float64(0)
			if beta != 0 {
				old = float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(float64(alpha)*s + old)
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

var kernelNames = func() map[gemmKernel]string {
	m := map[gemmKernel]string{kernelPure: "pure", kernelGonum: "gonum"}
	if haveAVX {
		m[kernelAVX] = "avx"
	}
	return m
}()

func TestGemm(t *testing.T) {
	for kern, name := range kernelNames {
		t.Run(name, func(t *testing.T) { testGemm(t, kern) })
	}
}

func testGemm(t *testing.T, kern gemmKernel) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{
		{1, 1, 1}, {3, 5, 7}, {4, 4, 4}, {5, 9, 3}, {17, 13, 300},
		{64, 70, 33}, {130, 7, 513}, {7, 1100, 20}, {100, 100, 100},
		{2, 3000, 130}, {300, 5, 90}, {0, 3, 4}, {3, 0, 4}, {3, 4, 0},
	}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
					alpha, beta := ab[0], ab[1]
					// padded leading dimensions exercise the strides
					lda, ldb, ldc := k+3, n+2, n+1
					ar, br := m, k
					if ta {
						lda, ar = m+2, k
					}
					if tb {
						ldb, br = k+1, n
					}
					a := randSlice(rng, ar*lda)
					b := randSlice(rng, br*ldb)
					c := randSlice(rng, m*ldc)
					if beta == 0 {
						for i := range c {
							c[i] = float32(math.NaN()) // must be ignored
						}
					}
					want := append([]float32(nil), c...)
					naiveGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
					gemmWith(kern, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					for i := range m {
						for j := range n {
							g, w := c[i*ldc+j], want[i*ldc+j]
							if d := math.Abs(float64(g - w)); d > 1e-4*math.Sqrt(float64(k))*(1+math.Abs(float64(w))) || math.IsNaN(float64(g)) {
								t.Fatalf("m=%d n=%d k=%d tA=%v tB=%v α=%v β=%v: C[%d,%d]=%v want %v", m, n, k, ta, tb, alpha, beta, i, j, g, w)
							}
						}
					}
					// padding columns of C are untouched
					for i := range m {
						for j := n; j < ldc; j++ {
							if c[i*ldc+j] != want[i*ldc+j] && !(math.IsNaN(float64(c[i*ldc+j])) && math.IsNaN(float64(want[i*ldc+j]))) {
								t.Fatalf("padding of C overwritten at [%d,%d]", i, j)
							}
						}
					}
				}
			}
		}
	}
}

// TestGemmDeterministic checks that a parallel Gemm gives bit-identical
// results to a serial one (splits never cut k).
func TestGemmDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for kern, name := range kernelNames {
		for _, sz := range [][3]int{{64, 1000, 300}, {1000, 64, 300}} {
			m, n, k := sz[0], sz[1], sz[2]
			a, b := randSlice(rng, m*k), randSlice(rng, k*n)
			c1 := make([]float32, m*n)
			gemmWith(kern, false, false, m, n, k, 1, a, k, b, n, 0, c1, n)
			g := gemmArgs{kern, false, false, m, n, k, 1, a, k, b, n, 0, make([]float32, m*n), n}
			s := getScratch()
			g.run(s, 0, m, 0, n)
			putScratch(s)
			for i := range c1 {
				if c1[i] != g.c[i] {
					t.Fatalf("%s %v: parallel and serial Gemm differ at %d: %v vs %v", name, sz, i, c1[i], g.c[i])
				}
			}
		}
	}
}

// gemmBenchSizes are the products of the CNN in this project (im2col
// layouts both ways) and of its dense heads: m×n×k.
var gemmBenchSizes = [][3]int{
	{16384, 32, 288}, // batch·H·W × outC × inC·k·k (NHWC layout)
	{4096, 64, 576},
	{128, 256, 512},  // Linear
	{32, 16384, 144}, // outC × batch·H·W × inC·k·k (our NCHW layout)
	{64, 4096, 288},
	{16, 65536, 36},
	{32, 144, 16384}, // conv weight gradient: outC × inC·k·k × batch·H·W (NT)
}

// BenchmarkGemm compares, on the same products: "nn" (Gemm as shipped for
// this platform), "pure" (the pure-Go kernel on the worker pool), "gonumtile"
// (gonum's serial Sgemm per tile on the worker pool) and "blas32" (gonum's
// own Sgemm with its own goroutines). Suffixes NT and TN mark transposed
// operands (as in Linear and the backward passes).
func BenchmarkGemm(b *testing.B) {
	for _, sz := range gemmBenchSizes {
		m, n, k := sz[0], sz[1], sz[2]
		rng := rand.New(rand.NewPCG(1, 1))
		a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		for _, tr := range []string{"NN", "NT", "TN"} {
			switch {
			case sz == [3]int{32, 144, 16384}:
				if tr != "NT" {
					continue
				}
			case tr != "NN" && sz != [3]int{128, 256, 512} && sz != [3]int{64, 4096, 288}:
				continue
			}
			ta, tb := tr[0] == 'T', tr[1] == 'T'
			lda, ldb := k, n
			if ta {
				lda = m
			}
			if tb {
				ldb = k
			}
			name := fmt.Sprintf("%dx%dx%d/%s", m, n, k, tr)
			for _, kern := range []string{"nn", "pure", "gonumtile", "avx", "blas32"} {
				if kern == "avx" && !haveAVX {
					continue
				}
				b.Run(name+"/"+kern, func(b *testing.B) {
					switch kern {
					case "nn":
						for b.Loop() {
							Gemm(ta, tb, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
						}
					case "pure":
						for b.Loop() {
							gemmWith(kernelPure, ta, tb, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
						}
					case "avx":
						for b.Loop() {
							gemmWith(kernelAVX, ta, tb, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
						}
					case "gonumtile":
						for b.Loop() {
							gemmWith(kernelGonum, ta, tb, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
						}
					case "blas32":
						tA, tB := blas.NoTrans, blas.NoTrans
						if ta {
							tA = blas.Trans
						}
						if tb {
							tB = blas.Trans
						}
						for b.Loop() {
							blas32.Implementation().Sgemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
						}
					}
					reportGflops(b, m, n, k)
				})
			}
		}
	}
}

func reportGflops(b *testing.B, m, n, k int) {
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
