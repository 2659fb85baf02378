package nn

import "fmt"

// MaxPool2D takes the maximum over non-overlapping k×k windows of NCHW
// input (stride k, no padding; trailing rows and columns that do not fill
// a window are dropped):
//
//	y[n,c,i,j] = max_{u,v<k} x[n, c, i·k+u, j·k+v],   y: N×C×⌊H/k⌋×⌊W/k⌋.
//
// The gradient flows only to the arg-max of each window (the first one on
// ties): dL/dx[argmax] += dy[n,c,i,j].
type MaxPool2D struct {
	K int

	arg   []int32 // flat index into x of each output's maximum
	inShp []int
	y, dx *Tensor

	// operands of the parallel 2×2 loop (a method value, made once)
	x      []float32
	h, w   int
	poolFn func(lo, hi int)
}

// NewMaxPool2D returns a k×k max pool with stride k.
func NewMaxPool2D(k int) *MaxPool2D {
	if k <= 0 {
		panic(fmt.Sprintf("nn: NewMaxPool2D(%d): size must be positive", k))
	}
	return &MaxPool2D{K: k}
}

// Forward pools x (N×C×H×W).
func (m *MaxPool2D) Forward(x *Tensor, train bool) *Tensor {
	mustShape("MaxPool2D", x, -1, -1, -1, -1)
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	k := m.K
	ho, wo := h/k, w/k
	if ho == 0 || wo == 0 {
		panic(fmt.Sprintf("nn: MaxPool2D(%d): input %v is smaller than the window", k, x.Shape))
	}
	m.inShp = append(m.inShp[:0], x.Shape...)
	m.y = Ensure(m.y, n, c, ho, wo)
	if cap(m.arg) < len(m.y.Data) {
		m.arg = make([]int32, len(m.y.Data))
	}
	m.arg = m.arg[:len(m.y.Data)]
	y, arg, xd := m.y.Data, m.arg, x.Data
	if k == 2 {
		// planes are independent: split them among the workers
		if m.poolFn == nil {
			m.poolFn = m.pool2
		}
		m.x, m.h, m.w = xd, h, w
		parallelFor(n*c, h*w, m.poolFn)
		m.x = nil
		return m.y
	}
	o := 0
	for pl := range n * c {
		base := pl * h * w
		for i := range ho {
			for j := range wo {
				best := base + i*k*w + j*k
				bv := xd[best]
				for u := range k {
					row := base + (i*k+u)*w + j*k
					for v, val := range xd[row : row+k] {
						if val > bv {
							bv, best = val, row+v
						}
					}
				}
				y[o], arg[o] = bv, int32(best)
				o++
			}
		}
	}
	return m.y
}

// pool2 runs maxPool2 on planes [lo, hi) of m.x.
func (m *MaxPool2D) pool2(lo, hi int) {
	p := m.h / 2 * (m.w / 2)
	maxPool2(m.x, m.y.Data[lo*p:hi*p], m.arg[lo*p:hi*p], lo, hi, m.h, m.w)
}

// maxPool2 is Forward for 2×2 windows, written so that the compiler
// selects with conditional moves instead of unpredictable branches.
func maxPool2(x, y []float32, arg []int32, plo, phi, h, w int) {
	maxPool2From(x, y, arg, plo, phi, h, w, maxPool2Fast(x, y, arg, plo, phi, h, w))
}

// maxPool2From is maxPool2 for the windows from column j0 of each row on
// (the SIMD kernel, where there is one, did those before).
func maxPool2From(x, y []float32, arg []int32, plo, phi, h, w, j0 int) {
	ho, wo := h/2, w/2
	if j0 >= wo {
		return
	}
	o := 0
	for pl := plo; pl < phi; pl++ {
		base := pl * h * w
		for i := range ho {
			r0 := x[base+2*i*w : base+2*i*w+w]
			r1 := x[base+(2*i+1)*w : base+(2*i+1)*w+w]
			yo := y[o : o+wo]
			ao := arg[o : o+wo]
			for j := j0; j < len(yo); j++ {
				a, b := r0[2*j], r0[2*j+1]
				c, d := r1[2*j], r1[2*j+1]
				ia := int32(base + 2*i*w + 2*j)
				ib := ia + 1
				if b > a {
					ia = ib
				}
				ab := max(a, b)
				ic := int32(base + (2*i+1)*w + 2*j)
				id := ic + 1
				if d > c {
					ic = id
				}
				cd := max(c, d)
				if cd > ab {
					ia = ic
				}
				yo[j] = max(ab, cd)
				ao[j] = ia
			}
			o += wo
		}
	}
}

// Backward routes dy to the arg-max positions.
func (m *MaxPool2D) Backward(dy *Tensor) *Tensor {
	mustSame("MaxPool2D", dy, m.y)
	m.dx = Ensure(m.dx, m.inShp...)
	dx := m.dx.Data
	clear(dx)
	for o, g := range dy.Data {
		dx[m.arg[o]] += g
	}
	return m.dx
}

// Params returns nil.
func (m *MaxPool2D) Params() []*Param { return nil }

// GlobalAvgPool averages each channel of NCHW input over its H×W pixels:
//
//	y[n,c] = (1/HW) Σ_{i,j} x[n,c,i,j],   y: N×C,
//	dL/dx[n,c,i,j] = dy[n,c] / HW.
type GlobalAvgPool struct {
	inShp []int
	y, dx *Tensor
}

// NewGlobalAvgPool returns a global average pool.
func NewGlobalAvgPool() *GlobalAvgPool { return &GlobalAvgPool{} }

// Forward averages x (N×C×H×W) to N×C.
func (g *GlobalAvgPool) Forward(x *Tensor, train bool) *Tensor {
	mustShape("GlobalAvgPool", x, -1, -1, -1, -1)
	n, c, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	g.inShp = append(g.inShp[:0], x.Shape...)
	g.y = Ensure(g.y, n, c)
	inv := 1 / float32(hw)
	for p := range n * c {
		var s float32
		for _, v := range x.Data[p*hw : (p+1)*hw] {
			s += v
		}
		g.y.Data[p] = s * inv
	}
	return g.y
}

// Backward spreads dy evenly over each channel's pixels.
func (g *GlobalAvgPool) Backward(dy *Tensor) *Tensor {
	mustSame("GlobalAvgPool", dy, g.y)
	g.dx = Ensure(g.dx, g.inShp...)
	hw := g.inShp[2] * g.inShp[3]
	inv := 1 / float32(hw)
	for p, d := range dy.Data {
		v := d * inv
		dst := g.dx.Data[p*hw : (p+1)*hw]
		for i := range dst {
			dst[i] = v
		}
	}
	return g.dx
}

// Params returns nil.
func (g *GlobalAvgPool) Params() []*Param { return nil }
