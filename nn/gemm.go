package nn

import (
	"fmt"
	"runtime"
	"sync"
)

// Gemm computes the float32 matrix product
//
//	C = alpha·op(A)·op(B) + beta·C
//
// where op(A) is m×k (A is m×k, or k×m when transA), op(B) is k×n (B is k×n,
// or n×k when transB) and C is m×n; all row-major with leading dimensions
// (row strides) lda, ldb and ldc. When beta is 0, C is overwritten and its
// old contents (even NaN) are ignored.
//
// Gemm splits C into blocks that it computes on a pool of GOMAXPROCS
// goroutines (for products of more than about 2^18 multiply-adds). Each
// block is computed by the fastest kernel for the platform: on amd64 with
// AVX2 and FMA our 4×24 register-tiled assembly kernel over packed panels
// (three to four times gonum's serial Sgemm, whose SSE kernel re-reads
// op(B) per row of A; see BenchmarkGemm), on older amd64 gonum's kernel,
// and elsewhere, including WebAssembly and builds tagged noasm, a
// cache-blocked, register-tiled kernel in pure Go that is about four times
// faster than gonum's pure-Go fallback under WebAssembly. The split never
// cuts the k dimension, so every
// element of C is summed in the same order whatever the number of workers
// and the result is deterministic. Gemm allocates nothing once warm.
//
// It panics if a dimension is negative or a slice is too short for its
// shape and stride.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmWith(defaultKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmKernel selects the code that computes one block of C.
type gemmKernel uint8

const (
	kernelPure  gemmKernel = iota // packed 4×2 register tiles in Go
	kernelGonum                   // gonum's serial Sgemm per 64×192×256 tile
	kernelAVX                     // packed 4×24 register tiles in AVX2/FMA assembly (amd64)
	kernelSIMD                    // packed 4×8 register tiles in WebAssembly simd128 (js/wasm; simd_wasm.go)
)

