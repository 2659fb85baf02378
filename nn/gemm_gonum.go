package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// runGonum adds alpha·op(A)·op(B) to the block C[i0:i1, j0:j1] (already
// scaled by beta) with gonum's Sgemm, one tile of at most
// gonumTileM×gonumTileN×gemmKC at a time: small enough that gonum stays
// serial (it would otherwise start goroutines of its own) and that the
// operands of a tile stay in cache (gonum's serial kernel re-reads all of
// op(B) for every row of A, which for the long k of a convolution's
// weight gradient would stream it from memory m times).
func (g *gemmArgs) runGonum(i0, i1, j0, j1 int) {
	var impl gonum.Implementation
	tA, tB := blas.NoTrans, blas.NoTrans
	if g.transA {
		tA = blas.Trans
	}
	if g.transB {
		tB = blas.Trans
	}
	for ic := i0; ic < i1; ic += gonumTileM {
		mc := min(gonumTileM, i1-ic)
		var a []float32
		if g.transA {
			a = g.a[ic:]
		} else {
			a = g.a[ic*g.lda:]
		}
		for jc := j0; jc < j1; jc += gonumTileN {
			nc := min(gonumTileN, j1-jc)
			var b []float32
			if g.transB {
				b = g.b[jc*g.ldb:]
			} else {
				b = g.b[jc:]
			}
			c := g.c[ic*g.ldc+jc:]
			for pc := 0; pc < g.k; pc += gemmKC {
				kc := min(gemmKC, g.k-pc)
				var ap, bp []float32
				if g.transA {
					ap = a[pc*g.lda:]
				} else {
					ap = a[pc:]
				}
				if g.transB {
					bp = b[pc:]
				} else {
					bp = b[pc*g.ldb:]
				}
				impl.Sgemm(tA, tB, mc, nc, kc, g.alpha, ap, g.lda, bp, g.ldb, 1, c, g.ldc)
			}
		}
	}
}