// gemmSerial is Gemm on the calling goroutine only, for callers that
// already run in parallel (one chunk of a convolution per worker).
func gemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmOn(1, defaultKernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func gemmWith(kern gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmOn(runtime.GOMAXPROCS(0), kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmOn computes Gemm with kern on at most procs goroutines.
func gemmOn(procs int, kern gemmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	w := gemmWorkers(procs, kern, m, n, k)
	if w <= 1 {
		g := gemmArgs{kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}
		s := getScratch()
		g.run(s, 0, m, 0, n)
		putScratch(s)
		return
	}
	// Split the larger of the two output dimensions into w parts aligned to
	// the kernel's tile; the calling goroutine computes the last part.
	job := jobPool.Get().(*gemmJob)
	job.g = gemmArgs{kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}
	tm, tn := kern.tile()
	pool := workers()
	i0, i1, j0, j1 := 0, m, 0, n
	if n >= m {
		step := roundUp((n+w-1)/w, tn)
		for j0 = 0; j0+step < n; j0 += step {
			job.wg.Add(1)
			pool <- task{job: job, i0: 0, i1: m, j0: j0, j1: j0 + step}
		}
	} else {
		step := roundUp((m+w-1)/w, tm)
		for i0 = 0; i0+step < m; i0 += step {
			job.wg.Add(1)
			pool <- task{job: job, i0: i0, i1: i0 + step, j0: 0, j1: n}
		}
	}
	s := getScratch()
	job.g.run(s, i0, i1, j0, j1)
	putScratch(s)
	job.wg.Wait()
	job.g = gemmArgs{} // drop references to the caller's slices
	jobPool.Put(job)
}

// tile returns the granularity (rows, columns) in which the kernel's work
// is split among workers: the register tile of the pure kernel; for gonum,
// whose tiles may start anywhere, a size that keeps its vectors long.
func (kern gemmKernel) tile() (int, int) {
	if kern == kernelGonum {
		return 16, 16
	}
	return kern.regTile()
}

// regTile is the register tile (rows, columns) of a packing kernel.
func (kern gemmKernel) regTile() (int, int) {
	switch kern {
	case kernelAVX:
		return gemmMR, avxNR
	case kernelSIMD:
		return gemmMR, simdNR
	}
	return gemmMR, gemmNR
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("nn: Gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	check := func(name string, s []float32, rows, cols, ld int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("nn: Gemm: %s is %d×%d but its leading dimension is %d", name, rows, cols, ld))
		}
		if need := (rows-1)*ld + cols; len(s) < need {
			panic(fmt.Sprintf("nn: Gemm: %s is %d×%d (ld %d) and needs %d values, has %d", name, rows, cols, ld, need, len(s)))
		}
	}
	check("A", a, ar, ac, lda)
	check("B", b, br, bc, ldb)
	check("C", c, m, n, ldc)
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// Blocking parameters. The register tile is gemmMR×gemmNR; packed panels of
// A (gemmMC×gemmKC) and B (gemmKC×gemmNC) stay in cache while used.
const (
	gemmMR = 4
	gemmNR = 2
	avxNR  = 24 // columns of the AVX tile: three 8-wide registers
	simdNR = 8  // columns of the WebAssembly SIMD tile: two f32x4 registers
	gemmKC = 256
	gemmMC = 64
	gemmNC = 1024

	// gemmParallelFlops is the smallest m·n·k worth splitting among workers.
	gemmParallelFlops = 1 << 18

	// gonum's Sgemm runs serially on at most three 64×64 blocks of C.
	gonumTileM = 64
	gonumTileN = 192
)

func gemmWorkers(procs int, kern gemmKernel, m, n, k int) int {
	w := procs
	if w <= 1 || m*n*k < gemmParallelFlops {
		return 1
	}
	// Each worker should get at least one tile of columns or rows.
	tm, tn := kern.tile()
	return min(w, max((m+tm-1)/tm, (n+tn-1)/tn))
}

type gemmArgs struct {
	kern           gemmKernel
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
}

// gemmScratch holds the packed panels of one goroutine.
type gemmScratch struct {
	pa, pb []float32
}

var scratchPool = sync.Pool{New: func() any {
	return &gemmScratch{
		pa: make([]float32, gemmMC*gemmKC),
		pb: make([]float32, gemmKC*gemmNC),
	}
}}

func getScratch() *gemmScratch  { return scratchPool.Get().(*gemmScratch) }
func putScratch(s *gemmScratch) { scratchPool.Put(s) }

// run computes the block C[i0:i1, j0:j1].
func (g *gemmArgs) run(s *gemmScratch, i0, i1, j0, j1 int) {
	// With beta 0 the AVX and SIMD kernels write C on the first k block
	// instead of adding to a cleared C: one pass over C fewer.
	overwrite := (g.kern == kernelAVX || g.kern == kernelSIMD) && g.beta == 0
	if !overwrite {
		scaleCBlock(g.c[i0*g.ldc+j0:], i1-i0, j1-j0, g.beta, g.ldc)
	}
	if g.kern == kernelGonum {
		g.runGonum(i0, i1, j0, j1)
		return
	}
	if g.kern == kernelSIMD && i1-i0 == 1 && g.transB && !g.transA {
		// one row of A times a transposed B (a linear layer at batch 1):
		// B's rows are read in place, not packed
		g.gemvSIMD(i0, j0, j1, overwrite)
		return
	}
	mr, nr := g.kern.regTile()
	ncb := gemmNC / nr * nr // whole panels, so that B's packed block fits s.pb
	for jc := j0; jc < j1; jc += ncb {
		nc := min(ncb, j1-jc)
		for pc := 0; pc < g.k; pc += gemmKC {
			kc := min(gemmKC, g.k-pc)
			if g.kern == kernelSIMD {
				packBSIMD(s.pb, g.b, g.ldb, g.transB, pc, kc, jc, nc)
			} else {
				packB(s.pb, g.b, g.ldb, g.transB, pc, kc, jc, nc, nr)
			}
			for ic := i0; ic < i1; ic += gemmMC {
				mc := min(gemmMC, i1-ic)
				if g.kern == kernelSIMD {
					packASIMD(s.pa, g.a, g.lda, g.transA, ic, mc, pc, kc)
				} else {
					packA(s.pa, g.a, g.lda, g.transA, ic, mc, pc, kc, mr)
				}
				switch g.kern {
				case kernelAVX:
					g.macroAVX(s, ic, mc, jc, nc, kc, !overwrite || pc > 0)
				case kernelSIMD:
					g.macroSIMD(s, ic, mc, jc, nc, kc, !overwrite || pc > 0)
				default:
					g.macro(s, ic, mc, jc, nc, kc)
				}
			}
		}
	}
}

// macroAVX is macro for the 4×24 assembly kernel; it adds the product
// into C (add) or overwrites C with it (!add). Whole tiles go into C by
// the kernel itself; tiles cut by the edge of C go through a scratch tile
// and are stored element by element. (Reading an
// untransposed B in place instead of packing it measured no faster: its
// rows are a page or more apart in the convolutions' long matrices.)
func (g *gemmArgs) macroAVX(s *gemmScratch, ic, mc, jc, nc, kc int, add bool) {
	var tile [gemmMR * avxNR]float32
	for jr := 0; jr < nc; jr += avxNR {
		nr := min(avxNR, nc-jr)
		bp := s.pb[jr*kc : jr*kc+avxNR*kc]
		const ldb = avxNR
		for ir := 0; ir < mc; ir += gemmMR {
			mr := min(gemmMR, mc-ir)
			ap := s.pa[ir*kc : ir*kc+gemmMR*kc]
			c := g.c[(ic+ir)*g.ldc+jc+jr:]
			if mr == gemmMR && nr == avxNR && len(c) >= (gemmMR-1)*g.ldc+avxNR {
				sgemm4x24(kc, &ap[0], &bp[0], ldb, &c[0], g.ldc, g.alpha, add)
				continue
			}
			sgemm4x24(kc, &ap[0], &bp[0], ldb, &tile[0], avxNR, g.alpha, false)
			for i := range mr {
				row := c[i*g.ldc : i*g.ldc+nr]
				t := tile[i*avxNR : i*avxNR+nr]
				if add {
					for j := range row {
						row[j] += t[j]
					}
				} else {
					copy(row, t)
				}
			}
		}
	}
}

func scaleCBlock(c []float32, m, n int, beta float32, ldc int) {
	if beta == 1 {
		return
	}
	scaleC(m, n, beta, c, ldc)
}

// macro multiplies the packed mc×kc block of A by the packed kc×nc block of
// B and adds alpha times the product into C[ic:ic+mc, jc:jc+nc].
func (g *gemmArgs) macro(s *gemmScratch, ic, mc, jc, nc, kc int) {
	var tile [gemmMR * gemmNR]float32
	alpha := g.alpha
	for jr := 0; jr < nc; jr += gemmNR {
		nr := min(gemmNR, nc-jr)
		bp := s.pb[jr*kc : jr*kc+gemmNR*kc]
		for ir := 0; ir < mc; ir += gemmMR {
			mr := min(gemmMR, mc-ir)
			ap := s.pa[ir*kc : ir*kc+gemmMR*kc]
			kernel4x2(kc, ap, bp, &tile)
			c := g.c[(ic+ir)*g.ldc+jc+jr:]
			if mr == gemmMR && nr == gemmNR && len(c) > 3*g.ldc+1 {
				ldc := g.ldc
				c[0] += alpha * tile[0]
				c[1] += alpha * tile[1]
				c[ldc] += alpha * tile[2]
				c[ldc+1] += alpha * tile[3]
				c[2*ldc] += alpha * tile[4]
				c[2*ldc+1] += alpha * tile[5]
				c[3*ldc] += alpha * tile[6]
				c[3*ldc+1] += alpha * tile[7]
				continue
			}
			for i := range mr {
				for j := range nr {
					c[i*g.ldc+j] += alpha * tile[i*gemmNR+j]
				}
			}
		}
	}
}

// packA copies the mc×kc block at (ic, pc) of op(A) into panels of MR
// rows: panel r holds, for each p, the MR values op(A)[ic+r·MR+i, pc+p];
// rows past mc are zero.
func packA(dst, a []float32, lda int, trans bool, ic, mc, pc, kc, MR int) {
	for ir := 0; ir < mc; ir += MR {
		panel := dst[ir*kc : ir*kc+MR*kc]
		mr := min(MR, mc-ir)
		if mr < MR {
			clear(panel)
		}
		if trans {
			// op(A)[i, p] = a[p*lda + i]: contiguous in i.
			for p := range kc {
				src := a[(pc+p)*lda+ic+ir:]
				copy(panel[p*MR:p*MR+mr], src[:mr])
			}
			continue
		}
		for i := range mr {
			src := a[(ic+ir+i)*lda+pc:]
			src = src[:kc]
			for p, v := range src {
				panel[p*MR+i] = v
			}
		}
	}
}

// packB copies the kc×nc block at (pc, jc) of op(B) into panels of NR
// columns: panel r holds, for each p, the NR values op(B)[pc+p, jc+r·NR+j];
// columns past nc are zero.
func packB(dst, b []float32, ldb int, trans bool, pc, kc, jc, nc, NR int) {
	for jr := 0; jr < nc; jr += NR {
		panel := dst[jr*kc : jr*kc+NR*kc]
		nr := min(NR, nc-jr)
		if nr < NR {
			clear(panel)
		}
		if !trans {
			// op(B)[p, j] = b[p*ldb + j]: contiguous in j.
			if nr == 2 && NR == 2 {
				for p := range kc {
					src := b[(pc+p)*ldb+jc+jr:]
					src = src[:2]
					panel[2*p] = src[0]
					panel[2*p+1] = src[1]
				}
				continue
			}
			for p := range kc {
				src := b[(pc+p)*ldb+jc+jr:]
				copy(panel[p*NR:p*NR+nr], src[:nr])
			}
			continue
		}
		for j := range nr {
			src := b[(jc+jr+j)*ldb+pc:]
			src = src[:kc]
			for p, v := range src {
				panel[p*NR+j] = v
			}
		}
	}
}

// kernel4x2 sets tile (row-major 4×2) to the product of a packed 4×kc panel
// of A and a packed kc×2 panel of B. Four by two is the largest tile whose
// accumulators and operands fit the 16 float registers of amd64; it is also
// among the fastest shapes under WebAssembly.
func kernel4x2(kc int, a, b []float32, tile *[gemmMR * gemmNR]float32) {
	var c00, c01, c10, c11, c20, c21, c30, c31 float32
	a = a[:4*kc]
	b = b[:2*kc]
	for p := range kc {
		av := a[4*p : 4*p+4 : 4*p+4]
		bv := b[2*p : 2*p+2 : 2*p+2]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1 := bv[0], bv[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		c30 += a3 * b0
		c31 += a3 * b1
	}
	*tile = [gemmMR * gemmNR]float32{c00, c01, c10, c11, c20, c21, c30, c31}
}
